//! Wire job → domain job, validating every field: a malformed one is `InvalidArgument`
//! naming it.

use super::{bad, CROPS, FOCI, FORMATS, LAYER_MODES};
use crate::error::{Error, Result};
use crate::job::{
    AspectRatio, Background, Border, Color, Dim, Distort, Dpr, Effect, Expr, Flip, Focus, Gradient, Job, Layer,
    LayerKind, LayerPosition, Output, Radius, Resize, Rotation, Shadow, Step, StopPoint, SubtitleStyle, TextAlign,
    TextStyle, TimeValue, Trim, VideoParams,
};
use crate::service::proto as pb;

fn u8_field(field: &str, v: u32) -> Result<u8> {
    u8::try_from(v).map_err(|_| bad(field, v))
}

fn dim(field: &str, d: &pb::Dim) -> Result<Dim> {
    use pb::dim::Value;
    match &d.value {
        Some(Value::Px(p)) if *p > 0 => Ok(Dim::Px(*p)),
        Some(Value::Fraction(f)) if *f > 0.0 && *f < 1.0 => Ok(Dim::Fraction(*f)),
        Some(Value::Expr(e)) => Ok(Dim::Expr(Expr::parse(field, e)?)),
        Some(Value::Auto(true)) => Ok(Dim::Auto),
        other => Err(bad(field, format!("{other:?}"))),
    }
}

fn opt_dim(field: &str, d: &Option<pb::Dim>) -> Result<Option<Dim>> {
    d.as_ref().map(|d| dim(field, d)).transpose()
}

/// A position or padding: unlike a size, zero pixels is a valid value (`lx-0`, `pa-0`).
fn offset(field: &str, d: &pb::Dim) -> Result<Dim> {
    match &d.value {
        Some(pb::dim::Value::Px(0)) => Ok(Dim::Px(0)),
        _ => dim(field, d),
    }
}

fn opt_offset(field: &str, d: &Option<pb::Dim>) -> Result<Option<Dim>> {
    d.as_ref().map(|d| offset(field, d)).transpose()
}

fn color(field: &str, c: &pb::Color) -> Result<Color> {
    if c.rgb > 0xFF_FFFF {
        return Err(bad(field, c.rgb));
    }
    let [_, r, g, b] = c.rgb.to_be_bytes();
    let opacity_pct =
        c.opacity_pct.map(|p| if p < 100 { u8_field(field, p) } else { Err(bad(field, p)) }).transpose()?;
    Ok(Color { rgb: [r, g, b], opacity_pct })
}

fn focus(field: &str, f: &pb::Focus) -> Result<Focus> {
    if let Some((x, _)) = FOCI.iter().find(|(_, s)| *s == f.value) {
        return Ok(x.clone());
    }
    if !f.value.is_empty() && f.value.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return Ok(Focus::Object(f.value.clone()));
    }
    Err(bad(field, &f.value))
}

fn radius(field: &str, r: &pb::Radius) -> Result<Radius> {
    use pb::radius::Value;
    match &r.value {
        Some(Value::Uniform(u)) => Ok(Radius::Uniform(*u)),
        Some(Value::Corners(c)) => Ok(Radius::Corners([c.top_left, c.top_right, c.bottom_right, c.bottom_left])),
        Some(Value::Max(true)) => Ok(Radius::Max),
        other => Err(bad(field, format!("{other:?}"))),
    }
}

fn time(field: &str, t: &pb::TimeValue) -> Result<TimeValue> {
    use pb::time_value::Value;
    match &t.value {
        Some(Value::Centis(c)) => Ok(TimeValue::Centis(*c)),
        Some(Value::Expr(e)) => Ok(TimeValue::Expr(Expr::parse(field, e)?)),
        None => Err(bad(field, "empty")),
    }
}

