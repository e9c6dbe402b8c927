//! The only place protobuf types meet domain types: `job::Job` ⇄ `proto::Job`, and
//! `Error` ⇄ `tonic::Status`.
//!
//! Owns: [`job_to_proto`], [`job_from_proto`], [`status_from_error`], [`error_from_status`].
//! The daemon re-validates what arrives: a malformed field is `InvalidArgument` naming it.

use super::proto as pb;
use crate::error::{Error, ErrorKind, Result};
use crate::job::{
    AspectRatio, Background, Border, Color, Crop, Dim, Dpr, Effect, Expr, Flip, Focus, Format, Job, Layer, LayerKind,
    LayerPosition, Output, Radius, Resize, Rotation, Step, TextAlign, TextStyle, TimeValue, Trim, VideoParams,
};

const CROPS: [(Crop, pb::Crop); 11] = [
    (Crop::MaintainRatio, pb::Crop::MaintainRatio),
    (Crop::MaintainRatioNoEnlarge, pb::Crop::MaintainRatioNoEnlarge),
    (Crop::Force, pb::Crop::Force),
    (Crop::AtMax, pb::Crop::AtMax),
    (Crop::AtMaxEnlarge, pb::Crop::AtMaxEnlarge),
    (Crop::AtLeast, pb::Crop::AtLeast),
    (Crop::PadResize, pb::Crop::PadResize),
    (Crop::PadResizeNoEnlarge, pb::Crop::PadResizeNoEnlarge),
    (Crop::Extract, pb::Crop::Extract),
    (Crop::PadExtract, pb::Crop::PadExtract),
    (Crop::PadExtractNoShrink, pb::Crop::PadExtractNoShrink),
];

const FORMATS: [(Format, pb::Format); 9] = [
    (Format::Auto, pb::Format::Auto),
    (Format::Jpeg, pb::Format::Jpeg),
    (Format::Png, pb::Format::Png),
    (Format::Webp, pb::Format::Webp),
    (Format::Avif, pb::Format::Avif),
    (Format::Gif, pb::Format::Gif),
    (Format::Orig, pb::Format::Orig),
    (Format::Mp4, pb::Format::Mp4),
    (Format::Webm, pb::Format::Webm),
];

const FOCI: [(Focus, &str); 12] = [
    (Focus::Center, "center"),
    (Focus::Top, "top"),
    (Focus::Bottom, "bottom"),
    (Focus::Left, "left"),
    (Focus::Right, "right"),
    (Focus::TopLeft, "top_left"),
    (Focus::TopRight, "top_right"),
    (Focus::BottomLeft, "bottom_left"),
    (Focus::BottomRight, "bottom_right"),
    (Focus::Auto, "auto"),
    (Focus::Face, "face"),
    (Focus::Custom, "custom"),
];

fn bad(field: &str, value: impl std::fmt::Display) -> Error {
    Error::invalid(field, value.to_string(), "malformed field in gRPC job")
}

// ---- domain → proto -------------------------------------------------------------------

fn dim_pb(d: &Dim) -> pb::Dim {
    use pb::dim::Value;
    let v = match d {
        Dim::Px(p) => Value::Px(*p),
        Dim::Fraction(f) => Value::Fraction(*f),
        Dim::Expr(e) => Value::Expr(e.to_string()),
        Dim::Auto => Value::Auto(true),
    };
    pb::Dim { value: Some(v) }
}

fn color_pb(c: &Color) -> pb::Color {
    let [r, g, b] = c.rgb;
    pb::Color {
        rgb: (u32::from(r) << 16) | (u32::from(g) << 8) | u32::from(b),
        opacity_pct: c.opacity_pct.map(u32::from),
    }
}

fn focus_pb(f: &Focus) -> pb::Focus {
    let value = match f {
        Focus::Object(name) => name.clone(),
        other => FOCI.iter().find(|(x, _)| x == other).map_or("center", |(_, s)| s).to_string(),
    };
    pb::Focus { value }
}

fn radius_pb(r: &Radius) -> pb::Radius {
    use pb::radius::Value;
    let v = match r {
        Radius::Uniform(u) => Value::Uniform(*u),
        Radius::Corners([a, b, c, d]) => {
            Value::Corners(pb::Corners { top_left: *a, top_right: *b, bottom_right: *c, bottom_left: *d })
        }
        Radius::Max => Value::Max(true),
    };
    pb::Radius { value: Some(v) }
}

fn time_pb(t: &TimeValue) -> pb::TimeValue {
    use pb::time_value::Value;
    pb::TimeValue {
        value: Some(match t {
            TimeValue::Centis(c) => Value::Centis(*c),
            TimeValue::Expr(e) => Value::Expr(e.to_string()),
        }),
    }
}

