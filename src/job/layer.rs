//! Layers (`l-image`, `l-text`, solid colour) and their placement.
//!
//! Owns: [`Layer`], [`LayerKind`], [`LayerMode`], [`LayerPosition`], [`TextStyle`],
//! [`TextAlign`]. Pure.

use super::effect::{Color, Radius};
use super::geometry::{Dim, Focus};
use super::Step;

/// What a layer draws.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerKind {
    /// An image fetched from the same origin (`i-path@@to@@logo.png` ⇒ `/path/to/logo.png`).
    Image {
        /// Origin path, starting with `/`.
        path: String,
    },
    /// Text, percent-decoded once.
    Text {
        /// The text.
        text: String,
        /// Typography and box.
        style: TextStyle,
    },
    /// A solid colour block (`i-ik_canvas`).
    Solid,
}

/// Where a layer goes on its parent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LayerPosition {
    /// Left edge on the parent (`lx`), negative allowed.
    pub x: Option<Dim>,
    /// Top edge on the parent (`ly`).
    pub y: Option<Dim>,
    /// Horizontal centre on the parent (`lxc`).
    pub xc: Option<Dim>,
    /// Vertical centre on the parent (`lyc`).
    pub yc: Option<Dim>,
    /// Relative placement (`lfo`), ignored when `lx`/`ly` are present.
    pub focus: Option<Focus>,
    /// Negative offsets: `lx-N20` ⇒ x_negative.
    pub x_negative: bool,
    /// Negative `ly`.
    pub y_negative: bool,
    /// Anchor on the parent from which `lx ly lxc lyc` are measured (`lap`); `None` =
    /// ImageKit's classic coordinates (from the top-left, `N` values from the far edge).
    pub anchor: Option<Focus>,
}

/// Horizontal alignment of wrapped text (`ia`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextAlign {
    /// `left`.
    Left,
    /// `center` (default).
    #[default]
    Center,
    /// `right`.
    Right,
}

/// Text layer typography and box.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TextStyle {
    /// Font size (`fs`); default 45.
    pub size: Option<Dim>,
    /// Font: built-in name or origin path of a font file (`ff`).
    pub font: Option<String>,
    /// Text colour (`co`); default black.
    pub color: Option<Color>,
    /// Alignment (`ia`).
    pub align: TextAlign,
    /// Maximum width before wrapping (`w` inside a text layer).
    pub max_width: Option<Dim>,
    /// Padding, CSS shorthand order, 1–4 values (`pa`).
    pub padding: Vec<Dim>,
    /// Transparency 1–9 (`al`).
    pub alpha: Option<u8>,
    /// Bold (`tg-b`).
    pub bold: bool,
    /// Italic (`tg-i`).
    pub italic: bool,
    /// Box background (`bg`).
    pub background: Option<Color>,
    /// Box corner radius (`r`).
    pub radius: Option<Radius>,
    /// Line height multiplier (`lh`).
    pub line_height: Option<f64>,
}

/// How a layer meets the pixels under it (`lm`). The default covers them (source-over).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LayerMode {
    /// Source-over: the layer covers the base.
    #[default]
    Normal,
    /// `lm-multiply`: the colours multiply where the layer is opaque (never lighter).
    Multiply,
    /// `lm-cutout`: a hole punch — the base turns transparent where the layer is opaque.
    Cutout,
    /// `lm-cutter`: a cookie cutter — only the base under the layer's opaque area is kept, and
    /// the frame is cut to the layer's rectangle.
    Cutter,
    /// `lm-displace`: the layer is a displacement map (red moves pixels horizontally, green
    /// vertically). The layer's `lx`/`ly` (with `N` for negative) are then the largest
    /// displacement in pixels, not a position; the layer is placed by `lxc lyc lap lfo` only.
    Displace,
}

/// A layer: what it draws, its own chain of steps, and its position on the parent.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Image, text or solid block.
    pub kind: LayerKind,
    /// The layer's own transformation, applied before placement (size, effects, nested
    /// layers). Chains inside a layer are separate steps.
    pub steps: Vec<Step>,
    /// Placement on the parent.
    pub position: LayerPosition,
    /// How it is combined with the parent.
    pub mode: LayerMode,
}
