//! Component ⇒ step algorithm (spec §3.1, §6): per-component last-wins de-duplication,
//! conditional removal (AMB-29), layer bracket matching (D10, AMB-30) and step assembly.
//!
//! Owns: [`Comp`] and [`run`]. Ordinary components go to `item`, layer groups to `overlay`.
//! Imports only sibling modules.

use std::ops::Range;

use super::format::{has_flag, split_flags};
use super::path::{Item, State};
use super::sink::Sink;
use super::{item, overlay, Ctx, DropReason};

/// The conditional role of a component (after de-duplication it has at most one `if_`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cond {
    /// No `if_` item.
    None,
    /// `if_<condition>`: starts a conditional.
    Start,
    /// `if_else`.
    Else,
    /// `if_end`.
    End,
}

/// Whether a component opens a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layer {
    /// No `l_` or `u_` item.
    None,
    /// An `l_` item: an overlay.
    Overlay,
    /// A `u_` item: an underlay, dropped as a whole.
    Underlay,
}

/// One transformation component with what the structural passes found out about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Comp {
    /// Its items in the shared item list.
    pub(super) items: Range<usize>,
    /// Removed as part of a conditional (pass 1).
    pub(super) removed: bool,
    /// For an opener: the index of the component that closes its group (itself for the
    /// single-component form).
    pub(super) group_end: Option<usize>,
    /// A closer that no opener precedes (pass 2).
    pub(super) stray: bool,
    /// Its `if_` role.
    pub(super) cond: Cond,
    /// Its layer role.
    pub(super) layer: Layer,
    /// Carries `fl_layer_apply`.
    pub(super) closer: bool,
}

impl Comp {
    /// A component over `items`, roles not yet known.
    pub(super) fn new(items: Range<usize>) -> Self {
        Comp {
            items,
            removed: false,
            group_end: None,
            stray: false,
            cond: Cond::None,
            layer: Layer::None,
            closer: false,
        }
    }
}

