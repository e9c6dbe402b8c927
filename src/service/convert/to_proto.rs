//! Domain job → wire job.

use super::{CROPS, FOCI, FORMATS, LAYER_MODES};
use crate::job::{
    AspectRatio, Background, Color, Dim, Distort, Dpr, Effect, Focus, Job, Layer, LayerKind, Radius, Resize, Rotation,
    Step, StopPoint, SubtitleStyle, TextAlign, TextStyle, TimeValue, Trim, VideoParams,
};
use crate::service::proto as pb;

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
        Effect::Shadow(s) => Kind::Shadow(pb::Shadow {
            blur: u32::from(s.blur),
            saturation: u32::from(s.saturation),
            x: i32::from(s.x),
            y: i32::from(s.y),
        }),
        Effect::Gradient(g) => Kind::Gradient(pb::Gradient {
            direction: u32::from(g.direction),
            from: Some(color_pb(&g.from)),
            to: Some(color_pb(&g.to)),
            stop: Some(match &g.stop {
                StopPoint::Fraction(f) => pb::gradient::Stop::StopFraction(*f),
                StopPoint::Px(p) => pb::gradient::Stop::StopPx(*p),
                StopPoint::Expr(e) => pb::gradient::Stop::StopExpr(e.to_string()),
            }),
        }),
        Effect::Distort(Distort::Perspective(c)) => {
            Kind::Distort(pb::Distort { perspective: c.to_vec(), arc_degrees: 0.0 })
        }
        Effect::Distort(Distort::Arc(d)) => Kind::Distort(pb::Distort { perspective: Vec::new(), arc_degrees: *d }),
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
        LayerKind::Video { path } => Kind::VideoPath(path.clone()),
        LayerKind::Subtitles { path, style } => {
            Kind::Subtitles(pb::SubtitlesLayer { path: path.clone(), style: Some(subtitle_style_pb(style)) })
        }
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
            start: p.start.as_ref().map(time_pb),
            end: p.end.as_ref().map(time_pb),
            duration: p.duration.as_ref().map(time_pb),
        }),
        mode: LAYER_MODES.iter().find(|(m, _)| *m == l.mode).map_or(0, |(_, p)| *p as i32),
    }
}

fn subtitle_style_pb(s: &SubtitleStyle) -> pb::SubtitleStyle {
    pb::SubtitleStyle {
        size: s.size,
        font: s.font.clone(),
        color: s.color.as_ref().map(color_pb),
        background: s.background.as_ref().map(color_pb),
        bold: s.bold,
        italic: s.italic,
        outline_width: s.outline.map(|(w, _)| w),
        outline_color: s.outline.as_ref().map(|(_, c)| color_pb(c)),
        shadow_color: s.shadow.as_ref().map(|(c, _)| color_pb(c)),
        shadow_depth: s.shadow.map(|(_, d)| d),
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
                Background::GradientDominant { colors } => pb::background::Value::GradientDominant(u32::from(colors)),
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