fn resize(r: &pb::Resize) -> Result<Resize> {
    let crop = match r.crop {
        0 => None,
        n => Some(CROPS.iter().find(|(_, p)| *p as i32 == n).map(|(c, _)| *c).ok_or_else(|| bad("c", n))?),
    };
    Ok(Resize {
        width: opt_dim("w", &r.width)?,
        height: opt_dim("h", &r.height)?,
        aspect: r
            .aspect
            .as_ref()
            .map(|a| match &a.value {
                Some(pb::aspect_ratio::Value::Ratio(x)) if x.a > 0.0 && x.b > 0.0 => Ok(AspectRatio::Ratio(x.a, x.b)),
                Some(pb::aspect_ratio::Value::Expr(e)) => Ok(AspectRatio::Expr(Expr::parse("ar", e)?)),
                other => Err(bad("ar", format!("{other:?}"))),
            })
            .transpose()?,
        dpr: r
            .dpr
            .as_ref()
            .map(|d| match d {
                pb::resize::Dpr::DprValue(v) if v.is_finite() && *v > 0.0 => Ok(Dpr::Value(*v)),
                pb::resize::Dpr::DprValue(v) => Err(bad("dpr", v)),
                pb::resize::Dpr::DprAuto(_) => Ok(Dpr::Auto),
                pb::resize::Dpr::DprExpr(e) => Ok(Dpr::Expr(Expr::parse("dpr", e)?)),
            })
            .transpose()?,
        crop,
        focus: r.focus.as_ref().map(|f| focus("fo", f)).transpose()?,
        x: opt_offset("x", &r.x)?,
        y: opt_offset("y", &r.y)?,
        xc: opt_offset("xc", &r.xc)?,
        yc: opt_offset("yc", &r.yc)?,
        zoom: r.zoom,
    })
}

fn effect(e: &pb::Effect) -> Result<Effect> {
    use pb::effect::Kind;
    match &e.kind {
        Some(Kind::Grayscale(_)) => Ok(Effect::Grayscale),
        Some(Kind::Contrast(_)) => Ok(Effect::Contrast),
        Some(Kind::Sharpen(s)) => Ok(Effect::Sharpen(s.strength)),
        Some(Kind::UnsharpMask(u)) => {
            Ok(Effect::UnsharpMask { radius: u.radius, sigma: u.sigma, amount: u.amount, threshold: u.threshold })
        }
        Some(Kind::Shadow(s)) => {
            let small = |f: &str, v: i32| i8::try_from(v).map_err(|_| bad(f, v));
            let s = Shadow {
                blur: u8_field("e-shadow-bl", s.blur)?,
                saturation: u8_field("e-shadow-st", s.saturation)?,
                x: small("e-shadow-x", s.x)?,
                y: small("e-shadow-y", s.y)?,
            };
            s.validate()?;
            Ok(Effect::Shadow(s))
        }
        Some(Kind::Gradient(g)) => {
            use pb::gradient::Stop;
            let c = |f: &str, c: &Option<pb::Color>| c.as_ref().map(|c| color(f, c)).ok_or_else(|| bad(f, "missing"));
            let g = Gradient {
                direction: u16::try_from(g.direction).map_err(|_| bad("e-gradient-ld", g.direction))?,
                from: c("e-gradient-from", &g.from)??,
                to: c("e-gradient-to", &g.to)??,
                stop: match &g.stop {
                    Some(Stop::StopFraction(f)) => StopPoint::Fraction(*f),
                    Some(Stop::StopPx(p)) => StopPoint::Px(*p),
                    Some(Stop::StopExpr(e)) => StopPoint::Expr(Expr::parse("e-gradient-sp", e)?),
                    None => return Err(bad("e-gradient-sp", "missing")),
                },
            };
            g.validate()?;
            Ok(Effect::Gradient(g))
        }
        Some(Kind::Distort(d)) => {
            let d = match <[i32; 8]>::try_from(d.perspective.as_slice()) {
                Ok(c) => Distort::Perspective(c),
                Err(_) if d.perspective.is_empty() => Distort::Arc(d.arc_degrees),
                Err(_) => return Err(bad("e-distort-p", format!("{:?}", d.perspective))),
            };
            d.validate()?;
            Ok(Effect::Distort(d))
        }
        None => Err(bad("e", "empty")),
    }
}

