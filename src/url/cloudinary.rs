//! The Cloudinary URL rewriter: turns a Cloudinary delivery path into an ImageKit
//! transformation string plus the path forwarded to origin storage
//! (spec `shared/spec/cloudinary-rewriter.md`, decisions D1–D11, AMB-1–AMB-33, N1–N2).
//!
//! Owns: the public API ([`translate`], [`Options`], [`Translation`], [`Dropped`],
//! [`DropReason`], [`NotRewritable`]) and the request context of the families. The path
//! grammar lives in `path`, the structural passes (last-wins, conditionals, layer
//! brackets) in `chain`, one parameter family per child module, each with its tests.
//!
//! May import: `crate::error` and std / percent-encoding only (it is a pure, synchronous
//! module, fuzzed by `fuzz/fuzz_targets/url_cloudinary.rs`). Nothing here panics; a call
//! makes a few small allocations (items, components, `tr`, `path`) and uses no regex;
//! nothing is percent-decoded except `t_` names (D8). The media kind for `q_auto` is
//! decided in `quality`.
//!
//! # Format
//!
//! ```text
//! /image/upload/w_300,h_300,c_fill,g_auto/v1612345678/folder/a.jpg?x=1
//!   ⇒ tr   = w-300,h-300,c-maintain_ratio,fo-auto
//!     path = /folder/a.jpg?x=1                  (keep_types off)
//!     path = /image/upload/folder/a.jpg?x=1     (keep_types on)
//! ```

mod angle;
mod background;
mod border;
mod chain;
mod color;
mod decimal;
mod diagnostic;
mod effect;
mod format;
mod gravity;
mod item;
mod layer;
mod named;
mod overlay;
mod path;
mod quality;
mod radius;
mod sink;
mod size;
#[cfg(test)]
mod testing;
mod text;
mod video;

pub use diagnostic::{DropReason, Dropped, NotRewritable};
use quality::{media_kind, Media};

/// Settings of the rewriter for one URL endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// "Keep Cloudinary asset and delivery types" (`preserveAssetDeliveryTypes`): forward
    /// `/<asset_type>/<delivery_type>/` in front of the public ID and prefix image-overlay
    /// paths with `image@@upload@@` (spec §3.2, N2). Default off.
    pub keep_types: bool,
}

/// The result of rewriting one path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Translation {
    /// ImageKit transformation string (without `tr:`); empty when nothing survives.
    pub tr: String,
    /// Path forwarded to origin storage; always starts with `/`, the query appended.
    pub path: String,
    /// Every Cloudinary item that was not translated (unsupported or invalid), in input
    /// order. Items overridden by last-wins and the structural `fl_layer_apply` are not
    /// listed (AMB-33). Informative only.
    pub dropped: Vec<Dropped>,
    /// False for paths that are forwarded unchanged: other delivery types (`fetch`, …) and
    /// an empty public ID (AMB-3, AMB-6).
    pub rewritable: bool,
    /// Why the path is not rewritable; `None` when [`Translation::rewritable`] is true.
    pub not_rewritable: Option<NotRewritable>,
}

/// What the parameter families need to know about the request.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    /// Media kind for `q_auto`.
    media: Media,
    /// The forwarded path keeps the prefix, so image overlays get `image@@upload@@` (N2).
    keep_prefix: bool,
}

