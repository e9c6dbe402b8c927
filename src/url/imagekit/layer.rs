//! Layer parameters (spec §7.1–§7.3): input `i`/`ie`, position `lx ly lxc lyc lfo lap`, mode `lm`,
//! timing over a video base `lso leo ldu`, text typography `fs ff co ia w pa al tg bg r lh`,
//! and building the finished [`Layer`]; subtitles styling is in `subtitle`.
//!
//! Owns: [`LayerInfo`] (what a `l-<type> … l-end` span says about the layer as a whole) and
//! the layer-only keys. May import `job`, `error`, percent-encoding.
//!
//! # Format
//! ```text
//! l-image,i-path@@to@@logo.png,w-100,lx-N20,ly-10,l-end      l-image,i-ik_canvas,bg-red,w-10,h-10,l-end
//! l-text,i-Hello%20World,fs-45,ff-Roboto,co-FFFFFF,tg-b_i,pa-10_20,lfo-bottom,l-end
//! l-text,ie-aGVsbG8%3D,l-end
//! l-video,i-clips@@logo.mp4,w-bw_mul_0.25,lfo-top_right,lso-1,ldu-2,so-0.5,l-end
//! l-subtitles,i-subs@@en.srt,co-yellow,fs-24,l-end
//! ```
//! A video layer takes `lso leo ldu` (when it shows, in the base's delivered time; `leo` wins
//! over `ldu`, spec §7.2) and its own trim `so eo du` (the SDK: "all other video
//! transformations are supported" inside a video overlay). A subtitles layer takes only its
//! input and styling: libass places the lines at the bottom centre and the file times them.
//! Image layers trim by default (spec §7.3): the parser writes `t-true` into the layer's first
//! step unless `t-…` was given, so the job states it explicitly. In a text layer, `w`, `bg`
//! and `r` of the first step style the text box; later steps are ordinary image steps.

use super::chain::StepState;
use super::input::base64_text;
use super::number::{decode_text, dim, integer, rewrap, DimRules};
use super::{size, subtitle, video};
use crate::error::{Error, ErrorKind, Result};
use crate::job::{
    Background, Color, Focus, Layer, LayerKind, LayerMode, LayerPosition, Step, SubtitleStyle, TextStyle, Trim,
};

/// The layer types this engine renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LayerType {
    /// `l-image` (also solid colour blocks, `i-ik_canvas`).
    Image,
    /// `l-text`.
    Text,
    /// `l-video` (video base only).
    Video,
    /// `l-subtitles` (video base only).
    Subtitles,
}

/// Layer-wide parameters collected while the span's steps are parsed.
#[derive(Debug)]
pub(super) struct LayerInfo {
    ty: LayerType,
    input: Option<String>,
    input_b64: Option<String>,
    position: LayerPosition,
    mode: LayerMode,
    style: TextStyle,
    subtitle: SubtitleStyle,
    alpha: Option<u8>,
    co_named: bool,
    bg_named: bool,
}

// Text-layer typography (`fs ff co ia w pa tg lh`, and `w bg r` of the box).
mod typography;

/// Plain text longer than this is truncated (spec §7.1); base64 input: see `input`.
const MAX_TEXT_CHARS: usize = 2000;

const XY: DimRules = DimRules { fraction: false, auto: false, zero: true };
const LEN: DimRules = DimRules { fraction: false, auto: false, zero: false };

/// True for keys that only make sense inside a layer.
pub(super) fn is_layer_key(key: &str) -> bool {
    matches!(
        key,
        "i" | "ie"
            | "lx"
            | "ly"
            | "lxc"
            | "lyc"
            | "lfo"
            | "lap"
            | "lm"
            | "al"
            | "fs"
            | "ff"
            | "co"
            | "ia"
            | "pa"
            | "tg"
            | "lh"
            | "lso"
            | "leo"
            | "ldu"
            | "fol"
            | "fsh"
    )
}