fn text_style(s: &pb::TextStyle) -> Result<TextStyle> {
    Ok(TextStyle {
        size: opt_dim("fs", &s.size)?,
        font: s.font.clone(),
        color: s.color.as_ref().map(|c| color("co", c)).transpose()?,
        align: match s.align.as_str() {
            "left" => TextAlign::Left,
            "right" => TextAlign::Right,
            "center" | "" => TextAlign::Center,
            other => return Err(bad("ia", other)),
        },
        max_width: opt_dim("w", &s.max_width)?,
        padding: s.padding.iter().map(|d| offset("pa", d)).collect::<Result<_>>()?,
        alpha: s.alpha.map(|a| u8_field("al", a)).transpose()?,
        bold: s.bold,
        italic: s.italic,
        background: s.background.as_ref().map(|c| color("bg", c)).transpose()?,
        radius: s.radius.as_ref().map(|r| radius("r", r)).transpose()?,
        line_height: s.line_height,
    })
}

fn layer(l: &pb::Layer, depth: u32) -> Result<Layer> {
    use pb::layer::Kind;
    if depth > 3 {
        return Err(bad("l", "layers nested deeper than 3"));
    }
    let kind = match &l.kind {
        Some(Kind::ImagePath(p)) => LayerKind::Image { path: p.clone() },
        Some(Kind::Text(t)) => LayerKind::Text {
            text: t.text.clone(),
            style: t.style.as_ref().map(text_style).transpose()?.unwrap_or_default(),
        },
        Some(Kind::Solid(_)) => LayerKind::Solid,
        Some(Kind::VideoPath(p)) => LayerKind::Video { path: p.clone() },
        Some(Kind::Subtitles(s)) => LayerKind::Subtitles {
            path: s.path.clone(),
            style: s.style.as_ref().map(subtitle_style).transpose()?.unwrap_or_default(),
        },
        None => return Err(bad("l", "empty")),
    };
    let p = l.position.clone().unwrap_or_default();
    Ok(Layer {
        kind,
        steps: l.steps.iter().map(|s| step(s, depth + 1)).collect::<Result<_>>()?,
        position: LayerPosition {
            x: opt_offset("lx", &p.x)?,
            y: opt_offset("ly", &p.y)?,
            xc: opt_offset("lxc", &p.xc)?,
            yc: opt_offset("lyc", &p.yc)?,
            focus: p.focus.as_ref().map(|f| focus("lfo", f)).transpose()?,
            x_negative: p.x_negative,
            y_negative: p.y_negative,
            anchor: p.anchor.as_ref().map(|f| focus("lap", f)).transpose()?,
            start: p.start.as_ref().map(|t| time("lso", t)).transpose()?,
            end: p.end.as_ref().map(|t| time("leo", t)).transpose()?,
            duration: p.duration.as_ref().map(|t| time("ldu", t)).transpose()?,
        },
        mode: LAYER_MODES
            .iter()
            .find(|(_, m)| *m as i32 == l.mode)
            .map(|(m, _)| *m)
            .ok_or_else(|| bad("lm", l.mode))?,
    })
}

fn subtitle_style(s: &pb::SubtitleStyle) -> Result<SubtitleStyle> {
    let outline = match (s.outline_width, &s.outline_color) {
        (Some(w), Some(c)) => Some((w, color("fol", c)?)),
        (None, None) => None,
        _ => return Err(bad("fol", "needs both width and colour")),
    };
    let shadow = match (&s.shadow_color, s.shadow_depth) {
        (Some(c), Some(d)) => Some((color("fsh", c)?, d)),
        (None, None) => None,
        _ => return Err(bad("fsh", "needs both colour and depth")),
    };
    Ok(SubtitleStyle {
        size: s.size,
        font: s.font.clone(),
        color: s.color.as_ref().map(|c| color("co", c)).transpose()?,
        background: s.background.as_ref().map(|c| color("bg", c)).transpose()?,
        bold: s.bold,
        italic: s.italic,
        outline,
        shadow,
    })
}