/// Rewrites one Cloudinary delivery path (the part after the URL endpoint, with or without
/// the `/<asset_type>/<delivery_type>/` prefix, query allowed). Never fails: a path that
/// cannot be rewritten comes back unchanged with `rewritable: false`.
pub fn translate(input: &str, opts: &Options) -> Translation {
    let mut parsed = match path::parse(input) {
        Ok(parsed) => parsed,
        Err(why) => {
            // Forwarded exactly as received, with a leading '/' (AMB-32).
            let mut path = String::with_capacity(input.len() + 1);
            if !input.starts_with('/') {
                path.push('/');
            }
            path.push_str(input);
            return Translation {
                tr: String::new(),
                path,
                dropped: Vec::new(),
                rewritable: false,
                not_rewritable: Some(why),
            };
        }
    };
    let keep_prefix = opts.keep_types && parsed.prefix.is_some();
    let ctx = Ctx { media: media_kind(parsed.prefix, parsed.public_id), keep_prefix };
    // Room for a typical chain, so that it is allocated once; none when there is nothing
    // to translate.
    let capacity = if parsed.comps.is_empty() { 0 } else { 64 };
    let mut sink = sink::Sink::with_capacity(capacity);
    chain::run(&mut parsed.items, &mut parsed.comps, &ctx, &mut sink);
    let (tr, dropped) = sink.finish();

    let mut path = String::with_capacity(input.len() + 2);
    path.push('/');
    if let (true, Some((asset, delivery))) = (keep_prefix, parsed.prefix) {
        path.push_str(asset);
        path.push('/');
        path.push_str(delivery);
        path.push('/');
    }
    path.push_str(parsed.public_id);
    path.push_str(parsed.query);
    Translation { tr, path, dropped, rewritable: true, not_rewritable: None }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const OFF: Options = Options { keep_types: false };
    const ON: Options = Options { keep_types: true };

    fn tr(input: &str) -> String {
        translate(input, &OFF).tr
    }

    #[test]
    fn documented_shapes() {
        let t = translate("/h_300,w_300,c_crop,g_north/a_50/folder/image.jpg", &ON);
        assert_eq!(t.tr, "h-300,w-300,cm-extract,fo-top:rt-50");
        assert_eq!(t.path, "/folder/image.jpg");
        let t = translate("image/upload/w_1/a.jpg?x=1", &ON);
        assert_eq!((t.tr.as_str(), t.path.as_str()), ("w-1", "/image/upload/a.jpg?x=1"));
        assert_eq!(translate("/image/upload/w_1/a.jpg?x=1", &OFF).path, "/a.jpg?x=1");
        assert_eq!(tr("/image/upload/h_100,w_abc/a_90/x.jpg"), "h-100:rt-90");
    }

    #[test]
    fn not_rewritable_forwarded_unchanged() {
        for input in ["/image/fetch/w_100/https://example.com/a.jpg?q=1", "image/youtube/x", "?a"] {
            for opts in [OFF, ON] {
                let t = translate(input, &opts);
                assert!(!t.rewritable && t.tr.is_empty() && t.dropped.is_empty(), "{input}");
                assert_eq!(t.path.trim_start_matches('/'), input.trim_start_matches('/'));
                assert!(t.path.starts_with('/'));
            }
        }
        let t = translate("/image/fetch/a.jpg", &OFF);
        assert_eq!(t.not_rewritable, Some(NotRewritable::DeliveryType("fetch".into())));
        assert_eq!(t.not_rewritable.map(|n| n.to_string()).as_deref(), Some("delivery type `fetch`"));
        let t = translate("/image/upload/w_100/", &OFF);
        assert_eq!(t.not_rewritable, Some(NotRewritable::EmptyPublicId));
    }

    /// Pieces of real-looking Cloudinary paths, glued by random separators.
    const PIECES: &[&str] = &[
        "",
        "image",
        "upload",
        "video",
        "raw",
        "fetch",
        "private",
        "v1",
        "v123",
        "s--Ab12Cd34--",
        "w_100",
        "w_0.5",
        "w_1.5",
        "h_",
        "w_$v",
        "$v_3",
        "c_fill",
        "c_pad",
        "c_limit",
        "g_face",
        "g_auto",
        "x_-3",
        "y_0.25",
        "ar_4:3",
        "dpr_auto",
        "z_2",
        "q_auto:best",
        "q_60",
        "f_auto",
        "a_-90",
        "a_45.5",
        "r_5:0",
        "r_max",
        "e_blur:300",
        "e_trim::red",
        "e_sharpen",
        "e_mask",
        "bo_1px_solid_red",
        "b_blurred:10:-10",
        "b_auto",
        "b_rgb:abcd",
        "co_red",
        "t_a-b.c",
        "t_",
        "so_10p",
        "eo_1.005",
        "du_150p",
        "fl_layer_apply",
        "fl_relative",
        "fl_splice",
        "fl_progressive:none",
        "fl_lossy.progressive",
        "l_logo",
        "l_a:b",
        "l_video:x",
        "l_$x",
        "l_text:Arial_20:Hi",
        "l_text:Arial_20:a:b",
        "l_text:x",
        "u_paper",
        "if_w_gt_1",
        "if_else",
        "if_end",
        "o_50",
        "dr_high",
        "a.jpg",
        "clip.MP4",
        "?x=1",
        "%2C",
        "-",
        "é",
    ];

    fn cloudinary_like() -> impl Strategy<Value = String> {
        let seps = prop::sample::select(&["/", "/", "/", ",", ":", "_", ".", "?"][..]);
        (any::<bool>(), prop::collection::vec((prop::sample::select(PIECES), seps), 0..10)).prop_map(
            |(slash, parts)| {
                let mut s = String::from(if slash { "/" } else { "" });
                for (piece, sep) in parts {
                    s.push_str(piece);
                    s.push_str(sep);
                }
                s.push_str("a.jpg");
                s
            },
        )
    }

    fn check(input: &str, opts: &Options) -> Result<Translation, TestCaseError> {
        let t = translate(input, opts);
        prop_assert!(t.path.starts_with('/'), "path {:?}", t.path);
        let tr = t.tr.as_str();
        prop_assert!(!tr.contains("::") && !tr.contains(",,") && !tr.contains(",:"));
        prop_assert!(!tr.contains(":,"), "{tr}");
        for edge in [':', ','] {
            prop_assert!(!tr.starts_with(edge) && !tr.ends_with(edge), "{tr}");
        }
        if t.rewritable {
            for token in tr.split([':', ',']).filter(|_| !tr.is_empty()) {
                let (key, value) = token.split_once('-').unwrap_or(("", ""));
                prop_assert!(!key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase()), "{tr}");
                prop_assert!(!value.is_empty(), "{tr}");
                prop_assert!(!token.contains(['/', '?']), "{tr}");
            }
            prop_assert!(t.not_rewritable.is_none());
        } else {
            prop_assert!(tr.is_empty() && t.dropped.is_empty());
            prop_assert_eq!(
                t.path.trim_start_matches('/'),
                input.strip_prefix('/').unwrap_or(input).trim_start_matches('/')
            );
        }
        Ok(t)
    }

    proptest! {
        #[test]
        fn arbitrary_strings_never_panic(input in any::<String>()) {
            check(&input, &OFF)?;
            check(&input, &ON)?;
        }

        #[test]
        fn cloudinary_like_paths_are_well_formed(input in cloudinary_like()) {
            let off = check(&input, &OFF)?;
            let on = check(&input, &ON)?;
            // The setting only moves the prefix into the path and into overlay paths.
            prop_assert_eq!(on.tr.replace("oi-image@@upload@@", "oi-"), off.tr.replace("oi-image@@upload@@", "oi-"));
            prop_assert_eq!(&on.dropped, &off.dropped);
            prop_assert_eq!(on.rewritable, off.rewritable);
            prop_assert_eq!(translate(&input, &OFF), off);
        }
    }
}
