//! Canonical text form of a job: the cache key and the log field.
//!
//! Owns: [`render`] (a whole job as a request path) and [`render_chain`] (steps and output
//! as one ImageKit transformation string). Pure; imports only sibling `job` types and std.
//!
//! The form is ImageKit syntax that the ImageKit parser reads back to the same job
//! (`url::imagekit` tests `parse_chain(render_chain(x)) == x`), with everything that can be
//! spelled two ways spelled one way:
//! * fixed parameter order inside a step: `t w h ar dpr c|cm fo x y xc yc z rt fl bl e-* r b bg
//!   o so eo du ac vc`, then layers in URL order; output parameters (`f q pr lo md cp orig
//!   di`) once, at the end of the last step;
//! * numbers in shortest form (`3` not `3.0`, `007` ⇒ `7`), rotation in `[0, 360)`, times as
//!   seconds with at most two decimals;
//! * colours as upper-case hex (`red` ⇒ `FF0000`, opacity as two decimal digits);
//! * `c-` for strategies and `cm-` for modes; legacy overlays as `l-image,…,l-end` /
//!   `l-text,…,l-end`; text and paths percent-encoded (every byte outside `A-Z a-z 0-9 - . _ ~`),
//!   folders in paths as `@@`.

mod effect;
mod layer;

use std::fmt::Write as _;

use super::{AspectRatio, Background, Color, Dim, Dpr, Focus, Job, Output, Radius, Rotation, Step, TimeValue, Trim};

/// Render `job` as a request path: `/tr:<chain>/<source>` (just the source when there is no
/// transformation), with `/ik-thumbnail.jpg` appended for video thumbnails. The backend
/// preference is not part of the form.
pub fn render(job: &Job) -> String {
    let chain = render_chain(&job.steps, &job.output);
    let mut s = String::new();
    if !chain.is_empty() {
        let _ = write!(s, "/tr:{chain}");
    }
    s.push_str(&encode(&job.source, b"/"));
    if job.thumbnail {
        s.push_str("/ik-thumbnail.jpg");
    }
    s
}

/// Render steps and output as one transformation string (empty when there is nothing).
pub fn render_chain(steps: &[Step], output: &Output) -> String {
    let mut parts: Vec<String> = steps.iter().map(step).filter(|s| !s.is_empty()).collect();
    let out = output_params(output);
    if !out.is_empty() {
        match parts.last_mut() {
            Some(last) => {
                last.push(',');
                last.push_str(&out);
            }
            None => parts.push(out),
        }
    }
    parts.join(":")
}

fn step(s: &Step) -> String {
    let mut p: Vec<String> = Vec::new();
    let mut kv = |k: &str, v: String| p.push(format!("{k}-{v}"));
    if let Some(t) = s.trim {
        kv("t", trim(t));
    }
    let r = &s.resize;
    for (k, d) in [("w", &r.width), ("h", &r.height)] {
        if let Some(d) = d {
            kv(k, dim(d));
        }
    }
    match &r.aspect {
        Some(AspectRatio::Ratio(a, b)) => kv("ar", format!("{a}-{b}")),
        Some(AspectRatio::Expr(e)) => kv("ar", e.to_string()),
        None => {}
    }
    match &r.dpr {
        Some(Dpr::Value(v)) => kv("dpr", v.to_string()),
        Some(Dpr::Auto) => kv("dpr", "auto".into()),
        Some(Dpr::Expr(e)) => kv("dpr", e.to_string()),
        None => {}
    }
    if let Some(c) = r.crop {
        kv(if c.is_mode() { "cm" } else { "c" }, c.as_str().into());
    }
    if let Some(f) = &r.focus {
        kv("fo", focus(f).into());
    }
    for (k, d) in [("x", &r.x), ("y", &r.y), ("xc", &r.xc), ("yc", &r.yc)] {
        if let Some(d) = d {
            kv(k, dim(d));
        }
    }
    if let Some(z) = r.zoom {
        kv("z", z.to_string());
    }
    match s.rotate {
        Some(Rotation::Degrees(d)) if d < 0.0 => kv("rt", format!("N{}", -d)),
        Some(Rotation::Degrees(d)) => kv("rt", d.to_string()),
        Some(Rotation::Auto) => kv("rt", "auto".into()),
        None => {}
    }
    if let Some(f) = s.flip {
        let v = match (f.horizontal, f.vertical) {
            (true, true) => "h_v",
            (true, false) => "h",
            (false, true) => "v",
            (false, false) => "",
        };
        if !v.is_empty() {
            kv("fl", v.into());
        }
    }
    if let Some(b) = s.blur {
        kv("bl", b.to_string());
    }
    for e in &s.effects {
        kv("e", effect::effect(e));
    }
    if let Some(r) = s.radius {
        kv("r", radius(r));
    }
    if let Some(b) = &s.border {
        kv("b", format!("{}_{}", dim(&b.width), color(b.color)));
    }
    if let Some(bg) = &s.background {
        kv("bg", background(bg));
    }
    if let Some(o) = s.opacity {
        kv("o", o.to_string());
    }
    let v = &s.video;
    for (k, t) in [("so", &v.start), ("eo", &v.end), ("du", &v.duration)] {
        if let Some(t) = t {
            kv(k, time(t));
        }
    }
    for (k, c) in [("ac", &v.audio_codec), ("vc", &v.video_codec)] {
        if let Some(c) = c {
            kv(k, c.clone());
        }
    }
    for l in &s.layers {
        p.push(layer::layer(l));
    }
    p.join(",")
}

