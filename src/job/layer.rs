//! Layers (`l-image`, `l-text`, solid colour, and over a video base `l-video` and
//! `l-subtitles`) and their placement in space and, over a video, in time.
//!
//! Owns: [`Layer`], [`LayerKind`], [`LayerMode`], [`LayerPosition`], [`TextStyle`],
//! [`TextAlign`], [`SubtitleStyle`]. Pure.

use super::effect::{Color, Radius};
use super::geometry::{Dim, Focus};
use super::video::TimeValue;
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
    /// A video over a video base (`l-video,i-clip.mp4`), fetched from the same origin. Its
    /// own steps may size it (`w h`) and trim it (`so eo du`, in the layer's own time).
    Video {
        /// Origin path, starting with `/`.
        path: String,
    },
    /// An SRT or WebVTT file burned into a video base (`l-subtitles,i-subs.srt`).
    Subtitles {
        /// Origin path, starting with `/`, ending in `.srt` or `.vtt`.
        path: String,
        /// Typography of the burned text.
        style: SubtitleStyle,
    },
}

impl LayerKind {
    /// The parameter that opens a layer of this kind (`l-video`), for errors.
    pub fn key(&self) -> &'static str {
        match self {
            LayerKind::Image { .. } | LayerKind::Solid => "l-image",
            LayerKind::Text { .. } => "l-text",
            LayerKind::Video { .. } => "l-video",
            LayerKind::Subtitles { .. } => "l-subtitles",
        }
    }

    /// True for the kinds that only exist over a video base.
    pub fn needs_video_base(&self) -> bool {
        matches!(self, LayerKind::Video { .. } | LayerKind::Subtitles { .. })
    }
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
    /// Over a video base: when the layer appears, in seconds of the delivered video (`lso`).
    pub start: Option<TimeValue>,
    /// When it disappears (`leo`); wins over `ldu`.
    pub end: Option<TimeValue>,
    /// How long it stays (`ldu`), counted from `lso`.
    pub duration: Option<TimeValue>,
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

impl LayerMode {
    /// Every mode but the default, in the order ImageKit's docs list them.
    const NAMED: [LayerMode; 4] = [LayerMode::Multiply, LayerMode::Cutout, LayerMode::Cutter, LayerMode::Displace];

    /// The value after `lm-`; `None` for the default (it is never written).
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            LayerMode::Normal => None,
            LayerMode::Multiply => Some("multiply"),
            LayerMode::Cutout => Some("cutout"),
            LayerMode::Cutter => Some("cutter"),
            LayerMode::Displace => Some("displace"),
        }
    }

    /// Parse the value after `lm-`.
    pub fn parse(s: &str) -> Option<LayerMode> {
        Self::NAMED.into_iter().find(|m| m.as_str() == Some(s))
    }
}

/// Typography of a subtitles layer (ImageKit's "styling controls for subtitles layer").
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct SubtitleStyle {
    /// Font size in pixels of the output frame (`fs`).
    pub size: Option<u32>,
    /// Font (`ff`): a built-in name, or the origin path of a font file (starts with `/`).
    pub font: Option<String>,
    /// Text colour (`co`); default white.
    pub color: Option<Color>,
    /// Colour of a box behind each line (`bg`); no box by default.
    pub background: Option<Color>,
    /// Bold (`tg-b`).
    pub bold: bool,
    /// Italic (`tg-i`).
    pub italic: bool,
    /// Outline width in pixels and colour (`fol-2_blue`).
    pub outline: Option<(u32, Color)>,
    /// Shadow colour and offset in pixels (`fsh-blue_2`).
    pub shadow: Option<(Color, u32)>,
}

/// Refuse a job for an image output that holds a layer only a video base can carry
/// (`l-video`, `l-subtitles`, at any depth): a 400 naming the layer, before any fetch.
pub fn check_image_layers(steps: &[Step]) -> crate::error::Result<()> {
    for l in steps.iter().flat_map(|s| &s.layers) {
        if let LayerKind::Video { path } | LayerKind::Subtitles { path, .. } = &l.kind {
            let why = "needs a video source (an image, or a video thumbnail, cannot carry it)";
            return Err(crate::error::Error::invalid(l.kind.key(), path.as_str(), why));
        }
        check_image_layers(&l.steps)?;
    }
    Ok(())
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
