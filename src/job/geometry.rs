//! Sizes, arithmetic expressions, crop strategies and focus.
//!
//! Owns: [`Dim`], [`AspectRatio`], [`Dpr`], [`Crop`], [`Focus`]; the expressions ([`Expr`],
//! [`Var`], [`BinOp`], [`ExprToken`]) live in `expr` and are re-exported here. Pure; imports
//! nothing else in the crate.

mod expr;

pub use expr::{BinOp, Expr, ExprToken, Var};

/// A length as the user wrote it; resolved to pixels by `plan` once sizes are known.
#[derive(Debug, Clone, PartialEq)]
pub enum Dim {
    /// Pixels (already rounded; ≥ 1).
    Px(u32),
    /// A fraction in (0, 1) of the input size along the same axis (`w-0.4`).
    Fraction(f64),
    /// An arithmetic expression (`iw_div_2`).
    Expr(Expr),
    /// Taken from client hints (`w-auto`, `Sec-CH-Width`).
    Auto,
}

/// Aspect ratio `ar-a-b` or an expression (`ar-iar_div_2`).
#[derive(Debug, Clone, PartialEq)]
pub enum AspectRatio {
    /// `a : b`, both positive.
    Ratio(f64, f64),
    /// An expression giving width / height.
    Expr(Expr),
}

/// Device pixel ratio.
#[derive(Debug, Clone, PartialEq)]
pub enum Dpr {
    /// A fixed ratio 0.1–5.
    Value(f64),
    /// From the `Sec-CH-DPR` client hint.
    Auto,
    /// An arithmetic expression (`dpr-iar_mul_2`), evaluated by the planner; the result must
    /// lie in 0.1–5.
    Expr(Expr),
}

/// Crop strategy (`c-…`) or crop mode (`cm-…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crop {
    /// `c-maintain_ratio`: cover then cut (default).
    MaintainRatio,
    /// `c-maintain_ratio_no_enlarge`.
    MaintainRatioNoEnlarge,
    /// `c-force`: exact size, distorting.
    Force,
    /// `c-at_max`: fit inside, never enlarge.
    AtMax,
    /// `c-at_max_enlarge`: fit inside, may enlarge.
    AtMaxEnlarge,
    /// `c-at_least`: cover, no cut.
    AtLeast,
    /// `cm-pad_resize`: fit inside, pad to the exact box.
    PadResize,
    /// `cm-pad_resize_no_enlarge`.
    PadResizeNoEnlarge,
    /// `cm-extract`: cut without scaling.
    Extract,
    /// `cm-pad_extract`: cut, pad when larger than the input.
    PadExtract,
    /// `cm-pad_extract_no_shrink`.
    PadExtractNoShrink,
}

impl Crop {
    /// True for the `cm-` family (crop modes), false for `c-` (crop strategies).
    pub fn is_mode(self) -> bool {
        matches!(
            self,
            Crop::PadResize | Crop::PadResizeNoEnlarge | Crop::Extract | Crop::PadExtract | Crop::PadExtractNoShrink
        )
    }

    /// The value as written after `c-` / `cm-`.
    pub fn as_str(self) -> &'static str {
        match self {
            Crop::MaintainRatio => "maintain_ratio",
            Crop::MaintainRatioNoEnlarge => "maintain_ratio_no_enlarge",
            Crop::Force => "force",
            Crop::AtMax => "at_max",
            Crop::AtMaxEnlarge => "at_max_enlarge",
            Crop::AtLeast => "at_least",
            Crop::PadResize => "pad_resize",
            Crop::PadResizeNoEnlarge => "pad_resize_no_enlarge",
            Crop::Extract => "extract",
            Crop::PadExtract => "pad_extract",
            Crop::PadExtractNoShrink => "pad_extract_no_shrink",
        }
    }
}

/// Focus / gravity (`fo-…`, `lfo-…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Focus {
    /// `center` (default).
    Center,
    /// `top`.
    Top,
    /// `bottom`.
    Bottom,
    /// `left`.
    Left,
    /// `right`.
    Right,
    /// `top_left`.
    TopLeft,
    /// `top_right`.
    TopRight,
    /// `bottom_left`.
    BottomLeft,
    /// `bottom_right`.
    BottomRight,
    /// `auto`: the most salient region.
    Auto,
    /// `face`: detected face(s).
    Face,
    /// `custom`: a focus area stored with the asset.
    Custom,
    /// A COCO object name (`person`, `car`, …).
    Object(String),
}

impl Focus {
    /// Relative anchor in [0,1]² for the nine relative positions; `None` for detectors.
    pub fn anchor(&self) -> Option<(f64, f64)> {
        Some(match self {
            Focus::Center => (0.5, 0.5),
            Focus::Top => (0.5, 0.0),
            Focus::Bottom => (0.5, 1.0),
            Focus::Left => (0.0, 0.5),
            Focus::Right => (1.0, 0.5),
            Focus::TopLeft => (0.0, 0.0),
            Focus::TopRight => (1.0, 0.0),
            Focus::BottomLeft => (0.0, 1.0),
            Focus::BottomRight => (1.0, 1.0),
            _ => return None,
        })
    }
}