fn step(s: &pb::Step, depth: u32) -> Result<Step> {
    Ok(Step {
        trim: s
            .trim
            .as_ref()
            .map(|t| match t.value {
                Some(pb::trim::Value::Default(_)) => Ok(Trim::Default),
                Some(pb::trim::Value::Threshold(n)) => Ok(Trim::Threshold(u8_field("t", n)?)),
                Some(pb::trim::Value::Off(_)) => Ok(Trim::Off),
                None => Err(bad("t", "empty")),
            })
            .transpose()?,
        resize: s.resize.as_ref().map(resize).transpose()?.unwrap_or_default(),
        rotate: s
            .rotate
            .as_ref()
            .map(|r| match r.value {
                Some(pb::rotation::Value::Degrees(d)) if d.is_finite() => Ok(Rotation::Degrees(d)),
                Some(pb::rotation::Value::Auto(_)) => Ok(Rotation::Auto),
                other => Err(bad("rt", format!("{other:?}"))),
            })
            .transpose()?,
        flip: s.flip.as_ref().map(|f| Flip { horizontal: f.horizontal, vertical: f.vertical }),
        blur: s.blur,
        effects: s.effects.iter().map(effect).collect::<Result<_>>()?,
        radius: s.radius.as_ref().map(|r| radius("r", r)).transpose()?,
        border: s
            .border
            .as_ref()
            .map(|b| -> Result<Border> {
                Ok(Border {
                    width: dim("b", b.width.as_ref().ok_or_else(|| bad("b", "no width"))?)?,
                    color: color("b", b.color.as_ref().ok_or_else(|| bad("b", "no colour"))?)?,
                })
            })
            .transpose()?,
        background: s
            .background
            .as_ref()
            .map(|b| match &b.value {
                Some(pb::background::Value::Color(c)) => Ok(Background::Color(color("bg", c)?)),
                Some(pb::background::Value::Blurred(x)) => Ok(Background::Blurred {
                    intensity: x.intensity.map(|i| u8_field("bg", i)).transpose()?,
                    brightness: i16::try_from(x.brightness).map_err(|_| bad("bg", x.brightness))?,
                }),
                Some(pb::background::Value::Dominant(_)) => Ok(Background::Dominant),
                Some(pb::background::Value::GradientDominant(n @ (2 | 4))) => {
                    Ok(Background::GradientDominant { colors: u8::try_from(*n).unwrap_or(2) })
                }
                Some(pb::background::Value::GradientDominant(n)) => Err(bad("bg", n)),
                None => Err(bad("bg", "empty")),
            })
            .transpose()?,
        opacity: s.opacity.map(|o| u8_field("o", o)).transpose()?,
        layers: s.layers.iter().map(|l| layer(l, depth)).collect::<Result<_>>()?,
        video: match &s.video {
            None => VideoParams::default(),
            Some(v) => VideoParams {
                start: v.start.as_ref().map(|t| time("so", t)).transpose()?,
                end: v.end.as_ref().map(|t| time("eo", t)).transpose()?,
                duration: v.duration.as_ref().map(|t| time("du", t)).transpose()?,
                audio_codec: v.audio_codec.clone(),
                video_codec: v.video_codec.clone(),
            },
        },
    })
}

/// Wire job → domain job, validating every field.
pub fn job_from_proto(job: &pb::Job) -> Result<Job> {
    if !job.source.starts_with('/') || job.source.split('/').any(|s| s == "..") {
        return Err(Error::invalid("path", &job.source, "source must be an absolute origin path without '..'"));
    }
    let o = job.output.clone().unwrap_or_default();
    let format = match o.format {
        0 => None,
        n => Some(FORMATS.iter().find(|(_, p)| *p as i32 == n).map(|(f, _)| *f).ok_or_else(|| bad("f", n))?),
    };
    Ok(Job {
        source: job.source.clone(),
        steps: job.steps.iter().map(|s| step(s, 0)).collect::<Result<_>>()?,
        output: Output {
            format,
            quality: o
                .quality
                .map(|q| if (1..=100).contains(&q) { u8_field("q", q) } else { Err(bad("q", q)) })
                .transpose()?,
            progressive: o.progressive,
            lossless: o.lossless,
            metadata: o.metadata,
            color_profile: o.color_profile,
            original: o.original,
            default_image: o.default_image,
        },
        backend: Default::default(),
        thumbnail: job.thumbnail,
    })
}
