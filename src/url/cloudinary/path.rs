//! Path grammar of a Cloudinary delivery path (spec §2.3): leading `/`, query split,
//! `/<asset_type>/<delivery_type>/` prefix, not-rewritable URLs, signature segment,
//! transformation-component detection, version segment and public-ID path.
//!
//! Owns: [`parse`], [`Parsed`], [`Item`], the component key list. Nothing is
//! percent-decoded; every slice borrows the input. Imports only the parent module.

use super::chain::Comp;
use super::NotRewritable;

/// One `<key>_<value>` item of a transformation component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Item<'a> {
    /// Text before the first `_` (`if_w_gt_800` has key `if`).
    pub(super) key: &'a str,
    /// Text after the first `_`, possibly empty.
    pub(super) value: &'a str,
    /// What the last-wins de-duplication decided (spec §3.1).
    pub(super) state: State,
}

/// Fate of an item after the per-component de-duplication (AMB-15, AMB-16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// Translated at its own position; for `fl` the head of the merged flag list.
    Live,
    /// A later item of the same component has the same key; silently superseded.
    Overridden,
    /// A further `fl_` item whose flags belong to the component's first `fl_` item.
    MergedFlag,
}

/// A rewritable path cut into its parts.
#[derive(Debug)]
pub(super) struct Parsed<'a> {
    /// `(asset_type, delivery_type)` when the path carried the prefix.
    pub(super) prefix: Option<(&'a str, &'a str)>,
    /// Every item of every component, in input order.
    pub(super) items: Vec<Item<'a>>,
    /// The transformation components, in input order.
    pub(super) comps: Vec<Comp>,
    /// The public-ID path, never empty, without leading `/`.
    pub(super) public_id: &'a str,
    /// The query, `?` included, or empty.
    pub(super) query: &'a str,
}

/// Cloudinary's asset types (C1, C10).
const ASSET_TYPES: [&str; 3] = ["image", "video", "raw"];
/// Delivery types whose assets live in storage; every other one is not rewritable (AMB-6).
const DELIVERY_TYPES: [&str; 3] = ["upload", "private", "authenticated"];

/// Splits the input into `(path without one leading '/', query with its '?')` (AMB-1, D9).
pub(super) fn split(input: &str) -> (&str, &str) {
    let input = input.strip_prefix('/').unwrap_or(input);
    match input.find('?') {
        Some(q) => (&input[..q], &input[q..]),
        None => (input, ""),
    }
}

/// Parses a delivery path (after the URL endpoint) per spec §2.3.
pub(super) fn parse(input: &str) -> Result<Parsed<'_>, NotRewritable> {
    let (path, query) = split(input);
    let mut rest = path;
    let mut prefix = None;
    if let Some((first, after)) = rest.split_once('/') {
        if ASSET_TYPES.contains(&first) {
            let (second, tail) = after.split_once('/').unwrap_or((after, ""));
            if !DELIVERY_TYPES.contains(&second) {
                return Err(NotRewritable::DeliveryType(second.to_owned()));
            }
            prefix = Some((first, second));
            if !after.contains('/') {
                // The prefix alone: no public ID at all.
                return Err(NotRewritable::EmptyPublicId);
            }
            rest = tail;
        }
    }
    // The last segment is the public ID (AMB-3): a path that ends with '/' has none, however
    // many folders precede it (spec §2.3: "the path ends with `/` … not rewritable").
    if rest.is_empty() || rest.ends_with('/') {
        return Err(NotRewritable::EmptyPublicId);
    }
    let mut items = Vec::new();
    let mut comps = Vec::new();
    // Steps 2–4 only look at segments followed by a '/': the last segment always belongs
    // to the public ID (AMB-3).
    if let Some((seg, tail)) = rest.split_once('/') {
        if is_signature(seg) {
            rest = tail;
        }
    }
    while let Some((seg, tail)) = rest.split_once('/') {
        let start = items.len();
        if !push_component(seg, &mut items) {
            break;
        }
        comps.push(Comp::new(start..items.len()));
        rest = tail;
    }
    if let Some((seg, tail)) = rest.split_once('/') {
        if is_version(seg) {
            rest = tail;
        }
    }
    Ok(Parsed { prefix, items, comps, public_id: rest, query })
}

