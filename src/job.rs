//! The pure, typed job: what the user asked for, validated, before any source is seen.
//!
//! Owns: [`Job`], [`Step`] and the parameter types in the child modules. A job is built by
//! `url` (from an ImageKit string), carried over gRPC by `service::convert`, and turned into
//! concrete pixel steps by `plan` once the source's size is known.
//!
//! May import: `error` only. Must not import tokio, wgpu, tonic/prost, ffmpeg, image, rayon —
//! so that this module can move into a `xformd-core` crate unchanged.
//!
//! # Layout
//! * `geometry` — sizes, expressions, crop strategies, focus.
//! * `effect` — trim, rotate, flip, blur, sharpen, radius, border, background, colours.
//! * `layer` — image, text, solid-colour, video and subtitle layers with their positions.
//! * `output` — format, quality and delivery flags.
//! * `video` — trimming windows for video sources.
//! * `hints` — client hints for `w-auto`/`dpr-auto`, laddered against cache-busting.

pub mod canonical;
pub mod effect;
pub mod geometry;
pub mod hints;
pub mod layer;
pub mod output;
pub mod video;

pub use effect::{
    Background, Border, Color, Distort, Effect, Flip, Gradient, Radius, Rotation, Shadow, StopPoint, Trim,
    MAX_DISTORT_COORD,
};
pub use geometry::{AspectRatio, BinOp, Crop, Dim, Dpr, Expr, ExprToken, Focus, Var};
pub use hints::{Hints, JobHints};
pub use layer::{Layer, LayerKind, LayerMode, LayerPosition, SubtitleStyle, TextAlign, TextStyle};
pub use output::{Format, Output};
pub use video::{TimeValue, VideoParams};

/// Which backend the client prefers; `Auto` lets the daemon decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendPref {
    /// The daemon picks (GPU when present and worthwhile).
    #[default]
    Auto,
    /// Force the CPU backend.
    Cpu,
    /// Prefer the GPU backend (falls back to the CPU, recorded, when it cannot run).
    Gpu,
}

/// One transformation request: a source and a chain of steps, plus output settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Job {
    /// Origin path of the source, always starting with `/`, never containing `..`.
    pub source: String,
    /// Chain steps in order (ImageKit `:`-separated steps).
    pub steps: Vec<Step>,
    /// Output encoding and delivery.
    pub output: Output,
    /// Backend preference of the client.
    pub backend: BackendPref,
    /// True when the source is a video and the request asks for a still frame
    /// (`/video.mp4/ik-thumbnail.jpg`).
    pub thumbnail: bool,
}

/// Size, crop and position parameters of one step (`w h ar dpr c cm fo x y xc yc z`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resize {
    /// Requested width (`w`).
    pub width: Option<Dim>,
    /// Requested height (`h`).
    pub height: Option<Dim>,
    /// Aspect ratio (`ar`), only meaningful with exactly one of width / height.
    pub aspect: Option<AspectRatio>,
    /// Device pixel ratio (`dpr`).
    pub dpr: Option<Dpr>,
    /// Crop strategy (`c`) or crop mode (`cm`); `cm` wins when both are given.
    pub crop: Option<Crop>,
    /// Focus (`fo`).
    pub focus: Option<Focus>,
    /// Extract region top-left x (`x`).
    pub x: Option<Dim>,
    /// Extract region top-left y (`y`).
    pub y: Option<Dim>,
    /// Extract region centre x (`xc`).
    pub xc: Option<Dim>,
    /// Extract region centre y (`yc`).
    pub yc: Option<Dim>,
    /// Zoom around a detected face (`z`).
    pub zoom: Option<f64>,
}

impl Resize {
    /// True when no size or crop parameter was given.
    pub fn is_empty(&self) -> bool {
        *self == Resize::default()
    }
}

/// One chain step: every parameter the user wrote between two `:`. The engine order inside
/// a step is fixed (spec §1.3): trim → resize/crop → rotate → flip → blur/effects → radius →
/// border → background/opacity → layers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Step {
    /// Trim near-uniform borders (`t`).
    pub trim: Option<Trim>,
    /// Size, crop, focus.
    pub resize: Resize,
    /// Rotation (`rt`).
    pub rotate: Option<Rotation>,
    /// Mirror (`fl`).
    pub flip: Option<Flip>,
    /// Gaussian blur radius 1–100 (`bl`).
    pub blur: Option<u32>,
    /// Effects in URL order (`e-…`).
    pub effects: Vec<Effect>,
    /// Rounded corners (`r`).
    pub radius: Option<Radius>,
    /// Border (`b`).
    pub border: Option<Border>,
    /// Background for padding, corners and transparency (`bg`).
    pub background: Option<Background>,
    /// Output opacity 0–100 (`o`).
    pub opacity: Option<u8>,
    /// Layers in URL order (`l-… … l-end`, and normalised legacy `oi-`/`ot-`).
    pub layers: Vec<Layer>,
    /// Video trimming and codec parameters (`so eo du ac vc`).
    pub video: VideoParams,
}

impl Step {
    /// True when the step asks for nothing.
    pub fn is_empty(&self) -> bool {
        *self == Step::default()
    }
}