/// Apply a layer-level parameter. Returns `Ok(false)` when `key` is an ordinary step key.
pub(super) fn apply(key: &str, value: &str, info: &mut LayerInfo, st: &mut StepState, first: bool) -> Result<bool> {
    if info.ty == LayerType::Subtitles {
        return match key {
            "i" | "ie" => Ok(input(key, value, info)),
            _ => subtitle::apply(key, value, &mut info.subtitle),
        };
    }
    let pos = &mut info.position;
    match key {
        "i" | "ie" => return Ok(input(key, value, info)),
        "lx" | "ly" => {
            let (neg, v) = value.strip_prefix('N').map_or((false, value), |v| (true, v));
            let d = dim(key, v, XY).map_err(|e| rewrap(e, key, value))?;
            if key == "lx" {
                (pos.x, pos.x_negative) = (Some(d), neg);
            } else {
                (pos.y, pos.y_negative) = (Some(d), neg);
            }
        }
        "lxc" => pos.xc = Some(dim(key, value, XY)?),
        "lyc" => pos.yc = Some(dim(key, value, XY)?),
        "lfo" => pos.focus = Some(if value == "face" { Focus::Face } else { size::focus(key, value, false)? }),
        "lap" => pos.anchor = Some(size::focus(key, value, false)?),
        "lm" => {
            info.mode = LayerMode::parse(value)
                .ok_or_else(|| Error::invalid(key, value, "layer mode is multiply, cutout, cutter or displace"))?;
        }
        "al" => info.alpha = Some(u8::try_from(integer(key, value, 1, 9)?).unwrap_or(9)),
        _ if info.ty == LayerType::Text => return typography::apply(key, value, info, st, first),
        _ if info.ty == LayerType::Video => return video_layer(key, value, info, st),
        _ => return Ok(false),
    }
    Ok(true)
}

fn input(key: &str, value: &str, info: &mut LayerInfo) -> bool {
    if key == "i" {
        info.input = Some(value.to_owned());
    } else {
        info.input_b64 = Some(value.to_owned());
    }
    true
}

/// Video-layer keys: timing on the base (`lso leo ldu`) and the layer's own trim (`so eo du`).
fn video_layer(key: &str, value: &str, info: &mut LayerInfo, st: &mut StepState) -> Result<bool> {
    let pos = &mut info.position;
    match key {
        "lso" => pos.start = Some(video::time(key, value)?),
        "leo" => pos.end = Some(video::time(key, value)?),
        "ldu" => pos.duration = Some(video::time(key, value)?),
        "so" | "eo" | "du" => return video::apply(key, value, &mut st.step.video),
        _ => return Ok(false),
    }
    Ok(true)
}

impl LayerInfo {
    /// A fresh layer of type `ty`.
    pub(super) fn new(ty: LayerType) -> Self {
        LayerInfo {
            ty,
            input: None,
            input_b64: None,
            position: LayerPosition::default(),
            mode: LayerMode::Normal,
            style: TextStyle::default(),
            subtitle: SubtitleStyle::default(),
            alpha: None,
            co_named: false,
            bg_named: false,
        }
    }

    /// The layer's type.
    pub(super) fn ty(&self) -> LayerType {
        self.ty
    }

