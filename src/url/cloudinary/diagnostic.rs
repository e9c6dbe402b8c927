//! What the Cloudinary rewriter reports besides its output: the items it did not translate
//! and why, and why a path is not rewritable (spec §3.1 "Diagnostics", AMB-33). Reports are
//! informative only; they are not part of the translation output.
//!
//! Owns: [`Dropped`], [`DropReason`], [`NotRewritable`] (re-exported by the parent module).
//! Imports std only.

use std::fmt;

/// A Cloudinary item that was not translated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dropped {
    /// The Cloudinary key (`w`, `e`, `fl`, `$size`, …).
    pub key: String,
    /// The raw value (for `fl`, one flag of the flag list).
    pub value: String,
    /// Why it was not translated.
    pub reason: DropReason,
}

/// Why a Cloudinary item was not translated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DropReason {
    /// The key or value has no ImageKit counterpart (`o_50`, `e_sepia`, `fl_lossy`).
    Unsupported,
    /// The value breaks the accepted grammar or range (`w_abc`, `q_101`, `c_FILL`).
    Invalid,
    /// Part of a conditional (`if_…` … `if_end`), removed whole (AMB-29).
    Conditional,
    /// Part of an underlay group (`u_…` … `fl_layer_apply`), dropped whole (AMB-30).
    Underlay,
    /// Part of a layer group nested inside another group (D10).
    NestedLayer,
    /// A `fl_layer_apply` component that closes no layer, dropped whole (AMB-30).
    StrayLayerApply,
    /// Part of a group whose layer is typed (`l_video:`, `l_fetch:`, …) or has another role
    /// than an overlay (`fl_splice`, `e_mask`, …) (AMB-21).
    UnsupportedLayer,
    /// Part of a group whose layer source is empty, uses a variable or is a malformed text
    /// layer (AMB-21, AMB-22).
    InvalidLayer,
}

impl DropReason {
    /// Stable machine-readable name, e.g. `unsupported`.
    pub fn as_str(&self) -> &'static str {
        match self {
            DropReason::Unsupported => "unsupported",
            DropReason::Invalid => "invalid",
            DropReason::Conditional => "conditional",
            DropReason::Underlay => "underlay",
            DropReason::NestedLayer => "nested_layer",
            DropReason::StrayLayerApply => "stray_layer_apply",
            DropReason::UnsupportedLayer => "unsupported_layer",
            DropReason::InvalidLayer => "invalid_layer",
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a path is forwarded unchanged, without transformation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NotRewritable {
    /// `/<asset_type>/<delivery_type>/` with a delivery type whose content no storage
    /// origin holds (`fetch`, `youtube`, `sprite`, …); the type is given (AMB-6).
    DeliveryType(String),
    /// The public ID is empty: the path (query excluded) is empty, ends with `/`, or ends
    /// after the prefix (AMB-3).
    EmptyPublicId,
}

impl fmt::Display for NotRewritable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotRewritable::DeliveryType(t) => write!(f, "delivery type `{t}`"),
            NotRewritable::EmptyPublicId => f.write_str("empty public ID"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_names() {
        let all = [
            (DropReason::Unsupported, "unsupported"),
            (DropReason::Invalid, "invalid"),
            (DropReason::Conditional, "conditional"),
            (DropReason::Underlay, "underlay"),
            (DropReason::NestedLayer, "nested_layer"),
            (DropReason::StrayLayerApply, "stray_layer_apply"),
            (DropReason::UnsupportedLayer, "unsupported_layer"),
            (DropReason::InvalidLayer, "invalid_layer"),
        ];
        for (reason, name) in all {
            assert_eq!(reason.as_str(), name);
            assert_eq!(reason.to_string(), name);
        }
        assert_eq!(NotRewritable::DeliveryType("fetch".into()).to_string(), "delivery type `fetch`");
        assert_eq!(NotRewritable::EmptyPublicId.to_string(), "empty public ID");
    }

    #[test]
    fn dropped_items_are_reported() {
        let t = super::super::translate(
            "/image/upload/o_50,w_100,w_abc,fl_lossy.layer_apply/sample.jpg",
            &super::super::Options::default(),
        );
        let got: Vec<String> = t.dropped.iter().map(|d| format!("{}_{}:{}", d.key, d.value, d.reason)).collect();
        // fl_layer_apply with no layer: the whole component is a stray closer.
        assert_eq!(got, ["o_50:stray_layer_apply", "w_abc:stray_layer_apply", "fl_lossy:stray_layer_apply"]);
        let t = super::super::translate(
            "/image/upload/o_50,w_100,w_abc/if_w_gt_1/c_fill/if_end/a.jpg",
            &super::super::Options::default(),
        );
        let got: Vec<String> = t.dropped.iter().map(|d| format!("{}_{}:{}", d.key, d.value, d.reason)).collect();
        assert_eq!(
            got,
            ["o_50:unsupported", "w_abc:invalid", "if_w_gt_1:conditional", "c_fill:conditional", "if_end:conditional"]
        );
        assert_eq!(DropReason::NestedLayer.to_string(), "nested_layer");
    }
}
