//! Size arithmetic (spec §2–§3): resolving `w h ar dpr` to pixels, and the crop strategies
//! and modes as concrete Resize / Crop / Pad ops. `round` is round-to-nearest throughout
//! (it reproduces every published number).
//!
//! Owns: [`Builder`] (ops + running size + limit checks), [`Vars`] (expression variables),
//! [`resolve`], [`resize`]. May import `job`, `limits`, `error`.

use super::{effects, gravity, Anchor, Fill, Filter, PlanOp, StepInput, StepPlan};
use crate::error::{Error, Result};
use crate::job::{AspectRatio, Crop, Dim, Dpr, Step, Var};
use crate::limits::Limits;

/// Ops of one step being planned, the size after the last one, and opacity.
pub(super) struct Builder<'a> {
    pub(super) ops: Vec<PlanOp>,
    pub(super) size: (u32, u32),
    pub(super) opaque: bool,
    pub(super) input: &'a StepInput,
    pub(super) vars: Vars,
    pub(super) limits: &'a Limits,
}

impl<'a> Builder<'a> {
    pub(super) fn new(input: &'a StepInput, limits: &'a Limits) -> Self {
        Builder { ops: Vec::new(), size: input.current, opaque: input.opaque, input, vars: Vars::new(input), limits }
    }

    /// Append `op`; its output must be within limits (errors name `key`).
    pub(super) fn push(&mut self, key: &str, op: PlanOp) -> Result<()> {
        let size = op.output_size(self.size);
        self.limits.check_output(key, size.0, size.1)?;
        self.push_unchecked(op, size);
        Ok(())
    }

    fn push_unchecked(&mut self, op: PlanOp, size: (u32, u32)) {
        self.opaque = op.opaque_after(self.opaque);
        self.size = size;
        self.ops.push(op);
    }

    pub(super) fn finish(self) -> StepPlan {
        StepPlan { ops: self.ops, output: self.size, opaque: self.opaque }
    }
}

/// Values of expression variables for one step (spec §8).
#[derive(Debug, Clone, Copy)]
pub(super) struct Vars {
    input: (f64, f64),
    current: (f64, f64),
    base: Option<(f64, f64)>,
}

impl Vars {
    pub(super) fn new(i: &StepInput) -> Self {
        let f = |(w, h): (u32, u32)| (f64::from(w), f64::from(h));
        Vars { input: f(i.input), current: f(i.current), base: i.base.map(f) }
    }

    /// Variables for placing a layer: `iw ih cw ch` are the layer, `bw bh` the parent.
    pub(super) fn placement(layer: (u32, u32), parent: (u32, u32)) -> Self {
        let f = |(w, h): (u32, u32)| (f64::from(w), f64::from(h));
        Vars { input: f(layer), current: f(layer), base: Some(f(parent)) }
    }

    pub(super) fn get(&self, v: Var) -> Option<f64> {
        let ar = |(w, h): (f64, f64)| w / h;
        Some(match v {
            Var::Iw => self.input.0,
            Var::Ih => self.input.1,
            Var::Iar => ar(self.input),
            Var::Cw => self.current.0,
            Var::Ch => self.current.1,
            Var::Car => ar(self.current),
            Var::Bw => self.base?.0,
            Var::Bh => self.base?.1,
            Var::Bar => ar(self.base?),
            Var::Idu | Var::Bdu => return None,
        })
    }
}

/// The text of a length as written, for error messages.
pub(super) fn dim_text(d: &Dim) -> String {
    match d {
        Dim::Px(n) => n.to_string(),
        Dim::Fraction(f) => f.to_string(),
        Dim::Expr(e) => e.to_string(),
        Dim::Auto => "auto".to_owned(),
    }
}

/// A length in (unrounded) pixels; fractions are of `axis_input`. `Auto` takes `hint` and
/// is `None` (parameter ignored) without one.
pub(super) fn resolve(key: &str, d: &Dim, axis_input: u32, vars: &Vars, hint: Option<u32>) -> Result<Option<f64>> {
    Ok(match d {
        Dim::Px(n) => Some(f64::from(*n)),
        Dim::Fraction(f) => Some(f * f64::from(axis_input)),
        Dim::Expr(e) => Some(e.eval(key, |v| vars.get(v))?),
        Dim::Auto => hint.map(f64::from),
    })
}