fn resize_pb(r: &Resize) -> pb::Resize {
    pb::Resize {
        width: r.width.as_ref().map(dim_pb),
        height: r.height.as_ref().map(dim_pb),
        aspect: r.aspect.as_ref().map(|a| pb::AspectRatio {
            value: Some(match a {
                AspectRatio::Ratio(a, b) => pb::aspect_ratio::Value::Ratio(pb::Ratio { a: *a, b: *b }),
                AspectRatio::Expr(e) => pb::aspect_ratio::Value::Expr(e.to_string()),
            }),
        }),
        dpr: r.dpr.as_ref().map(|d| match d {
            Dpr::Value(v) => pb::resize::Dpr::DprValue(*v),
            Dpr::Auto => pb::resize::Dpr::DprAuto(true),
            Dpr::Expr(e) => pb::resize::Dpr::DprExpr(e.to_string()),
        }),
        crop: r.crop.and_then(|c| CROPS.iter().find(|(x, _)| *x == c)).map_or(0, |(_, p)| *p as i32),
        focus: r.focus.as_ref().map(focus_pb),
        x: r.x.as_ref().map(dim_pb),
        y: r.y.as_ref().map(dim_pb),
        xc: r.xc.as_ref().map(dim_pb),
        yc: r.yc.as_ref().map(dim_pb),
        zoom: r.zoom,
    }
}

fn effect_pb(e: &Effect) -> pb::Effect {
    use pb::effect::Kind;
    let k = match e {
        Effect::Grayscale => Kind::Grayscale(true),
        Effect::Contrast => Kind::Contrast(true),
        Effect::Sharpen(s) => Kind::Sharpen(pb::Sharpen { strength: *s }),
        Effect::UnsharpMask { radius, sigma, amount, threshold } => Kind::UnsharpMask(pb::UnsharpMask {
            radius: *radius,
            sigma: *sigma,
            amount: *amount,
            threshold: *threshold,
        }),
    };
    pb::Effect { kind: Some(k) }
}

fn text_style_pb(s: &TextStyle) -> pb::TextStyle {
    pb::TextStyle {
        size: s.size.as_ref().map(dim_pb),
        font: s.font.clone(),
        color: s.color.as_ref().map(color_pb),
        align: match s.align {
            TextAlign::Left => "left",
            TextAlign::Center => "center",
            TextAlign::Right => "right",
        }
        .into(),
        max_width: s.max_width.as_ref().map(dim_pb),
        padding: s.padding.iter().map(dim_pb).collect(),
        alpha: s.alpha.map(u32::from),
        bold: s.bold,
        italic: s.italic,
        background: s.background.as_ref().map(color_pb),
        radius: s.radius.as_ref().map(radius_pb),
        line_height: s.line_height,
    }
}

fn layer_pb(l: &Layer) -> pb::Layer {
    use pb::layer::Kind;
    let kind = match &l.kind {
        LayerKind::Image { path } => Kind::ImagePath(path.clone()),
        LayerKind::Text { text, style } => {
            Kind::Text(pb::TextLayer { text: text.clone(), style: Some(text_style_pb(style)) })
        }
        LayerKind::Solid => Kind::Solid(true),
    };
    let p = &l.position;
    pb::Layer {
        kind: Some(kind),
        steps: l.steps.iter().map(step_pb).collect(),
        position: Some(pb::LayerPosition {
            x: p.x.as_ref().map(dim_pb),
            y: p.y.as_ref().map(dim_pb),
            xc: p.xc.as_ref().map(dim_pb),
            yc: p.yc.as_ref().map(dim_pb),
            focus: p.focus.as_ref().map(focus_pb),
            x_negative: p.x_negative,
            y_negative: p.y_negative,
            anchor: p.anchor.as_ref().map(focus_pb),
        }),
    }
}