/// Translates all components into `sink`, one step per ordinary component or layer group.
pub(super) fn run(items: &mut [Item<'_>], comps: &mut [Comp], ctx: &Ctx, sink: &mut Sink) {
    let mut structural = false;
    for comp in comps.iter_mut() {
        dedup(&mut items[comp.items.clone()]);
        describe(items, comp);
        structural |= comp.cond != Cond::None || comp.layer != Layer::None || comp.closer;
    }
    if structural {
        remove_conditionals(comps);
        match_brackets(comps);
    }
    let comps: &[Comp] = comps;
    let items: &[Item<'_>] = items;
    let mut k = 0;
    while k < comps.len() {
        let comp = &comps[k];
        let own = &items[comp.items.clone()];
        if comp.removed {
            drop_component(own, DropReason::Conditional, sink);
        } else if let Some(end) = comp.group_end {
            overlay::group(items, comps, k, end, ctx, sink);
            sink.end_step();
            k = end + 1;
            continue;
        } else if comp.stray {
            drop_component(own, DropReason::StrayLayerApply, sink);
        } else {
            item::component(own, ctx, sink);
            sink.end_step();
        }
        k += 1;
    }
}

/// Last-wins de-duplication inside one component (AMB-15); all `fl_` items merge into the
/// first one (AMB-16).
fn dedup(items: &mut [Item<'_>]) {
    let mut seen_flags = false;
    for i in 0..items.len() {
        let key = items[i].key;
        items[i].state = if key == "fl" {
            let state = if seen_flags { State::MergedFlag } else { State::Live };
            seen_flags = true;
            state
        } else if items[i + 1..].iter().any(|later| later.key == key) {
            State::Overridden
        } else {
            State::Live
        };
    }
}

/// Reads the structural roles of a de-duplicated component.
fn describe(items: &[Item<'_>], comp: &mut Comp) {
    let own = &items[comp.items.clone()];
    let live = |key: &str| own.iter().find(|i| i.key == key && i.state == State::Live);
    let cond = match live("if").map(|i| i.value) {
        None => Cond::None,
        Some("else") => Cond::Else,
        Some("end") => Cond::End,
        Some(_) => Cond::Start,
    };
    comp.layer = if live("u").is_some() {
        Layer::Underlay
    } else if live("l").is_some() {
        Layer::Overlay
    } else {
        Layer::None
    };
    comp.cond = cond;
    comp.closer = has_flag(own, "layer_apply");
}

/// Pass 1 (AMB-29): removes block conditionals `if_<cond>` … `if_end`, one-component
/// conditionals with an optional following `if_else` component, and stray markers.
fn remove_conditionals(comps: &mut [Comp]) {
    let n = comps.len();
    let mut i = 0;
    while i < n {
        match comps[i].cond {
            Cond::Start => {
                let end = comps[i + 1..]
                    .iter()
                    .position(|c| matches!(c.cond, Cond::Start | Cond::End))
                    .map(|p| i + 1 + p)
                    .filter(|&j| comps[j].cond == Cond::End);
                if let Some(j) = end {
                    comps[i..=j].iter_mut().for_each(|c| c.removed = true);
                    i = j + 1;
                    continue;
                }
                comps[i].removed = true;
                if i + 1 < n && comps[i + 1].cond == Cond::Else {
                    comps[i + 1].removed = true;
                    i += 2;
                    continue;
                }
            }
            Cond::Else | Cond::End => comps[i].removed = true,
            Cond::None => {}
        }
        i += 1;
    }
}

/// Pass 2 (D10): a closer closes the innermost open layer; an unclosed opener is a
/// single-component group; a closer without an opener is stray.
fn match_brackets(comps: &mut [Comp]) {
    let mut open: Vec<usize> = Vec::new();
    for k in 0..comps.len() {
        if comps[k].removed {
            continue;
        }
        if comps[k].layer != Layer::None {
            if comps[k].closer {
                comps[k].group_end = Some(k);
            } else {
                open.push(k);
            }
        } else if comps[k].closer {
            match open.pop() {
                Some(opener) => comps[opener].group_end = Some(k),
                None => comps[k].stray = true,
            }
        }
    }
    for k in open {
        comps[k].group_end = Some(k);
    }
}

/// Records every item of a component as dropped, flag by flag; overridden items and the
/// structural `fl_layer_apply` are not "dropped" (AMB-33).
pub(super) fn drop_component(items: &[Item<'_>], reason: DropReason, sink: &mut Sink) {
    for item in items.iter().filter(|i| i.state != State::Overridden) {
        if item.key == "fl" {
            for flag in split_flags(item.value).filter(|&f| f != "layer_apply") {
                sink.drop_item("fl", flag, reason);
            }
        } else {
            sink.drop_item(item.key, item.value, reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(cond: Cond, layer: Layer, closer: bool) -> Comp {
        Comp { cond, layer, closer, ..Comp::new(0..0) }
    }

    fn removed(conds: &[Cond]) -> Vec<bool> {
        let mut comps: Vec<Comp> = conds.iter().map(|&c| comp(c, Layer::None, false)).collect();
        remove_conditionals(&mut comps);
        comps.iter().map(|c| c.removed).collect()
    }

    #[test]
    fn conditionals() {
        use Cond::{Else, End, None as N, Start};
        assert_eq!(removed(&[Start, N, End, N]), [true, true, true, false]);
        assert_eq!(removed(&[Start, Else, N]), [true, true, false]);
        assert_eq!(removed(&[Start, N, N]), [true, false, false]);
        assert_eq!(removed(&[Start, Else, N, End]), [true, true, true, true]);
        assert_eq!(removed(&[Start, Start, End]), [true, true, true]);
        assert_eq!(removed(&[Else, N, End]), [true, false, true]);
        assert_eq!(removed(&[Start, Start, Else]), [true, true, true]);
    }

    fn groups(spec: &[(Layer, bool)]) -> Vec<(Option<usize>, bool)> {
        let mut comps: Vec<Comp> = spec.iter().map(|&(l, c)| comp(Cond::None, l, c)).collect();
        match_brackets(&mut comps);
        comps.iter().map(|c| (c.group_end, c.stray)).collect()
    }

    #[test]
    fn brackets() {
        use Layer::{None as N, Overlay as O};
        // l_frame / w_50 / l_star / apply / apply,g_north
        assert_eq!(
            groups(&[(O, false), (N, false), (O, false), (N, true), (N, true)]),
            [(Some(4), false), (None, false), (Some(3), false), (None, false), (None, false)]
        );
        // stray closer, unclosed opener, opener+closer in one component
        assert_eq!(
            groups(&[(N, true), (O, false), (N, false), (O, true)]),
            [(None, true), (Some(1), false), (None, false), (Some(3), false)]
        );
    }

    #[test]
    fn last_wins_and_flag_merge() {
        let mut items = [
            Item { key: "w", value: "100", state: State::Live },
            Item { key: "fl", value: "a", state: State::Live },
            Item { key: "h", value: "50", state: State::Live },
            Item { key: "w", value: "200", state: State::Live },
            Item { key: "fl", value: "b", state: State::Live },
        ];
        dedup(&mut items);
        let states: Vec<State> = items.iter().map(|i| i.state).collect();
        use State::{Live, MergedFlag, Overridden};
        assert_eq!(states, [Overridden, Live, Live, Live, MergedFlag]);
    }

    fn e2e(input: &str) -> String {
        super::super::translate(input, &super::super::Options::default()).tr
    }

    #[test]
    fn structural_passes_end_to_end() {
        assert_eq!(e2e("/image/upload/if_w_gt_800/w_800/if_end/w_200/a.jpg"), "w-200");
        assert_eq!(e2e("/image/upload/u_paper/fl_layer_apply,w_500/a.png"), "");
        assert_eq!(e2e("/image/upload/w_100,h_50,w_200/a.jpg"), "h-50,w-200");
        assert_eq!(e2e("/image/upload/w_100,w_xyz/a.jpg"), "");
        assert_eq!(e2e("/image/upload/e_sepia/w_300/e_blur:5000/a.jpg"), "w-300");
    }
}
