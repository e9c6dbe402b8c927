//! The embedded Haar cascade and its parser.
//!
//! Owns: [`Cascade`] and its parts (stages, stumps, rectangles), the embedded XML and the
//! small hand-written reader of its `<stages>` / `<features>` structure (no XML crate),
//! [`cascade`] (parsed once, on first use). May import std only.

use std::sync::OnceLock;

/// The embedded cascade.
static CASCADE_XML: &str = include_str!("../../../../../media/models/haarcascade_frontalface_default.xml");

/// One rectangle of a Haar feature: x, y, width, height in the 24×24 window, weight.
#[derive(Debug, Clone, Copy)]
pub(super) struct HaarRect {
    pub(super) x: usize,
    pub(super) y: usize,
    pub(super) w: usize,
    pub(super) h: usize,
    pub(super) weight: f64,
}

/// A decision stump: `feature value < threshold` ⇒ `left`, else `right`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Weak {
    pub(super) feature: usize,
    pub(super) threshold: f64,
    pub(super) left: f64,
    pub(super) right: f64,
}

/// One stage: the window is rejected when its stumps' total is under `threshold`.
#[derive(Debug, Clone)]
pub(super) struct Stage {
    pub(super) threshold: f64,
    pub(super) weak: Vec<Weak>,
}

/// A parsed cascade.
#[derive(Debug, Clone)]
pub(super) struct Cascade {
    pub(super) width: usize,
    pub(super) height: usize,
    pub(super) stages: Vec<Stage>,
    pub(super) features: Vec<Vec<HaarRect>>,
}

/// Elements named in `names`, in document order, as (name, text content); comments skipped.
/// Content is everything up to the matching close tag (nested elements included).
fn elements<'a>(s: &'a str, names: &[&'static str]) -> Vec<(&'static str, &'a str)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = s[i..].find('<') {
        let start = i + off + 1;
        let rest = &s[start..];
        if rest.starts_with("!--") {
            i = rest.find("-->").map_or(s.len(), |e| start + e + 3);
            continue;
        }
        i = start;
        let name_len = rest.find(|c: char| c == '>' || c == '/' || c.is_whitespace()).unwrap_or(rest.len());
        let Some(&name) = names.iter().find(|n| **n == &rest[..name_len]) else { continue };
        let Some(open_end) = rest.find('>') else { break };
        let body = start + open_end + 1;
        let close = format!("</{name}>");
        let Some(len) = s[body..].find(&close) else { break };
        out.push((name, &s[body..body + len]));
        i = body + len + close.len();
    }
    out
}

/// Numbers in an element's text, ignoring `<_>` markers.
fn numbers(s: &str) -> Option<Vec<f64>> {
    s.replace("<_>", " ").replace("</_>", " ").split_whitespace().map(|t| t.parse().ok()).collect()
}

fn parse_cascade(xml: &str) -> Option<Cascade> {
    let (head, features_xml) = xml.split_once("<features>")?;
    let (head, stages_xml) = head.split_once("<stages>")?;
    let dims = elements(head, &["width", "height"]);
    let dim = |n: &str| dims.iter().find(|(k, _)| *k == n).and_then(|(_, v)| v.trim().parse::<usize>().ok());
    let (width, height) = (dim("width")?, dim("height")?);
    let mut stages: Vec<Stage> = Vec::new();
    let mut pending: Option<(usize, f64)> = None;
    for (name, text) in elements(stages_xml, &["stageThreshold", "internalNodes", "leafValues"]) {
        let v = numbers(text)?;
        match name {
            "stageThreshold" => stages.push(Stage { threshold: *v.first()?, weak: Vec::new() }),
            // Stumps only: left = 0, right = -1, feature index, threshold.
            "internalNodes" if v.len() == 4 && v[0] == 0.0 && v[1] == -1.0 => {
                #[expect(clippy::cast_possible_truncation, reason = "a small non-negative feature index")]
                let feature = v[2].max(0.0) as usize;
                pending = Some((feature, v[3]));
            }
            "leafValues" if v.len() == 2 => {
                let (feature, threshold) = pending.take()?;
                stages.last_mut()?.weak.push(Weak { feature, threshold, left: v[0], right: v[1] });
            }
            _ => return None,
        }
    }
    let mut features = Vec::new();
    for (name, text) in elements(features_xml, &["rects", "tilted"]) {
        if name == "tilted" {
            if text.trim() != "0" {
                return None;
            }
            continue;
        }
        let v = numbers(text)?;
        if v.is_empty() || v.len() % 5 != 0 {
            return None;
        }
        let mut rects = Vec::new();
        for r in v.chunks_exact(5) {
            let u = |f: f64| -> Option<usize> {
                #[expect(clippy::cast_possible_truncation, reason = "checked to be a small integer")]
                let i = f as usize;
                ((0.0..=64.0).contains(&f) && f.fract() == 0.0).then_some(i)
            };
            let (x, y, w, h) = (u(r[0])?, u(r[1])?, u(r[2])?, u(r[3])?);
            if x + w > width || y + h > height {
                return None;
            }
            rects.push(HaarRect { x, y, w, h, weight: r[4] });
        }
        features.push(rects);
    }
    let ok = !stages.is_empty() && stages.iter().all(|s| s.weak.iter().all(|w| w.feature < features.len()));
    ok.then_some(Cascade { width, height, stages, features })
}

/// The embedded cascade, parsed once; `None` if it failed to parse (a build defect, caught
/// by the tests; detection then finds nothing and callers fall back to the centre).
pub(super) fn cascade() -> Option<&'static Cascade> {
    static C: OnceLock<Option<Cascade>> = OnceLock::new();
    C.get_or_init(|| parse_cascade(CASCADE_XML)).as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_cascade_parses() {
        let c = cascade().expect("cascade parses");
        assert_eq!((c.width, c.height), (24, 24));
        assert_eq!(c.stages.len(), 25);
        assert_eq!(c.stages[0].weak.len(), 9);
        assert_eq!(c.features.len(), 2913);
        assert!(c.features.iter().all(|f| (2..=3).contains(&f.len())));
    }

    #[test]
    fn broken_cascades_are_refused() {
        assert!(parse_cascade("").is_none());
        assert!(parse_cascade("<stages></stages><features></features>").is_none());
        let tilted = CASCADE_XML.replacen("</rects></_>", "</rects><tilted>1</tilted></_>", 1);
        assert!(parse_cascade(&tilted).is_none());
    }
}
