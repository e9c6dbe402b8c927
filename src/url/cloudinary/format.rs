//! Format `f_` ⇒ `f-` and flags `fl_` (spec §4.2 rows 7, 31–33, AMB-16).
//!
//! Owns: the image-format list, the flag-list grammar (flags separated by `.` outside
//! parentheses, all `fl_` items of a component merged at the first one's position) and the
//! progressive flag, of which the last one wins. Imports only sibling modules.

use super::path::{Item, State};
use super::sink::Sink;
use super::DropReason;

/// `f_<format>` ⇒ `f-<format>`; video and other formats are invalid (row 7).
pub(super) fn format(value: &str, sink: &mut Sink) -> Result<(), DropReason> {
    if !matches!(value, "auto" | "jpg" | "jpeg" | "png" | "webp" | "gif" | "avif") {
        return Err(DropReason::Invalid);
    }
    sink.put("f", value);
    Ok(())
}

/// Iterator over the flags of one `fl_` value, split at `.` outside parentheses.
#[derive(Debug, Clone)]
pub(super) struct Flags<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for Flags<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        let mut depth = 0usize;
        for (i, b) in rest.bytes().enumerate() {
            match b {
                b'(' => depth += 1,
                b')' => depth = depth.saturating_sub(1),
                b'.' if depth == 0 => {
                    self.rest = Some(&rest[i + 1..]);
                    return Some(&rest[..i]);
                }
                _ => {}
            }
        }
        self.rest = None;
        Some(rest)
    }
}

/// The flags of one `fl_` value (`lossy.progressive:none` ⇒ `lossy`, `progressive:none`).
pub(super) fn split_flags(value: &str) -> Flags<'_> {
    Flags { rest: Some(value) }
}

/// A flag's name: the text before its first `:` (`progressive:none` ⇒ `progressive`).
pub(super) fn flag_name(flag: &str) -> &str {
    flag.split_once(':').map_or(flag, |(name, _)| name)
}

/// Every flag of a component's merged flag list, in input order.
pub(super) fn component_flags<'a, 'b>(items: &'b [Item<'a>]) -> impl Iterator<Item = &'a str> + 'b {
    items.iter().filter(|i| i.key == "fl" && i.state != State::Overridden).flat_map(|i| split_flags(i.value))
}

/// True when the component's flag list holds exactly the flag `flag`.
pub(super) fn has_flag(items: &[Item<'_>], flag: &str) -> bool {
    component_flags(items).any(|f| f == flag)
}

/// Translates the merged flag list of an ordinary component: one `pr-` token from the last
/// progressive flag, every other flag dropped (`fl_layer_apply` is structural, not dropped).
pub(super) fn flags(items: &[Item<'_>], sink: &mut Sink) {
    let mut progressive = None;
    for flag in component_flags(items) {
        match flag_name(flag) {
            "progressive" => progressive = Some(flag),
            "layer_apply" if flag == "layer_apply" => {}
            "" => sink.drop_item("fl", flag, DropReason::Invalid),
            _ => sink.drop_item("fl", flag, DropReason::Unsupported),
        }
    }
    if let Some(flag) = progressive {
        let pr = match flag {
            "progressive" | "progressive:steep" | "progressive:semi" => "true",
            "progressive:none" => "false",
            _ => return sink.drop_item("fl", flag, DropReason::Invalid),
        };
        sink.put("pr", pr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item<'a>(key: &'a str, value: &'a str, state: State) -> Item<'a> {
        Item { key, value, state }
    }

    fn run_flags(items: &[Item<'_>]) -> (String, Vec<String>) {
        let mut s = Sink::new();
        flags(items, &mut s);
        let (tr, dropped) = s.finish();
        (tr, dropped.into_iter().map(|d| format!("{}_{}:{}", d.key, d.value, d.reason)).collect())
    }

    #[test]
    fn formats() {
        for f in ["auto", "jpg", "jpeg", "png", "webp", "gif", "avif"] {
            let mut s = Sink::new();
            assert_eq!(format(f, &mut s), Ok(()));
            assert_eq!(s.finish().0, format!("f-{f}"));
        }
        for bad in ["mp4", "webm", "svg", "pdf", "PNG", ""] {
            assert_eq!(format(bad, &mut Sink::new()), Err(DropReason::Invalid), "{bad}");
        }
    }

    #[test]
    fn flag_splitting() {
        let v: Vec<_> = split_flags("lossy.progressive:none").collect();
        assert_eq!(v, ["lossy", "progressive:none"]);
        let v: Vec<_> = split_flags("splice:transition_(name_fade.x;du_2).relative").collect();
        assert_eq!(v, ["splice:transition_(name_fade.x;du_2)", "relative"]);
        let v: Vec<_> = split_flags("").collect();
        assert_eq!(v, [""]);
        let v: Vec<_> = split_flags("a..b").collect();
        assert_eq!(v, ["a", "", "b"]);
        assert_eq!(flag_name("progressive:none"), "progressive");
    }

    #[test]
    fn progressive_last_wins() {
        let items = [
            item("fl", "progressive", State::Live),
            item("w", "5", State::Live),
            item("fl", "lossy.progressive:none", State::MergedFlag),
        ];
        let (tr, dropped) = run_flags(&items);
        assert_eq!(tr, "pr-false");
        assert_eq!(dropped, ["fl_lossy:unsupported"]);
        assert_eq!(run_flags(&[item("fl", "progressive:steep", State::Live)]).0, "pr-true");
        assert_eq!(run_flags(&[item("fl", "progressive:semi", State::Live)]).0, "pr-true");
        let (tr, dropped) = run_flags(&[item("fl", "progressive:none.progressive:x", State::Live)]);
        assert_eq!(tr, "");
        assert_eq!(dropped, ["fl_progressive:x:invalid"]);
        assert!(has_flag(&items, "lossy"));
        assert!(!has_flag(&items, "layer_apply"));
    }
}