    /// The opening parameter, for errors.
    pub(super) fn key(&self) -> &'static str {
        match self.ty {
            LayerType::Image => "l-image",
            LayerType::Text => "l-text",
            LayerType::Video => "l-video",
            LayerType::Subtitles => "l-subtitles",
        }
    }

    /// Called when one of the layer's steps is complete.
    pub(super) fn finish_step(&mut self, st: &mut StepState, first: bool) -> Result<()> {
        if first {
            self.bg_named = st.bg_named;
        }
        Ok(())
    }

    /// The finished layer.
    pub(super) fn build(mut self, mut steps: Vec<Step>) -> Result<Layer> {
        let kind = match self.ty {
            LayerType::Text => {
                let text = self.text()?;
                let s = &mut self.style;
                let color_sets_alpha = self.co_named || s.color.is_some_and(|c| c.opacity_pct.is_some());
                s.alpha = if color_sets_alpha { None } else { self.alpha };
                LayerKind::Text { text, style: self.style.clone() }
            }
            LayerType::Image => {
                let raw = self.raw_input()?;
                if raw == "ik_canvas" {
                    if let Some(al) = self.alpha {
                        solid_alpha(&mut steps, al, self.bg_named);
                    }
                    LayerKind::Solid
                } else {
                    if let Some(al) = self.alpha {
                        return Err(Error::invalid(
                            "al",
                            al.to_string(),
                            "al only applies to text and solid-colour layers",
                        ));
                    }
                    let key = if self.input_b64.is_some() { "ie" } else { "i" };
                    let path = super::media_path(key, &raw)?;
                    if steps.is_empty() {
                        steps.push(Step::default());
                    }
                    steps[0].trim.get_or_insert(Trim::Default);
                    LayerKind::Image { path }
                }
            }
            LayerType::Video | LayerType::Subtitles => {
                if let Some(al) = self.alpha {
                    return Err(Error::invalid(
                        "al",
                        al.to_string(),
                        "al only applies to text and solid-colour layers",
                    ));
                }
                let key = if self.input_b64.is_some() { "ie" } else { "i" };
                let raw = self.raw_input()?;
                let path = super::media_path(key, &raw)?;
                if self.ty == LayerType::Subtitles {
                    subtitle::check_input(key, &raw, &path)?;
                    LayerKind::Subtitles { path, style: self.subtitle.clone() }
                } else {
                    LayerKind::Video { path }
                }
            }
        };
        let p = &mut self.position;
        if p.end.is_some() {
            // `leo` wins over `ldu` (spec §7.2): keep only what takes effect.
            p.duration = None;
        }
        // A displacement map's `lx`/`ly` are its strength, so only `lxc lyc lap lfo` place it.
        let displace = self.mode == LayerMode::Displace;
        if displace && p.x.is_none() && p.y.is_none() {
            return Err(Error::invalid("lm", "displace", "lm-displace needs lx or ly: the largest displacement"));
        }
        let edges = !displace && (p.x.is_some() || p.y.is_some());
        if !displace && ((p.x.is_some() && p.xc.is_some()) || (p.y.is_some() && p.yc.is_some())) {
            return Err(Error::invalid("lxc", "", "lxc/lyc cannot be combined with lx/ly"));
        }
        let placed = edges || p.xc.is_some() || p.yc.is_some();
        if placed || p.focus == Some(Focus::Center) {
            p.focus = None;
        }
        if !placed {
            p.anchor = None;
        }
        if self.mode != LayerMode::Normal && matches!(kind, LayerKind::Video { .. } | LayerKind::Subtitles { .. }) {
            return Err(Error::new(ErrorKind::Unsupported, "layer modes apply to image, text and solid-colour layers")
                .with_param("lm", self.mode.as_str().unwrap_or_default()));
        }
        Ok(Layer { kind, steps, position: self.position, mode: self.mode })
    }

    /// The input text: `ie` (base64) wins over `i`; truncated as documented.
    fn text(&self) -> Result<String> {
        let t = match &self.input_b64 {
            Some(_) => self.raw_input()?,
            None => decode_text("i", self.input.as_deref().unwrap_or_default())?,
        };
        Ok(match t.char_indices().nth(MAX_TEXT_CHARS) {
            Some((i, _)) => t[..i].to_owned(),
            None => t,
        })
    }

    /// `ie` decoded, or `i` as written (not yet percent-decoded).
    fn raw_input(&self) -> Result<String> {
        match (&self.input_b64, &self.input) {
            (Some(b), _) => base64_text(b),
            (None, Some(i)) => Ok(i.clone()),
            (None, None) => Err(Error::invalid(self.key(), "", "a layer needs an input: i-… or ie-…")),
        }
    }
}

/// `al` of a solid block: the colour's own alpha wins, a named colour ignores `al` (§7.3).
fn solid_alpha(steps: &mut Vec<Step>, al: u8, bg_named: bool) {
    if steps.is_empty() {
        steps.push(Step::default());
    }
    let bg = &mut steps[0].background;
    let pct = Some(al * 10);
    match bg {
        None => *bg = Some(Background::Color(Color { opacity_pct: pct, ..Color::BLACK })),
        Some(Background::Color(c)) if c.opacity_pct.is_none() && !bg_named => c.opacity_pct = pct,
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solid_alpha_rules() {
        let with = |bg: Option<Background>, named| {
            let mut steps = vec![Step { background: bg, ..Step::default() }];
            solid_alpha(&mut steps, 4, named);
            steps[0].background
        };
        let c = |o| Some(Background::Color(Color { rgb: [1, 2, 3], opacity_pct: o }));
        assert_eq!(with(c(None), false), c(Some(40)), "al applies to a hex colour");
        assert_eq!(with(c(Some(70)), false), c(Some(70)), "the colour's own alpha wins");
        assert_eq!(with(c(None), true), c(None), "named colours ignore al");
        assert_eq!(with(None, false), Some(Background::Color(Color { opacity_pct: Some(40), ..Color::BLACK })));
    }
}
