//! The chain grammar (spec §1.2, §6 `n`, §7.1): named-transformation expansion, steps at raw
//! `:`, parameters at raw `,`, layer spans `l-<type> … l-end` (nesting ≤ 3, `:` inside a span
//! separates the layer's own steps), and dispatch of each `key-value` to its family file.
//!
//! Owns: [`parse`] (chain text → steps + job-wide output). May import `job`, `error`.
//!
//! # Format
//! ```text
//! chain = step *( ":" step )          step  = param *( "," param )
//! param = key "-" value | "l-image" | "l-text" | "l-video" | "l-subtitles" | "l-end"
//! ```
//! Splitting happens before any percent-decoding, so `%3A`/`%2C` in a text value never split.

use super::layer::{LayerInfo, LayerType};
use super::size::Where;
use super::{background, border, effect, layer, legacy, output, size, video, ParseOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::job::{Background, Crop, Dpr, Focus, Output, Step, Trim};

/// Deepest layer nesting (spec §7.1).
const MAX_LAYER_DEPTH: usize = 3;
/// Deepest named-transformation nesting, and the longest expansion accepted.
const MAX_NAMED_DEPTH: usize = 8;
const MAX_EXPANDED_LEN: usize = 64 * 1024;

/// Parse a transformation string into steps and the job-wide output settings.
pub(super) fn parse(tr: &str, opts: &ParseOptions<'_>) -> Result<(Vec<Step>, Output)> {
    let expanded = expand_named(tr, opts, 0)?;
    let mut toks = Vec::new();
    for (i, step) in expanded.split(':').enumerate() {
        if i > 0 {
            toks.push(Tok::Sep);
        }
        for p in step.split(',') {
            if p.is_empty() {
                return Err(Error::invalid("tr", tr, "empty parameter (doubled or trailing ',' or ':')"));
            }
            toks.push(Tok::Param(p));
        }
    }
    let mut parser = Parser { toks, pos: 0, output: Output::default() };
    let steps = parser.steps(None, 0)?;
    Ok((steps, parser.output))
}

/// Replace every `n-<name>` parameter by its stored string, textually and in place (D8).
fn expand_named(tr: &str, opts: &ParseOptions<'_>, depth: usize) -> Result<String> {
    if !tr.split([':', ',']).any(|p| p.starts_with("n-")) {
        return Ok(tr.to_owned());
    }
    let mut out = String::with_capacity(tr.len());
    for (i, step) in tr.split(':').enumerate() {
        if i > 0 {
            out.push(':');
        }
        for (j, p) in step.split(',').enumerate() {
            if j > 0 {
                out.push(',');
            }
            let Some(name) = p.strip_prefix("n-") else {
                out.push_str(p);
                continue;
            };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(Error::invalid("n", name, "a name is letters, digits and '_'"));
            }
            if depth >= MAX_NAMED_DEPTH {
                return Err(Error::invalid("n", name, "named transformations nest too deeply"));
            }
            let stored = (opts.named)(name).ok_or_else(|| Error::invalid("n", name, "unknown named transformation"))?;
            if stored.is_empty() {
                return Err(Error::invalid("n", name, "named transformation is empty"));
            }
            out.push_str(&expand_named(&stored, opts, depth + 1)?);
            if out.len() > MAX_EXPANDED_LEN {
                return Err(Error::invalid("n", name, "expanded transformation is too long"));
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy)]
enum Tok<'a> {
    Param(&'a str),
    Sep,
}

struct Parser<'a> {
    toks: Vec<Tok<'a>>,
    pos: usize,
    output: Output,
}

/// A step being assembled, with the legacy overlay parameters seen in it.
#[derive(Default)]
pub(super) struct StepState {
    pub(super) step: Step,
    pub(super) legacy: legacy::Legacy,
    /// True when `bg` was given as a CSS name (layers: `al` is then ignored, spec §5.1).
    pub(super) bg_named: bool,
}

impl<'a> Parser<'a> {
    /// Steps until the end of input (base) or the matching `l-end` (inside `layer`).
    fn steps(&mut self, mut layer: Option<&mut LayerInfo>, depth: usize) -> Result<Vec<Step>> {
        let mut steps = Vec::new();
        let mut st = StepState::default();
        loop {
            let tok = self.toks.get(self.pos).copied();
            self.pos += 1;
            match tok {
                None => {
                    if let Some(info) = layer {
                        return Err(Error::invalid(info.key(), "", "layer is not closed with l-end"));
                    }
                    self.finish(st, None, &mut steps)?;
                    return Ok(steps);
                }
                Some(Tok::Sep) => {
                    self.finish(std::mem::take(&mut st), layer.as_deref_mut(), &mut steps)?;
                }
                Some(Tok::Param("l-end")) => {
                    let Some(info) = layer else {
                        return Err(Error::invalid("l", "end", "l-end without an open layer"));
                    };
                    self.finish(st, Some(info), &mut steps)?;
                    return Ok(steps);
                }
                Some(Tok::Param(p)) if p.starts_with("l-") => {
                    let ty = match &p[2..] {
                        "image" => LayerType::Image,
                        "text" => LayerType::Text,
                        "video" => LayerType::Video,
                        "subtitles" => LayerType::Subtitles,
                        t => return Err(Error::invalid("l", t, "unknown layer type")),
                    };
                    if depth >= MAX_LAYER_DEPTH {
                        return Err(Error::invalid("l", &p[2..], "layers nest at most 3 levels"));
                    }
                    let mut info = LayerInfo::new(ty);
                    let layer_steps = self.steps(Some(&mut info), depth + 1)?;
                    st.step.layers.push(info.build(layer_steps)?);
                }
                Some(Tok::Param(p)) => self.param(p, &mut st, layer.as_deref_mut(), steps.is_empty())?,
            }
        }
    }

    /// Dispatch one `key-value` parameter to its family.
    fn param(&mut self, raw: &str, st: &mut StepState, layer: Option<&mut LayerInfo>, first: bool) -> Result<()> {
        let (key, value) = raw.split_once('-').ok_or_else(|| Error::invalid(raw, "", "missing value (key-value)"))?;
        if value.is_empty() {
            return Err(Error::invalid(key, value, "empty value"));
        }
        if let Some(info) = layer {
            if layer::apply(key, value, info, st, first)? {
                return Ok(());
            }
            if info.ty() == LayerType::Subtitles {
                return Err(self.misplaced(key, value, "a subtitles layer takes i/ie and fs ff co bg tg fol fsh"));
            }
            if size::apply(key, value, &mut st.step.resize, Where::Layer)? || self.common(key, value, st)? {
                return Ok(());
            }
            if key == "q" {
                // Quality of an intermediate layer has no effect here: validated, then ignored.
                return output::quality(key, value).map(drop);
            }
            let why = match info.ty() {
                LayerType::Image => "not allowed in an image layer",
                LayerType::Text => "not allowed in a text layer",
                LayerType::Video | LayerType::Subtitles => "not allowed in a video layer",
            };
            return Err(self.misplaced(key, value, why));
        }
        if size::apply(key, value, &mut st.step.resize, Where::Base)?
            || self.common(key, value, st)?
            || output::apply(key, value, &mut self.output)?
            || video::apply(key, value, &mut st.step.video)?
            || st.legacy.apply(key, value)?
        {
            return Ok(());
        }
        Err(self.misplaced(key, value, "only allowed inside a layer (l-image/l-text … l-end)"))
    }

    /// Parameters valid both at the base and inside layers.
    fn common(&mut self, key: &str, value: &str, st: &mut StepState) -> Result<bool> {
        match key {
            "bg" => {
                st.step.background = Some(background::background(key, value)?);
                st.bg_named = super::color::css_named_color(value).is_some();
            }
            "b" => st.step.border = Some(border::border(key, value)?),
            _ => return effect::apply(key, value, &mut st.step),
        }
        Ok(true)
    }

    /// The error for a key that is not valid where it appears (or not known at all).
    fn misplaced(&self, key: &str, value: &str, why: &str) -> Error {
        match key {
            "lso" | "leo" | "ldu" | "pg" => {
                Error::new(ErrorKind::Unsupported, format!("parameter '{key}' is not supported")).with_param(key, value)
            }
            k if layer::is_layer_key(k)
                || output::is_output_key(k)
                || video::is_video_key(k)
                || legacy::is_legacy_key(k) =>
            {
                Error::invalid(key, value, why)
            }
            _ => Error::invalid(key, value, "unknown parameter"),
        }
    }

    /// Complete a step: checks that need the whole step, normalisation of parameters that
    /// cannot take effect, legacy overlays appended as layers; empty steps are dropped.
    fn finish(&mut self, mut st: StepState, layer: Option<&mut LayerInfo>, steps: &mut Vec<Step>) -> Result<()> {
        let legacy = std::mem::take(&mut st.legacy);
        for chain in legacy.into_layers()? {
            let toks: Vec<Tok<'_>> = chain.text.split(',').map(Tok::Param).collect();
            let mut sub = Parser { toks, pos: 0, output: Output::default() };
            let layers = sub.steps(None, 0).map_err(|e| chain.rename(e))?.into_iter().flat_map(|s| s.layers);
            st.step.layers.extend(layers);
        }
        match layer {
            Some(info) => info.finish_step(&mut st, steps.is_empty())?,
            // `t-false` only means something in image layers, which trim by default.
            None if st.step.trim == Some(Trim::Off) => st.step.trim = None,
            None => {}
        }
        let s = &mut st.step;
        if let Some(Background::Blurred { .. }) = s.background {
            if !matches!(s.resize.crop, Some(Crop::PadResize | Crop::PadResizeNoEnlarge)) {
                return Err(Error::invalid("bg", "blurred", "bg-blurred needs cm-pad_resize in the same step"));
            }
        }
        if let Some(Background::GradientDominant { .. }) = s.background {
            let crop = s.resize.crop;
            if !matches!(
                crop,
                Some(Crop::PadResize | Crop::PadResizeNoEnlarge | Crop::PadExtract | Crop::PadExtractNoShrink)
            ) {
                let why = "a gradient background needs cm-pad_resize or cm-pad_extract in the same step";
                return Err(Error::invalid("bg", "gradient_dominant", why));
            }
        }
        normalize(s);
        if !s.is_empty() {
            steps.push(st.step);
        }
        Ok(())
    }
}

/// Drop parameters that cannot take effect and defaults, so that equal meanings give equal
/// jobs (and one canonical string): `x y xc yc` outside extract modes, `xc`/`yc` next to
/// `x`/`y`, `z` without `fo-face`, `ar` unless exactly one of `w`/`h`, `dpr`, `c`/`cm` and
/// `fo` without `w`/`h`, the defaults `c-maintain_ratio`, `fo-center`, `dpr-1`, and `du`
/// with `eo`.
fn normalize(s: &mut Step) {
    let r = &mut s.resize;
    if r.crop == Some(Crop::MaintainRatio) {
        r.crop = None;
    }
    if r.focus == Some(Focus::Center) {
        r.focus = None;
    }
    if r.dpr == Some(Dpr::Value(1.0)) {
        r.dpr = None;
    }
    if r.width.is_none() && r.height.is_none() {
        (r.crop, r.focus) = (None, None);
    }
    if !matches!(r.crop, Some(Crop::Extract | Crop::PadExtract | Crop::PadExtractNoShrink)) {
        (r.x, r.y, r.xc, r.yc) = (None, None, None, None);
    }
    if r.x.is_some() {
        r.xc = None;
    }
    if r.y.is_some() {
        r.yc = None;
    }
    if r.focus != Some(Focus::Face) {
        r.zoom = None;
    }
    if r.width.is_some() == r.height.is_some() {
        r.aspect = None;
    }
    if r.width.is_none() && r.height.is_none() {
        r.dpr = None;
    }
    video::finish(&mut s.video);
}
