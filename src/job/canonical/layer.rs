//! Canonical form of layers: `l-image`/`l-text` spans with input, position and text style
//! first, then the layer's own steps separated by `:`.
//!
//! Owns: [`layer`]. Pure; imports only `job` types and its parent's helpers.

use super::{color, dim, encode, focus, media_path, radius, step};
use crate::job::{Layer, LayerKind, LayerMode, LayerPosition, TextAlign, TextStyle};

/// A layer span `l-<type>,i-…,<position>,<text style>,<steps>,l-end`.
pub(super) fn layer(l: &Layer) -> String {
    let mut head: Vec<String> = Vec::new();
    match &l.kind {
        LayerKind::Image { path } => head.extend(["l-image".into(), format!("i-{}", media_path(path))]),
        LayerKind::Solid => head.extend(["l-image".into(), "i-ik_canvas".into()]),
        LayerKind::Text { text, .. } => head.extend(["l-text".into(), format!("i-{}", encode(text, b""))]),
    }
    position(&l.position, &mut head);
    if let Some(m) = mode(l.mode) {
        head.push(format!("lm-{m}"));
    }
    if let LayerKind::Text { style, .. } = &l.kind {
        text_style(style, &mut head);
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

/// `lm` value; the default (source-over) is not written.
fn mode(m: LayerMode) -> Option<&'static str> {
    match m {
        LayerMode::Normal => None,
        LayerMode::Multiply => Some("multiply"),
        LayerMode::Cutout => Some("cutout"),
        LayerMode::Cutter => Some("cutter"),
        LayerMode::Displace => Some("displace"),
    }
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
