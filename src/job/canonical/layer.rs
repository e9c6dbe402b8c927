//! Canonical form of layers: `l-image`/`l-text`/`l-video`/`l-subtitles` spans with input,
//! position, timing (`lso leo ldu`) and text or subtitle style first, then the layer's own
//! steps separated by `:`.
//!
//! Owns: [`layer`]. Pure; imports only `job` types and its parent's helpers.

use super::{color, dim, encode, focus, media_path, radius, step, time};
use crate::job::{Layer, LayerKind, LayerPosition, SubtitleStyle, TextAlign, TextStyle};

/// A layer span `l-<type>,i-…,<position>,<text style>,<steps>,l-end`.
pub(super) fn layer(l: &Layer) -> String {
    let mut head: Vec<String> = Vec::new();
    match &l.kind {
        LayerKind::Image { path } => head.extend(["l-image".into(), format!("i-{}", media_path(path))]),
        LayerKind::Solid => head.extend(["l-image".into(), "i-ik_canvas".into()]),
        LayerKind::Text { text, .. } => head.extend(["l-text".into(), format!("i-{}", encode(text, b""))]),
        LayerKind::Video { path } => head.extend(["l-video".into(), format!("i-{}", media_path(path))]),
        LayerKind::Subtitles { path, .. } => head.extend(["l-subtitles".into(), format!("i-{}", media_path(path))]),
    }
    position(&l.position, &mut head);
    if let Some(m) = l.mode.as_str() {
        head.push(format!("lm-{m}"));
    }
    match &l.kind {
        LayerKind::Text { style, .. } => text_style(style, &mut head),
        LayerKind::Subtitles { style, .. } => subtitle_style(style, &mut head),
        _ => {}
    }
    let steps: Vec<String> = l.steps.iter().map(step).collect();
    let mut s = head.join(",");
    let body = steps.join(":");
    if !body.is_empty() {
        s.push(',');
        s.push_str(&body);
    }
    s.push_str(",l-end");
    s
}

fn position(p: &LayerPosition, out: &mut Vec<String>) {
    let n = |neg: bool| if neg { "N" } else { "" };
    if let Some(x) = &p.x {
        out.push(format!("lx-{}{}", n(p.x_negative), dim(x)));
    }
    if let Some(y) = &p.y {
        out.push(format!("ly-{}{}", n(p.y_negative), dim(y)));
    }
    if let Some(x) = &p.xc {
        out.push(format!("lxc-{}", dim(x)));
    }
    if let Some(y) = &p.yc {
        out.push(format!("lyc-{}", dim(y)));
    }
    if let Some(f) = &p.focus {
        out.push(format!("lfo-{}", focus(f)));
    }
    if let Some(a) = &p.anchor {
        out.push(format!("lap-{}", focus(a)));
    }
    for (k, t) in [("lso", &p.start), ("leo", &p.end), ("ldu", &p.duration)] {
        if let Some(t) = t {
            out.push(format!("{k}-{}", time(t)));
        }
    }
}

fn subtitle_style(s: &SubtitleStyle, out: &mut Vec<String>) {
    if let Some(n) = s.size {
        out.push(format!("fs-{n}"));
    }
    if let Some(f) = &s.font {
        out.push(format!("ff-{}", if f.starts_with('/') { media_path(f) } else { f.clone() }));
    }
    if let Some(c) = s.color {
        out.push(format!("co-{}", color(c)));
    }
    if let Some(c) = s.background {
        out.push(format!("bg-{}", color(c)));
    }
    match (s.bold, s.italic) {
        (true, true) => out.push("tg-b_i".into()),
        (true, false) => out.push("tg-b".into()),
        (false, true) => out.push("tg-i".into()),
        (false, false) => {}
    }
    if let Some((w, c)) = s.outline {
        out.push(format!("fol-{w}_{}", color(c)));
    }
    if let Some((c, d)) = s.shadow {
        out.push(format!("fsh-{}_{d}", color(c)));
    }
}

fn text_style(s: &TextStyle, out: &mut Vec<String>) {
    if let Some(d) = &s.size {
        out.push(format!("fs-{}", dim(d)));
    }
    if let Some(f) = &s.font {
        out.push(format!("ff-{}", if f.starts_with('/') { media_path(f) } else { f.clone() }));
    }
    if let Some(c) = s.color {
        out.push(format!("co-{}", color(c)));
    }
    match s.align {
        TextAlign::Left => out.push("ia-left".into()),
        TextAlign::Right => out.push("ia-right".into()),
        TextAlign::Center => {}
    }
    if let Some(d) = &s.max_width {
        out.push(format!("w-{}", dim(d)));
    }
    if !s.padding.is_empty() {
        out.push(format!("pa-{}", s.padding.iter().map(dim).collect::<Vec<_>>().join("_")));
    }
    if let Some(a) = s.alpha {
        out.push(format!("al-{a}"));
    }
    match (s.bold, s.italic) {
        (true, true) => out.push("tg-b_i".into()),
        (true, false) => out.push("tg-b".into()),
        (false, true) => out.push("tg-i".into()),
        (false, false) => {}
    }
    if let Some(c) = s.background {
        out.push(format!("bg-{}", color(c)));
    }
    if let Some(r) = s.radius {
        out.push(format!("r-{}", radius(r)));
    }
    if let Some(h) = s.line_height {
        out.push(format!("lh-{h}"));
    }
}
