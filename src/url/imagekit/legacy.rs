//! Legacy overlay parameters (spec §7.4) and their normalisation to layers.
//!
//! Owns: [`Legacy`], which collects `oi- ot- ote- otf ots otc ott otia otw otp otbg oa or ox oy
//! ofo ow oh oit oibg oib oiq oidpr oiar oic oicm oifo oix oiy oixc oiyc` of one step, and
//! rewrites them as layer spans (`l-image,i-…,…,l-end` / `l-text,i-…,…,l-end`) that the
//! chain parser then parses like any other layer, appended at the end of the step: the image
//! layer first, then the text layer. May import `job`, `error`.
//!
//! # Format
//! ```text
//! oi-brand@@logo.png,ow-60,ofo-top_left,ox-12,oy-N8   ⇒ l-image,i-brand@@logo.png,w-60,lfo-top_left,lx-12,ly-N8,l-end
//! ot-Hi,otf-Arial,ots-30,otc-red,ow-200               ⇒ l-text,i-Hi,ff-Arial,fs-30,co-red,w-200,l-end
//! ```
//! Values are copied verbatim (still percent-encoded), so text is decoded exactly once, by
//! the layer. Errors in a rewritten value name the legacy key.

use crate::error::{Error, Result};

/// Which overlay a legacy key belongs to, and the layer key it becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Image,
    Text,
    Both,
}

/// Legacy key → (overlay, layer key).
const MAP: [(&str, Target, &str); 31] = [
    ("oi", Target::Image, "i"),
    ("oit", Target::Image, "t"),
    ("oibg", Target::Image, "bg"),
    ("oib", Target::Image, "b"),
    ("oiq", Target::Image, "q"),
    ("oidpr", Target::Image, "dpr"),
    ("oiar", Target::Image, "ar"),
    ("oic", Target::Image, "c"),
    ("oicm", Target::Image, "cm"),
    ("oifo", Target::Image, "fo"),
    ("oix", Target::Image, "x"),
    ("oiy", Target::Image, "y"),
    ("oixc", Target::Image, "xc"),
    ("oiyc", Target::Image, "yc"),
    ("ot", Target::Text, "i"),
    ("ote", Target::Text, "ie"),
    ("otf", Target::Text, "ff"),
    ("ots", Target::Text, "fs"),
    ("otc", Target::Text, "co"),
    ("ott", Target::Text, "tg"),
    ("otia", Target::Text, "ia"),
    ("otw", Target::Text, "w"),
    ("otp", Target::Text, "pa"),
    ("otbg", Target::Text, "bg"),
    ("oa", Target::Text, "al"),
    ("or", Target::Text, "r"),
    ("ox", Target::Both, "lx"),
    ("oy", Target::Both, "ly"),
    ("ofo", Target::Both, "lfo"),
    ("ow", Target::Both, "w"),
    ("oh", Target::Both, "h"),
];

/// True for a legacy overlay key.
pub(super) fn is_legacy_key(key: &str) -> bool {
    MAP.iter().any(|&(k, _, _)| k == key)
}

/// The legacy overlay parameters of one step, in URL order.
#[derive(Debug, Default)]
pub(super) struct Legacy {
    params: Vec<(String, String)>,
}

impl Legacy {
    /// Collect `key-value` when `key` is a legacy overlay key.
    pub(super) fn apply(&mut self, key: &str, value: &str) -> Result<bool> {
        if !is_legacy_key(key) {
            return Ok(false);
        }
        self.params.push((key.to_owned(), value.to_owned()));
        Ok(true)
    }

