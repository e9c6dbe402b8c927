//! The structure of a layer group (spec §6, §7.1 rules 1–3; D10, AMB-20–AMB-22, AMB-30):
//! the role of each component in its group, the overlay source, and the reasons a whole
//! group produces no step — underlays, typed layers, layers with another role than an
//! overlay, invalid sources and groups nested in another group.
//!
//! Owns: [`Role`], [`Source`], [`roles`], [`classify`], [`has_other_role`]. Imports only
//! sibling modules.

use super::chain::Comp;
use super::effect::is_layer_role;
use super::format::{component_flags, flag_name};
use super::path::{Item, State};
use super::text::{self, TextLayer};
use super::DropReason;

/// Layer types other than image and text; such a group is dropped (AMB-21).
const TYPED: [&str; 7] = ["fetch:", "video:", "subtitles:", "audio:", "lut:", "private:", "authenticated:"];

/// Where a component sits in its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// The `l_` component of a multi-component group.
    Opener,
    /// Between opener and closer, outside nested groups.
    Middle,
    /// The component with `fl_layer_apply`.
    Closer,
    /// Opener and closer at once, or an unclosed opener.
    Single,
    /// Part of a group nested inside this one; dropped.
    Nested,
    /// Removed by a conditional.
    Removed,
}

/// The overlay source.
#[derive(Debug, Clone, Copy)]
pub(super) enum Source<'a> {
    /// `l_<public id>`.
    Image(&'a str),
    /// `l_text:<style>:<text>`.
    Text(TextLayer<'a>),
}

/// The role of every component of the group `opener..=end`, in input order.
pub(super) fn roles(comps: &[Comp], opener: usize, end: usize) -> Vec<(usize, Role)> {
    if opener == end {
        return vec![(opener, Role::Single)];
    }
    let mut parts = Vec::with_capacity(end - opener + 1);
    parts.push((opener, Role::Opener));
    let mut m = opener + 1;
    while m < end {
        if comps[m].removed {
            parts.push((m, Role::Removed));
            m += 1;
        } else if let Some(inner_end) = comps[m].group_end {
            // A group nested in this one: dropped with everything inside it (D10).
            for (n, comp) in comps.iter().enumerate().take(inner_end + 1).skip(m) {
                let role = if comp.removed { Role::Removed } else { Role::Nested };
                parts.push((n, role));
            }
            m = inner_end + 1;
        } else {
            parts.push((m, Role::Middle));
            m += 1;
        }
    }
    parts.push((end, Role::Closer));
    parts
}

/// Classifies an `l_` value (AMB-20, AMB-21, AMB-22).
pub(super) fn classify(value: &str) -> Result<Source<'_>, DropReason> {
    if let Some(spec) = value.strip_prefix("text:") {
        return text::parse(spec).map(Source::Text).ok_or(DropReason::InvalidLayer);
    }
    if TYPED.iter().any(|t| value.starts_with(t)) {
        return Err(DropReason::UnsupportedLayer);
    }
    if value.is_empty() || value.contains('$') {
        return Err(DropReason::InvalidLayer);
    }
    Ok(Source::Image(value))
}

/// True when a component gives its layer another role than an overlay (AMB-21).
pub(super) fn has_other_role(items: &[Item<'_>]) -> bool {
    component_flags(items).any(|f| matches!(flag_name(f), "splice" | "cutter" | "replace_image"))
        || items.iter().any(|i| i.key == "e" && i.state == State::Live && is_layer_role(i.value))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{dropped, tr};
    use super::*;

    #[test]
    fn sources() {
        assert!(matches!(classify("brand:logo.png"), Ok(Source::Image("brand:logo.png"))));
        assert!(matches!(classify("text:Arial_9:x"), Ok(Source::Text(_))));
        assert!(matches!(classify("text"), Ok(Source::Image("text"))));
        assert_eq!(classify("text:Arial:x").err(), Some(DropReason::InvalidLayer));
        assert_eq!(classify("").err(), Some(DropReason::InvalidLayer));
        assert_eq!(classify("a$b").err(), Some(DropReason::InvalidLayer));
        for typed in ["fetch:aHR0", "video:a", "subtitles:a.srt", "audio:a", "lut:a", "private:a", "authenticated:a"] {
            assert_eq!(classify(typed).err(), Some(DropReason::UnsupportedLayer), "{typed}");
        }
    }

    #[test]
    fn groups_dropped_whole() {
        assert_eq!(tr("/image/upload/w_300/l_video:intro/fl_layer_apply/a.jpg", false), "w-300");
        assert_eq!(tr("/video/upload/fl_splice,l_sunset/du_3/fl_layer_apply/clip.mp4", false), "");
        assert_eq!(tr("/image/upload/l_a/e_cut_out/fl_layer_apply/b.jpg", false), "");
        assert_eq!(tr("/image/upload/l_a/fl_layer_apply.replace_image/b.jpg", false), "");
        assert_eq!(tr("/image/upload/l_$img/b.jpg", false), "");
        assert_eq!(tr("/image/upload/l_/w_5/b.jpg", false), "w-5");
        assert_eq!(tr("/image/upload/l_text:greetings,w_300/a.jpg", false), "");
        assert_eq!(tr("/image/upload/u_paper/e_blur:300/fl_layer_apply,w_500,h_400/a.png", false), "");
        assert_eq!(
            dropped("/image/upload/u_paper/l_x/fl_layer_apply/fl_layer_apply,w_5/a.png"),
            ["u_paper:underlay", "l_x:underlay", "w_5:underlay"]
        );
        assert_eq!(
            dropped("/image/upload/l_fetch:aHR0/w_5/fl_layer_apply/a.png"),
            ["l_fetch:aHR0:unsupported_layer", "w_5:unsupported_layer"]
        );
    }

    #[test]
    fn nesting_and_conditionals_inside_groups() {
        assert_eq!(
            tr("/image/upload/l_frame.png/w_50/l_star.png/fl_layer_apply/fl_layer_apply,g_north/a.jpg", false),
            "oi-frame.png,ow-50,ofo-top"
        );
        assert_eq!(
            dropped("/image/upload/l_f.png/l_s.png,w_3/fl_layer_apply/fl_layer_apply/a.jpg"),
            ["l_s.png:nested_layer", "w_3:nested_layer"]
        );
        assert_eq!(tr("/image/upload/l_f.png/if_w_gt_5/w_7/if_end/w_9/fl_layer_apply/a.jpg", false), "oi-f.png,ow-9");
        // An unclosed opener is a single-component group; what follows is ordinary.
        assert_eq!(tr("/image/upload/l_a/w_5/a.jpg", false), "oi-a:w-5");
        assert_eq!(tr("/image/upload/l_a/l_b/fl_layer_apply,g_north/a.jpg", false), "oi-a:oi-b,ofo-top");
    }
}