/// `^s--[A-Za-z0-9_-]{8,32}--$` (C5, C12).
fn is_signature(seg: &str) -> bool {
    let Some(inner) = seg.strip_prefix("s--").and_then(|s| s.strip_suffix("--")) else {
        return false;
    };
    (8..=32).contains(&inner.len()) && inner.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `^v[0-9]+$` (C6, C7).
fn is_version(seg: &str) -> bool {
    seg.strip_prefix('v').is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Appends the items of `seg` and returns true when `seg` is a transformation component:
/// non-empty, and every `,`-separated item is `<known key>_<value>` (spec §2.3). On false
/// nothing is appended.
fn push_component<'a>(seg: &'a str, items: &mut Vec<Item<'a>>) -> bool {
    if items.capacity() == 0 {
        // One allocation for the usual handful of items.
        items.reserve(8);
    }
    let start = items.len();
    for raw in seg.split(',') {
        match raw.split_once('_') {
            Some((key, value)) if is_key(key) => {
                items.push(Item { key, value, state: State::Live });
            }
            // Also covers an empty segment and an empty item (AMB-4).
            _ => {
                items.truncate(start);
                return false;
            }
        }
    }
    true
}

/// A known Cloudinary parameter key (C1, D4) or a user variable `$name` (AMB-5).
pub(super) fn is_key(key: &str) -> bool {
    if let Some(name) = key.strip_prefix('$') {
        return !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric());
    }
    matches!(
        key,
        "a" | "ac"
            | "af"
            | "ar"
            | "b"
            | "bl"
            | "bo"
            | "br"
            | "c"
            | "co"
            | "cs"
            | "d"
            | "dl"
            | "dn"
            | "dpr"
            | "dr"
            | "du"
            | "e"
            | "eo"
            | "f"
            | "fl"
            | "fn"
            | "fps"
            | "g"
            | "h"
            | "if"
            | "ki"
            | "l"
            | "o"
            | "p"
            | "pg"
            | "q"
            | "r"
            | "so"
            | "sp"
            | "t"
            | "u"
            | "vc"
            | "vs"
            | "w"
            | "x"
            | "y"
            | "z"
    )
}

#[cfg(test)]
mod tests {
    use std::ops::Range;

    use super::*;

    fn ok(input: &str) -> Parsed<'_> {
        match parse(input) {
            Ok(p) => p,
            Err(e) => panic!("{input}: {e}"),
        }
    }

    #[test]
    fn prefix_components_version_public_id() {
        let p = ok("/image/upload/s--Ab12Cd34--/w_200,h_1/c_fill/v1/folder/a.jpg?x=/y");
        assert_eq!(p.prefix, Some(("image", "upload")));
        let ranges: Vec<Range<usize>> = p.comps.iter().map(|c| c.items.clone()).collect();
        assert_eq!(ranges, vec![0..2, 2..3]);
        assert_eq!(p.items[1].key, "h");
        assert_eq!(p.public_id, "folder/a.jpg");
        assert_eq!(p.query, "?x=/y");
    }

    #[test]
    fn prefix_less_and_leading_slash_optional() {
        let p = ok("h_300,w_300/a_50/folder/image.jpg");
        assert_eq!(p.prefix, None);
        assert_eq!(p.comps.len(), 2);
        assert_eq!(p.public_id, "folder/image.jpg");
        assert_eq!(ok("/iu/w_100/a.jpg").public_id, "iu/w_100/a.jpg");
    }

    #[test]
    fn last_segment_is_never_consumed() {
        assert_eq!(ok("/image/upload/w_100").public_id, "w_100");
        assert_eq!(ok("/image/upload/v12").public_id, "v12");
        assert_eq!(ok("/image/upload/s--Ab12Cd34--").public_id, "s--Ab12Cd34--");
        assert_eq!(ok("/w_1/v3").public_id, "v3");
    }

    #[test]
    fn not_rewritable() {
        for input in ["/image/upload/", "/image/upload", "/image/upload/w_100/", "", "/", "?a", "/f/", "/a/?x=/"] {
            assert_eq!(parse(input).err(), Some(NotRewritable::EmptyPublicId), "{input}");
        }
        assert_eq!(
            parse("/image/fetch/w_100/https://x/a.jpg").err(),
            Some(NotRewritable::DeliveryType("fetch".into()))
        );
        assert_eq!(parse("/video/youtube").err(), Some(NotRewritable::DeliveryType("youtube".into())));
        // "image" alone is a public ID, not a prefix.
        assert_eq!(ok("/image").public_id, "image");
    }

    #[test]
    fn component_detection() {
        assert_eq!(ok("/image/upload/W_100/a.jpg").comps.len(), 0);
        assert_eq!(ok("/image/upload/w_100,/a.jpg").comps.len(), 0);
        assert_eq!(ok("/image/upload/w_1,,h_2/a.jpg").comps.len(), 0);
        assert_eq!(ok("/image/upload/w_/a.jpg").comps.len(), 1);
        assert_eq!(ok("/image/upload/$size_200/a.jpg").comps.len(), 1);
        assert_eq!(ok("/image/upload/$_200/a.jpg").comps.len(), 0);
        assert_eq!(ok("/image/upload/dr_high/a.mp4").comps.len(), 1);
        assert_eq!(ok("/image/upload/folder/w_100/a.jpg").public_id, "folder/w_100/a.jpg");
        // After the version no segment is a component (C6).
        assert_eq!(ok("/image/upload/v1/w_100/a.jpg").public_id, "w_100/a.jpg");
    }

    #[test]
    fn signature_shape() {
        assert!(is_signature("s--Ab12Cd34--"));
        assert!(is_signature("s--abcdefgh---"));
        assert!(is_signature(&format!("s--{}--", "a".repeat(32))));
        assert!(!is_signature(&format!("s--{}--", "a".repeat(33))));
        assert!(!is_signature("s--abc--"));
        assert!(!is_signature("s--abc.efgh--"));
        assert!(is_version("v1") && !is_version("v") && !is_version("v1a") && !is_version("V1"));
    }
}