/// Round to whole pixels: at least 1 and at most `limits.max_output_dim`, else an error
/// naming `key` and its value as written.
pub(super) fn px(key: &str, raw: &str, v: f64, limits: &Limits) -> Result<u32> {
    let r = v.round();
    if r.is_nan() || r < 1.0 {
        return Err(Error::invalid(key, raw, format_args!("resolves to {v} px; must be at least 1")));
    }
    if r > f64::from(limits.max_output_dim) {
        return Err(Error::invalid(
            key,
            raw,
            format_args!("resolves to {r} px, over the limit of {}", limits.max_output_dim),
        ));
    }
    Ok(saturate(r))
}

/// A non-negative finite float as `u32`, saturating.
pub(super) fn saturate(v: f64) -> u32 {
    #[expect(clippy::cast_possible_truncation, reason = "clamped to the u32 range first; NaN maps to 0")]
    let r = v.clamp(0.0, f64::from(u32::MAX)) as u32;
    r
}

/// `round(a × s)`, at least 1.
fn scaled(a: u32, s: f64) -> u32 {
    saturate((f64::from(a) * s).round()).max(1)
}

/// Cover `want` keeping the ratio of `cur`: every side ≥ the wanted side (`at_least`).
pub(crate) fn cover(cur: (u32, u32), want: (u32, u32)) -> (u32, u32) {
    let s = (f64::from(want.0) / f64::from(cur.0)).max(f64::from(want.1) / f64::from(cur.1));
    (scaled(cur.0, s).max(want.0), scaled(cur.1, s).max(want.1))
}

/// Fit inside `want` keeping the ratio of `cur`: every side ≤ the wanted side (`at_max`,
/// `pad_resize`). `enlarge = false` keeps `cur` when it already fits.
pub(crate) fn fit(cur: (u32, u32), want: (u32, u32), enlarge: bool) -> (u32, u32) {
    let s = (f64::from(want.0) / f64::from(cur.0)).min(f64::from(want.1) / f64::from(cur.1));
    if s >= 1.0 && !enlarge {
        return cur;
    }
    (scaled(cur.0, s).min(want.0), scaled(cur.1, s).min(want.1))
}

/// Plan the size parameters of `step` (spec §2–§3).
pub(super) fn resize(step: &Step, b: &mut Builder<'_>) -> Result<()> {
    let r = &step.resize;
    let (input, vars, limits) = (b.input, b.vars, b.limits);
    let dim = |key: &str, d: &Option<Dim>, axis: u32, hint| -> Result<Option<u32>> {
        let Some(d) = d else { return Ok(None) };
        let raw = dim_text(d);
        resolve(key, d, axis, &vars, hint)?.map(|v| px(key, &raw, v, limits)).transpose()
    };
    let mut w = dim("w", &r.width, input.input.0, input.hint_width)?;
    let mut h = dim("h", &r.height, input.input.1, None)?;
    if let (Some(ar), true) = (&r.aspect, w.is_some() != h.is_some()) {
        let ratio = match ar {
            AspectRatio::Ratio(a, b) => a / b,
            AspectRatio::Expr(e) => e.eval("ar", |v| vars.get(v))?,
        };
        let raw = match ar {
            AspectRatio::Ratio(a, b) => format!("{a}-{b}"),
            AspectRatio::Expr(e) => e.to_string(),
        };
        if !(ratio > 0.0 && ratio.is_finite()) {
            return Err(Error::invalid("ar", raw, "aspect ratio must be positive"));
        }
        match (w, h) {
            (Some(w), _) => h = Some(px("ar", &raw, f64::from(w) / ratio, limits)?),
            (_, Some(h)) => w = Some(px("ar", &raw, f64::from(h) * ratio, limits)?),
            _ => {}
        }
    }
    if let Some(d) = dpr(r.dpr.as_ref(), input, &vars)? {
        let m = |v: Option<u32>| v.map(|v| (f64::from(v) * d).round());
        let (mw, mh) = (m(w), m(h));
        let ok = [mw, mh].into_iter().flatten().all(|v| (1.0..=5000.0).contains(&v));
        if ok {
            let raw = |d: &Option<Dim>| d.as_ref().map(dim_text).unwrap_or_default();
            w = mw.map(|v| px("w", &raw(&r.width), v, limits)).transpose()?;
            h = mh.map(|v| px("h", &raw(&r.height), v, limits)).transpose()?;
        }
    }
    let cur = b.size;
    let crop = r.crop.unwrap_or(Crop::MaintainRatio);
    let key = if r.crop.is_some_and(Crop::is_mode) { "cm" } else { "c" };
    let no_enlarge = matches!(crop, Crop::AtMax | Crop::MaintainRatioNoEnlarge | Crop::PadResizeNoEnlarge);
    let (w, h) = match (w, h) {
        (None, None) => return Ok(()),
        (Some(w), Some(h)) => (w, h),
        // One side only: the other follows the ratio, nothing is cut; the no-enlarge crops
        // still never enlarge [I].
        (Some(w), None) => {
            let size = if no_enlarge && w >= cur.0 { cur } else { (w, scaled(cur.1, f64::from(w) / f64::from(cur.0))) };
            return resize_to(b, "w", size);
        }
        (None, Some(h)) => {
            let size = if no_enlarge && h >= cur.1 { cur } else { (scaled(cur.0, f64::from(h) / f64::from(cur.1)), h) };
            return resize_to(b, "h", size);
        }
    };
    let want = (w, h);
    let focus = r.focus.as_ref();
    match crop {
        Crop::Force => resize_to(b, key, want),
        Crop::AtMax | Crop::AtMaxEnlarge => resize_to(b, key, fit(cur, want, crop == Crop::AtMaxEnlarge)),
        Crop::AtLeast => resize_to(b, key, cover(cur, want)),
        Crop::MaintainRatio | Crop::MaintainRatioNoEnlarge => {
            // Cover scale s; the part of the frame that survives the cut is the window
            // want / s, cut first (no oversized intermediate frame) and then scaled to
            // exactly `want`. Without enlarging (s > 1) the window is kept at its size [I].
            let s = (f64::from(w) / f64::from(cur.0)).max(f64::from(h) / f64::from(cur.1));
            let win = (scaled(w, 1.0 / s).min(cur.0), scaled(h, 1.0 / s).min(cur.1));
            cut(b, key, win, gravity::crop_anchor(focus, r.zoom, (cur.0 - win.0, cur.1 - win.1)))?;
            if crop == Crop::MaintainRatioNoEnlarge && s > 1.0 {
                return Ok(());
            }
            resize_to(b, key, want)
        }
        Crop::PadResize | Crop::PadResizeNoEnlarge => {
            let inner = fit(cur, want, crop == Crop::PadResize);
            resize_to(b, key, inner)?;
            let (ax, ay) = gravity::relative(focus);
            let x = gravity::offset(i64::from(w) - i64::from(inner.0), ax);
            let y = gravity::offset(i64::from(h) - i64::from(inner.1), ay);
            pad(b, key, want, x, y, effects::pad_fill(step, want))
        }
        Crop::Extract | Crop::PadExtract | Crop::PadExtractNoShrink => gravity::extract(step, want, b),
    }
}