fn output_params(o: &Output) -> String {
    let mut p: Vec<String> = Vec::new();
    if let Some(f) = o.format {
        p.push(format!("f-{}", f.as_str()));
    }
    if let Some(q) = o.quality {
        p.push(format!("q-{q}"));
    }
    if let Some(v) = o.progressive {
        p.push(format!("pr-{v}"));
    }
    if let Some(v) = o.lossless {
        p.push(format!("lo-{v}"));
    }
    if o.metadata {
        p.push("md-true".into());
    }
    if o.color_profile {
        p.push("cp-true".into());
    }
    if o.original {
        p.push("orig-true".into());
    }
    if let Some(d) = &o.default_image {
        p.push(format!("di-{}", media_path(d)));
    }
    p.join(",")
}

fn dim(d: &Dim) -> String {
    match d {
        Dim::Px(n) => n.to_string(),
        Dim::Fraction(f) => f.to_string(),
        Dim::Expr(e) => e.to_string(),
        Dim::Auto => "auto".into(),
    }
}

fn trim(t: Trim) -> String {
    match t {
        Trim::Default => "true".into(),
        Trim::Threshold(n) => n.to_string(),
        Trim::Off => "false".into(),
    }
}

fn radius(r: Radius) -> String {
    match r {
        Radius::Max => "max".into(),
        Radius::Uniform(n) => n.to_string(),
        Radius::Corners(corners) => {
            let one = |v: u32| if v == Radius::MAX_CORNER { "max".to_string() } else { v.to_string() };
            corners.map(one).join("_")
        }
    }
}

fn background(b: &Background) -> String {
    match *b {
        Background::Color(c) => color(c),
        Background::Dominant => "dominant".into(),
        Background::GradientDominant { colors: 2 } => "gradient_dominant".into(),
        Background::GradientDominant { colors } => format!("gradient_dominant_{colors}"),
        Background::Blurred { intensity, brightness } => {
            let i = intensity.map_or_else(|| "auto".to_owned(), |i| i.to_string());
            match (intensity, brightness) {
                (None, 0) => "blurred".into(),
                (Some(_), 0) => format!("blurred_{i}"),
                (_, b) if b < 0 => format!("blurred_{i}_N{}", -i32::from(b)),
                (_, b) => format!("blurred_{i}_{b}"),
            }
        }
    }
}

/// `RRGGBB` upper-case, plus the opacity as two decimal digits when given.
fn color(c: Color) -> String {
    let [r, g, b] = c.rgb;
    match c.opacity_pct {
        Some(o) => format!("{r:02X}{g:02X}{b:02X}{:02}", o.min(99)),
        None => format!("{r:02X}{g:02X}{b:02X}"),
    }
}

fn focus(f: &Focus) -> &str {
    match f {
        Focus::Center => "center",
        Focus::Top => "top",
        Focus::Bottom => "bottom",
        Focus::Left => "left",
        Focus::Right => "right",
        Focus::TopLeft => "top_left",
        Focus::TopRight => "top_right",
        Focus::BottomLeft => "bottom_left",
        Focus::BottomRight => "bottom_right",
        Focus::Auto => "auto",
        Focus::Face => "face",
        Focus::Custom => "custom",
        Focus::Object(o) => o,
    }
}

/// Seconds with at most two decimals, no trailing zeros.
fn time(t: &TimeValue) -> String {
    match t {
        TimeValue::Centis(c) => match (c / 100, c % 100) {
            (s, 0) => s.to_string(),
            (s, f) if f % 10 == 0 => format!("{s}.{}", f / 10),
            (s, f) => format!("{s}.{f:02}"),
        },
        TimeValue::Expr(e) => e.to_string(),
    }
}

/// An origin path in `@@` form, without the leading `/`, each byte outside the unreserved
/// set percent-encoded (so `@` is `%40` and cannot form `@@`).
fn media_path(path: &str) -> String {
    let p = path.strip_prefix('/').unwrap_or(path);
    p.split('/').map(|s| encode(s, b"")).collect::<Vec<_>>().join("@@")
}

/// Percent-encode every byte outside `A-Z a-z 0-9 - . _ ~` and `keep`.
fn encode(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Expr, Format};

    #[test]
    fn pieces() {
        assert_eq!(color(Color { rgb: [255, 0, 10], opacity_pct: Some(5) }), "FF000A05");
        assert_eq!(time(&TimeValue::Centis(1056)), "10.56");
        assert_eq!(time(&TimeValue::Centis(250)), "2.5");
        assert_eq!(time(&TimeValue::Centis(2000)), "20");
        assert_eq!(time(&TimeValue::Centis(5)), "0.05");
        assert_eq!(encode("a b:c,d%é", b""), "a%20b%3Ac%2Cd%25%C3%A9");
        assert_eq!(media_path("/a@b/c d.png"), "a%40b@@c%20d.png");
        let bg = |i, b| background(&Background::Blurred { intensity: i, brightness: b });
        assert_eq!(
            (bg(None, 0), bg(Some(5), 0), bg(None, -30), bg(Some(20), 255)),
            ("blurred".into(), "blurred_5".into(), "blurred_auto_N30".into(), "blurred_20_255".into())
        );
        assert_eq!(dim(&Dim::Expr(Expr::parse("w", "iw_mul_2.0").unwrap())), "iw_mul_2");
    }

    #[test]
    fn whole_job() {
        let mut job = Job { source: "/photos/a b.jpg".into(), ..Job::default() };
        assert_eq!(render(&job), "/photos/a%20b.jpg");
        job.steps.push(Step { blur: Some(3), ..Step::default() });
        job.output.format = Some(Format::Webp);
        job.thumbnail = true;
        assert_eq!(render(&job), "/tr:bl-3,f-webp/photos/a%20b.jpg/ik-thumbnail.jpg");
        assert_eq!(render_chain(&[], &Output { quality: Some(50), ..Output::default() }), "q-50");
    }
}