    /// The layer spans these parameters stand for (empty when none were given).
    pub(super) fn into_layers(self) -> Result<Vec<LayerChain>> {
        if self.params.is_empty() {
            return Ok(Vec::new());
        }
        let has = |k: &str| self.params.iter().any(|(p, _)| p == k);
        let image = has("oi");
        let text = has("ot") || has("ote");
        let mut out = Vec::new();
        for (kind, target, on) in [("image", Target::Image, image), ("text", Target::Text, text)] {
            if !on {
                continue;
            }
            let mut chain = LayerChain { text: format!("l-{kind}"), keys: Vec::new() };
            for (k, v) in &self.params {
                let (_, t, layer_key) = MAP.iter().find(|(m, _, _)| m == k).copied().unwrap_or(("", Target::Both, ""));
                if t == target || t == Target::Both {
                    chain.text.push_str(&format!(",{layer_key}-{v}"));
                    chain.keys.push((k.clone(), layer_key, v.clone()));
                }
            }
            chain.text.push_str(",l-end");
            out.push(chain);
        }
        for (k, v) in &self.params {
            let t = MAP.iter().find(|(m, _, _)| m == k).map_or(Target::Both, |m| m.1);
            let ok = match t {
                Target::Image => image,
                Target::Text => text,
                Target::Both => image || text,
            };
            if !ok {
                let why = match t {
                    Target::Image => "needs an image overlay (oi-…) in the same step",
                    Target::Text => "needs a text overlay (ot-… or ote-…) in the same step",
                    Target::Both => "needs an overlay (oi-…, ot-… or ote-…) in the same step",
                };
                return Err(Error::invalid(k, v, why));
            }
        }
        Ok(out)
    }
}

/// One rewritten layer span and the legacy keys it came from (for error messages).
#[derive(Debug)]
pub(super) struct LayerChain {
    /// `l-<type>,…,l-end`.
    pub(super) text: String,
    keys: Vec<(String, &'static str, String)>,
}

impl LayerChain {
    /// Rename an error about a rewritten parameter back to the legacy key the user wrote.
    pub(super) fn rename(&self, e: Error) -> Error {
        let hit = self.keys.iter().find(|(_, lk, v)| e.key() == Some(lk) && e.value() == Some(v.as_str()));
        match hit {
            Some((k, _, v)) => super::number::rewrap(e, k, v),
            None => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layers(params: &[(&str, &str)]) -> Result<Vec<String>> {
        let mut l = Legacy::default();
        for (k, v) in params {
            assert!(l.apply(k, v)?);
        }
        Ok(l.into_layers()?.into_iter().map(|c| c.text).collect())
    }

    /// Legacy parameters and the layer spans they become.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);

    #[test]
    fn rewrites() {
        let table: &[Case<'_>] = &[
            (&[("oi", "a@@b.png"), ("ox", "N5"), ("oiq", "50")], &["l-image,i-a@@b.png,lx-N5,q-50,l-end"]),
            (&[("ot", "Hi%20you"), ("ots", "30"), ("ofo", "face")], &["l-text,i-Hi%20you,fs-30,lfo-face,l-end"]),
            (
                &[("ow", "60"), ("ot", "T"), ("oi", "x.png"), ("otc", "red")],
                &["l-image,w-60,i-x.png,l-end", "l-text,w-60,i-T,co-red,l-end"],
            ),
            (&[], &[]),
        ];
        for (params, want) in table {
            assert_eq!(layers(params).unwrap(), want.to_vec(), "{params:?}");
        }
    }

    #[test]
    fn orphans_and_renames() {
        for (k, v) in [("otf", "Arial"), ("oit", "true"), ("ox", "5")] {
            let e = layers(&[(k, v)]).unwrap_err();
            assert_eq!((e.key(), e.value()), (Some(k), Some(v)));
        }
        let mut l = Legacy::default();
        l.apply("oi", "a.png").unwrap();
        l.apply("ow", "abc").unwrap();
        let chain = l.into_layers().unwrap().remove(0);
        let e = chain.rename(Error::invalid("w", "abc", "not a number"));
        assert_eq!((e.key(), e.value()), (Some("ow"), Some("abc")));
        assert!(!is_legacy_key("w") && is_legacy_key("oicm"));
    }
}