/// The `dpr` factor, if it applies (`auto` without a hint does not).
fn dpr(d: Option<&Dpr>, input: &StepInput, vars: &Vars) -> Result<Option<f64>> {
    let v = match d {
        None => return Ok(None),
        Some(Dpr::Value(v)) => *v,
        Some(Dpr::Auto) => match input.hint_dpr {
            Some(v) if v.is_finite() && v > 0.0 => v.clamp(0.1, 5.0),
            _ => return Ok(None),
        },
        Some(Dpr::Expr(e)) => {
            let v = e.eval("dpr", |var| vars.get(var))?;
            if !(0.1..=5.0).contains(&v) {
                return Err(Error::invalid("dpr", e.to_string(), format_args!("resolves to {v}; dpr must be 0.1-5")));
            }
            v
        }
    };
    Ok(Some(v))
}

/// Scale the whole frame to `size` (nothing when already that size).
pub(super) fn resize_to(b: &mut Builder<'_>, key: &str, size: (u32, u32)) -> Result<()> {
    if size == b.size {
        return Ok(());
    }
    b.push(key, PlanOp::Resize { width: size.0, height: size.1, filter: Filter::default() })
}

/// Cut a `size` window (nothing when it is the whole frame at the origin).
pub(super) fn cut(b: &mut Builder<'_>, key: &str, size: (u32, u32), anchor: Anchor) -> Result<()> {
    if size == b.size && matches!(anchor, Anchor::At { .. }) {
        return Ok(());
    }
    b.push(key, PlanOp::Crop { width: size.0, height: size.1, anchor })
}

/// Place the frame at (`x`, `y`) on a `size` canvas (nothing when it already is the canvas).
pub(super) fn pad(b: &mut Builder<'_>, key: &str, size: (u32, u32), x: i64, y: i64, fill: Fill) -> Result<()> {
    if size == b.size && x == 0 && y == 0 {
        return Ok(());
    }
    b.push(key, PlanOp::Pad { width: size.0, height: size.1, x, y, fill })
}

#[cfg(test)]
mod tests;