fn step_pb(s: &Step) -> pb::Step {
    pb::Step {
        trim: s.trim.map(|t| pb::Trim {
            value: Some(match t {
                Trim::Default => pb::trim::Value::Default(true),
                Trim::Threshold(n) => pb::trim::Value::Threshold(u32::from(n)),
                Trim::Off => pb::trim::Value::Off(true),
            }),
        }),
        resize: (!s.resize.is_empty()).then(|| resize_pb(&s.resize)),
        rotate: s.rotate.map(|r| pb::Rotation {
            value: Some(match r {
                Rotation::Degrees(d) => pb::rotation::Value::Degrees(d),
                Rotation::Auto => pb::rotation::Value::Auto(true),
            }),
        }),
        flip: s.flip.map(|f| pb::Flip { horizontal: f.horizontal, vertical: f.vertical }),
        blur: s.blur,
        effects: s.effects.iter().map(effect_pb).collect(),
        radius: s.radius.as_ref().map(radius_pb),
        border: s
            .border
            .as_ref()
            .map(|b| pb::Border { width: Some(dim_pb(&b.width)), color: Some(color_pb(&b.color)) }),
        background: s.background.map(|b| pb::Background {
            value: Some(match b {
                Background::Color(c) => pb::background::Value::Color(color_pb(&c)),
                Background::Blurred { intensity, brightness } => pb::background::Value::Blurred(pb::Blurred {
                    intensity: intensity.map(u32::from),
                    brightness: i32::from(brightness),
                }),
                Background::Dominant => pb::background::Value::Dominant(true),
            }),
        }),
        opacity: s.opacity.map(u32::from),
        layers: s.layers.iter().map(layer_pb).collect(),
        video: (s.video != VideoParams::default()).then(|| pb::VideoParams {
            start: s.video.start.as_ref().map(time_pb),
            end: s.video.end.as_ref().map(time_pb),
            duration: s.video.duration.as_ref().map(time_pb),
            audio_codec: s.video.audio_codec.clone(),
            video_codec: s.video.video_codec.clone(),
        }),
    }
}

/// Domain job → wire job.
pub fn job_to_proto(job: &Job) -> pb::Job {
    let o = &job.output;
    pb::Job {
        source: job.source.clone(),
        steps: job.steps.iter().map(step_pb).collect(),
        output: Some(pb::Output {
            format: o.format.and_then(|f| FORMATS.iter().find(|(x, _)| *x == f)).map_or(0, |(_, p)| *p as i32),
            quality: o.quality.map(u32::from),
            progressive: o.progressive,
            lossless: o.lossless,
            metadata: o.metadata,
            color_profile: o.color_profile,
            original: o.original,
            default_image: o.default_image.clone(),
        }),
        thumbnail: job.thumbnail,
    }
}

// ---- proto → domain -------------------------------------------------------------------

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
        x: opt_dim("x", &r.x)?,
        y: opt_dim("y", &r.y)?,
        xc: opt_dim("xc", &r.xc)?,
        yc: opt_dim("yc", &r.yc)?,
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
        padding: s.padding.iter().map(|d| dim("pa", d)).collect::<Result<_>>()?,
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
        None => return Err(bad("l", "empty")),
    };
    let p = l.position.clone().unwrap_or_default();
    Ok(Layer {
        kind,
        steps: l.steps.iter().map(|s| step(s, depth + 1)).collect::<Result<_>>()?,
        position: LayerPosition {
            x: opt_dim("lx", &p.x)?,
            y: opt_dim("ly", &p.y)?,
            xc: opt_dim("lxc", &p.xc)?,
            yc: opt_dim("lyc", &p.yc)?,
            focus: p.focus.as_ref().map(|f| focus("lfo", f)).transpose()?,
            x_negative: p.x_negative,
            y_negative: p.y_negative,
            anchor: p.anchor.as_ref().map(|f| focus("lap", f)).transpose()?,
        },
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

/// Domain error → gRPC status, carrying the stable code, key and value in metadata so the
/// front end can rebuild the error exactly.
pub fn status_from_error(e: &Error) -> tonic::Status {
    let mut status = tonic::Status::new(tonic::Code::from_i32(e.kind().grpc_code()), e.message());
    let md = status.metadata_mut();
    let put = |md: &mut tonic::metadata::MetadataMap, k: &'static str, v: &str| {
        if let Ok(v) = v.parse() {
            md.insert(k, v);
        }
    };
    put(md, "x-xformd-code", e.kind().code());
    if let Some(k) = e.key() {
        put(md, "x-xformd-key", k);
    }
    if let Some(v) = e.value() {
        // Values may hold any bytes a URL carried; metadata must be visible ASCII.
        let ascii: String = v.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect();
        put(md, "x-xformd-value", &ascii);
    }
    status
}

/// gRPC status → domain error (front end side).
pub fn error_from_status(s: &tonic::Status) -> Error {
    let md = s.metadata();
    let get = |k: &str| md.get(k).and_then(|v| v.to_str().ok()).map(str::to_string);
    let kind = get("x-xformd-code").and_then(|c| ErrorKind::from_code(&c)).unwrap_or_else(|| match s.code() {
        tonic::Code::Unavailable => ErrorKind::Unavailable,
        tonic::Code::DeadlineExceeded => ErrorKind::Timeout,
        other => ErrorKind::from_grpc_code(other as i32),
    });
    let mut e = Error::new(kind, s.message());
    if let (Some(k), Some(v)) = (get("x-xformd-key"), get("x-xformd-value")) {
        e = e.with_param(k, v);
    }
    e
}
