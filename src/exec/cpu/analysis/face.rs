//! Face detection for `fo-face` (with `z`) and `lfo-face`: a Viola–Jones evaluator over
//! OpenCV's frontal-face Haar cascade.
//!
//! Owns: [`Face`], [`detect`], [`window_centre`], the cascade parser and evaluator.
//! May import the parent's [`Small`], `media`; rayon.
//!
//! The cascade (`media/models/haarcascade_frontalface_default.xml`, Rainer Lienhart, Intel
//! License Agreement — BSD-3-Clause style, header kept in the file; see `media/SOURCES.md`)
//! is embedded in the binary and parsed once, on first use, by a small hand-written reader
//! of the cascade's `<stages>` / `<features>` structure (no XML crate): nothing is
//! downloaded or read from disk at run time.
//!
//! Detection follows OpenCV's `detectMultiScale` for this (stump-based, untilted) cascade:
//! * luma of a copy downscaled to at most [`ANALYSIS_SIDE`] px (area average);
//! * for scale factors 1, 1.1, 1.1², … the luma is bilinearly resized by 1/factor and a
//!   summed-area table and a squared one are built; the 24×24 window slides in steps of
//!   2 px (1 px once the factor exceeds 2), as OpenCV does;
//! * each window is normalised by its standard deviation (inner 22×22 area), every weak
//!   classifier compares its weighted rectangle sum against its threshold, a stage rejects
//!   the window when its leaf total is under the stage threshold;
//! * hits are grouped like `groupRectangles(minNeighbors = 3, eps = 0.2)`: clusters of
//!   similar boxes are averaged, clusters of 3 or fewer boxes are dropped (this is what
//!   filters stray false positives), and boxes inside a stronger one are removed.

use std::sync::OnceLock;

use rayon::prelude::*;

use super::Small;
use crate::media::Frame;

/// The embedded cascade.
static CASCADE_XML: &str = include_str!("../../../../media/models/haarcascade_frontalface_default.xml");

/// Longest side of the analysed copy: faces smaller than 24 px at this size are missed.
pub const ANALYSIS_SIDE: u32 = 640;

/// Scale step between pyramid levels (OpenCV's default is 1.1).
const SCALE_FACTOR: f64 = 1.1;

/// A cluster needs more than this many raw hits (OpenCV's `minNeighbors`).
const MIN_NEIGHBORS: usize = 3;

/// Grouping tolerance (OpenCV's `eps`).
const GROUP_EPS: f64 = 0.2;

/// Raw hits kept before grouping: bounds the quadratic grouping on pathological images.
const MAX_RAW_HITS: usize = 20_000;

/// A detected face, in pixels of the analysed frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
    /// Raw hits in its cluster (a confidence).
    pub neighbors: usize,
}

impl Face {
    /// Centre point.
    pub fn centre(&self) -> (f64, f64) {
        (self.x + self.width / 2.0, self.y + self.height / 2.0)
    }

    fn area(&self) -> f64 {
        self.width * self.height
    }
}

/// One rectangle of a Haar feature: x, y, width, height in the 24×24 window, weight.
#[derive(Debug, Clone, Copy)]
struct HaarRect {
    x: usize,
    y: usize,
    w: usize,
    h: usize,
    weight: f64,
}

/// A decision stump: `feature value < threshold` ⇒ `left`, else `right`.
#[derive(Debug, Clone, Copy)]
struct Weak {
    feature: usize,
    threshold: f64,
    left: f64,
    right: f64,
}

#[derive(Debug, Clone)]
struct Stage {
    threshold: f64,
    weak: Vec<Weak>,
}

/// A parsed cascade.
#[derive(Debug, Clone)]
struct Cascade {
    width: usize,
    height: usize,
    stages: Vec<Stage>,
    features: Vec<Vec<HaarRect>>,
}

/// Elements named in `names`, in document order, as (name, text content); comments skipped.
/// Content is everything up to the matching close tag (nested elements included).
fn elements<'a>(s: &'a str, names: &[&'static str]) -> Vec<(&'static str, &'a str)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = s[i..].find('<') {
        let start = i + off + 1;
        let rest = &s[start..];
        if rest.starts_with("!--") {
            i = rest.find("-->").map_or(s.len(), |e| start + e + 3);
            continue;
        }
        i = start;
        let name_len = rest.find(|c: char| c == '>' || c == '/' || c.is_whitespace()).unwrap_or(rest.len());
        let Some(&name) = names.iter().find(|n| **n == &rest[..name_len]) else { continue };
        let Some(open_end) = rest.find('>') else { break };
        let body = start + open_end + 1;
        let close = format!("</{name}>");
        let Some(len) = s[body..].find(&close) else { break };
        out.push((name, &s[body..body + len]));
        i = body + len + close.len();
    }
    out
}

/// Numbers in an element's text, ignoring `<_>` markers.
fn numbers(s: &str) -> Option<Vec<f64>> {
    s.replace("<_>", " ").replace("</_>", " ").split_whitespace().map(|t| t.parse().ok()).collect()
}

fn parse_cascade(xml: &str) -> Option<Cascade> {
    let (head, features_xml) = xml.split_once("<features>")?;
    let (head, stages_xml) = head.split_once("<stages>")?;
    let dims = elements(head, &["width", "height"]);
    let dim = |n: &str| dims.iter().find(|(k, _)| *k == n).and_then(|(_, v)| v.trim().parse::<usize>().ok());
    let (width, height) = (dim("width")?, dim("height")?);
    let mut stages: Vec<Stage> = Vec::new();
    let mut pending: Option<(usize, f64)> = None;
    for (name, text) in elements(stages_xml, &["stageThreshold", "internalNodes", "leafValues"]) {
        let v = numbers(text)?;
        match name {
            "stageThreshold" => stages.push(Stage { threshold: *v.first()?, weak: Vec::new() }),
            // Stumps only: left = 0, right = -1, feature index, threshold.
            "internalNodes" if v.len() == 4 && v[0] == 0.0 && v[1] == -1.0 => {
                #[expect(clippy::cast_possible_truncation, reason = "a small non-negative feature index")]
                let feature = v[2].max(0.0) as usize;
                pending = Some((feature, v[3]));
            }
            "leafValues" if v.len() == 2 => {
                let (feature, threshold) = pending.take()?;
                stages.last_mut()?.weak.push(Weak { feature, threshold, left: v[0], right: v[1] });
            }
            _ => return None,
        }
    }
    let mut features = Vec::new();
    for (name, text) in elements(features_xml, &["rects", "tilted"]) {
        if name == "tilted" {
            if text.trim() != "0" {
                return None;
            }
            continue;
        }
        let v = numbers(text)?;
        if v.is_empty() || v.len() % 5 != 0 {
            return None;
        }
        let mut rects = Vec::new();
        for r in v.chunks_exact(5) {
            let u = |f: f64| -> Option<usize> {
                #[expect(clippy::cast_possible_truncation, reason = "checked to be a small integer")]
                let i = f as usize;
                ((0.0..=64.0).contains(&f) && f.fract() == 0.0).then_some(i)
            };
            let (x, y, w, h) = (u(r[0])?, u(r[1])?, u(r[2])?, u(r[3])?);
            if x + w > width || y + h > height {
                return None;
            }
            rects.push(HaarRect { x, y, w, h, weight: r[4] });
        }
        features.push(rects);
    }
    let ok = !stages.is_empty() && stages.iter().all(|s| s.weak.iter().all(|w| w.feature < features.len()));
    ok.then_some(Cascade { width, height, stages, features })
}

/// The embedded cascade, parsed once; `None` if it failed to parse (a build defect, caught
/// by the tests; detection then finds nothing and callers fall back to the centre).
fn cascade() -> Option<&'static Cascade> {
    static C: OnceLock<Option<Cascade>> = OnceLock::new();
    C.get_or_init(|| parse_cascade(CASCADE_XML)).as_ref()
}

/// Summed-area tables of a luma image (and of its squares), with a zero row and column.
struct Integral {
    stride: usize,
    sum: Vec<f64>,
    sq: Vec<f64>,
}

impl Integral {
    fn new(img: &[f32], w: usize, h: usize) -> Integral {
        let stride = w + 1;
        let mut sum = Vec::new();
        sum.resize(stride * (h + 1), 0.0);
        let mut sq = sum.clone();
        for y in 0..h {
            let (mut rs, mut rq) = (0.0f64, 0.0f64);
            for x in 0..w {
                let v = f64::from(img[y * w + x]);
                rs += v;
                rq += v * v;
                sum[(y + 1) * stride + x + 1] = sum[y * stride + x + 1] + rs;
                sq[(y + 1) * stride + x + 1] = sq[y * stride + x + 1] + rq;
            }
        }
        Integral { stride, sum, sq }
    }
}

/// A cascade's rectangles as offsets into one scale's summed-area table, so that a rectangle
/// sum is four loads relative to the window's top-left index (OpenCV does the same).
struct Scaled {
    /// Per feature: range into `offs` / `weights`.
    features: Vec<(usize, usize)>,
    /// Per rectangle: table offsets of its four corners (tl, tr, bl, br).
    offs: Vec<[usize; 4]>,
    /// Per rectangle: weight.
    weights: Vec<f64>,
    /// Offsets of the variance-normalisation rectangle (the inner window).
    norm: [usize; 4],
    /// Its area.
    norm_area: f64,
}

impl Cascade {
    fn scaled(&self, stride: usize) -> Scaled {
        let corners = |x: usize, y: usize, w: usize, h: usize| {
            [y * stride + x, y * stride + x + w, (y + h) * stride + x, (y + h) * stride + x + w]
        };
        let mut features = Vec::with_capacity(self.features.len());
        let (mut offs, mut weights) = (Vec::new(), Vec::new());
        for f in &self.features {
            let start = offs.len();
            for r in f {
                offs.push(corners(r.x, r.y, r.w, r.h));
                weights.push(r.weight);
            }
            features.push((start, offs.len()));
        }
        let (nw, nh) = (self.width - 2, self.height - 2);
        Scaled { features, offs, weights, norm: corners(1, 1, nw, nh), norm_area: (nw * nh) as f64 }
    }

    /// True when the window whose top-left table index is `base` passes every stage.
    /// Written as index loops: this is the hot path, and it stays fast in debug builds.
    fn accepts(&self, sc: &Scaled, ii: &Integral, base: usize) -> bool {
        let (t, q) = (&ii.sum[base..], &ii.sq[base..]);
        let n = &sc.norm;
        let s = t[n[3]] - t[n[1]] - t[n[2]] + t[n[0]];
        let s2 = q[n[3]] - q[n[1]] - q[n[2]] + q[n[0]];
        let nf = sc.norm_area * s2 - s * s;
        let norm = if nf > 0.0 { 1.0 / nf.sqrt() } else { 1.0 };
        for stage in &self.stages {
            let mut total = 0.0;
            for wk in &stage.weak {
                let (a, b) = sc.features[wk.feature];
                let mut value = 0.0;
                for r in a..b {
                    let o = &sc.offs[r];
                    value += sc.weights[r] * (t[o[3]] - t[o[1]] - t[o[2]] + t[o[0]]);
                }
                total += if value * norm < wk.threshold { wk.left } else { wk.right };
            }
            if total < stage.threshold {
                return false;
            }
        }
        true
    }
}

/// Bilinear resize of a luma image (pixel centres aligned, like OpenCV's INTER_LINEAR).
fn resize(src: &[f32], sw: usize, sh: usize, dw: usize, dh: usize) -> Vec<f32> {
    let mut out = Vec::new();
    out.resize(dw * dh, 0.0f32);
    let (fx, fy) = (sw as f64 / dw as f64, sh as f64 / dh as f64);
    let tap = |d: usize, f: f64, n: usize| {
        let c = ((d as f64 + 0.5) * f - 0.5).clamp(0.0, (n - 1) as f64);
        #[expect(clippy::cast_possible_truncation, reason = "clamped to the source side")]
        let i = c.floor() as usize;
        #[expect(clippy::cast_possible_truncation, reason = "a fraction in [0, 1)")]
        let t = (c - c.floor()) as f32;
        (i, (i + 1).min(n - 1), t)
    };
    for y in 0..dh {
        let (y0, y1, ty) = tap(y, fy, sh);
        for x in 0..dw {
            let (x0, x1, tx) = tap(x, fx, sw);
            let top = src[y0 * sw + x0] * (1.0 - tx) + src[y0 * sw + x1] * tx;
            let bottom = src[y1 * sw + x0] * (1.0 - tx) + src[y1 * sw + x1] * tx;
            out[y * dw + x] = top * (1.0 - ty) + bottom * ty;
        }
    }
    out
}

/// OpenCV's `groupRectangles` similarity test.
fn similar(a: &Face, b: &Face) -> bool {
    let delta = GROUP_EPS * (a.width.min(b.width) + a.height.min(b.height)) * 0.5;
    (a.x - b.x).abs() <= delta
        && (a.y - b.y).abs() <= delta
        && (a.x + a.width - b.x - b.width).abs() <= delta
        && (a.y + a.height - b.y - b.height).abs() <= delta
}

/// Cluster raw hits, average each cluster, keep clusters of more than [`MIN_NEIGHBORS`]
/// hits and drop boxes inside a stronger one.
fn group(raw: &[Face]) -> Vec<Face> {
    let n = raw.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for i in 0..n {
        for j in i + 1..n {
            if similar(&raw[i], &raw[j]) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                if a != b {
                    parent[b.max(a)] = a.min(b);
                }
            }
        }
    }
    let mut clusters: Vec<(usize, Face)> = Vec::new();
    let mut index = std::collections::BTreeMap::new();
    for (i, f) in raw.iter().enumerate() {
        let r = root(&mut parent, i);
        let k = *index.entry(r).or_insert_with(|| {
            clusters.push((0, Face { x: 0.0, y: 0.0, width: 0.0, height: 0.0, neighbors: 0 }));
            clusters.len() - 1
        });
        let c = &mut clusters[k];
        c.0 += 1;
        (c.1.x, c.1.y, c.1.width, c.1.height) = (c.1.x + f.x, c.1.y + f.y, c.1.width + f.width, c.1.height + f.height);
    }
    let avg: Vec<Face> = clusters
        .iter()
        .map(|(count, s)| {
            let k = *count as f64;
            Face { x: s.x / k, y: s.y / k, width: s.width / k, height: s.height / k, neighbors: *count }
        })
        .collect();
    avg.iter()
        .filter(|a| a.neighbors > MIN_NEIGHBORS)
        .filter(|a| {
            !avg.iter().any(|b| {
                if std::ptr::eq(*a, b) || b.neighbors <= MIN_NEIGHBORS {
                    return false;
                }
                let (dx, dy) = ((b.width * GROUP_EPS).round(), (b.height * GROUP_EPS).round());
                let inside = a.x >= b.x - dx
                    && a.y >= b.y - dy
                    && a.x + a.width <= b.x + b.width + dx
                    && a.y + a.height <= b.y + b.height + dy;
                inside && (b.neighbors > a.neighbors.max(3) || a.neighbors < 3)
            })
        })
        .copied()
        .collect()
}

/// Faces in `frame`, largest first (ties: more neighbours, then top-left first), in frame
/// pixels. Empty when there are none or the frame cannot be analysed.
pub fn detect(frame: &Frame) -> Vec<Face> {
    let (Some(c), Some(small)) = (cascade(), Small::new(frame, ANALYSIS_SIDE)) else { return Vec::new() };
    let luma = small.luma();
    let (w, h) = (small.width, small.height);
    let mut raw = Vec::new();
    let mut factor = 1.0f64;
    loop {
        #[expect(clippy::cast_possible_truncation, reason = "≤ the analysed side")]
        let (sw, sh) = ((w as f64 / factor).round() as usize, (h as f64 / factor).round() as usize);
        if sw < c.width || sh < c.height {
            break;
        }
        let img = if sw == w && sh == h { luma.clone() } else { resize(&luma, w, h, sw, sh) };
        let ii = Integral::new(&img, sw, sh);
        let step = if factor > 2.0 { 1 } else { 2 };
        let (sx, sy) = (sw as f64 / w as f64, sh as f64 / h as f64);
        let sc = c.scaled(ii.stride);
        let rows: Vec<usize> = (0..sh - c.height + 1).step_by(step).collect();
        let hits: Vec<Face> = rows
            .into_par_iter()
            .flat_map_iter(|y| {
                let (ii, sc) = (&ii, &sc);
                (0..=(sw - c.width)).step_by(step).filter(move |&x| c.accepts(sc, ii, y * ii.stride + x)).map(
                    move |x| Face {
                        x: x as f64 / sx,
                        y: y as f64 / sy,
                        width: c.width as f64 / sx,
                        height: c.height as f64 / sy,
                        neighbors: 1,
                    },
                )
            })
            .collect();
        raw.extend(hits);
        if raw.len() > MAX_RAW_HITS {
            raw.truncate(MAX_RAW_HITS);
            break;
        }
        factor *= SCALE_FACTOR;
    }
    let mut faces = group(&raw);
    for f in &mut faces {
        (f.x, f.y, f.width, f.height) =
            (f.x * small.scale, f.y * small.scale, f.width * small.scale, f.height * small.scale);
    }
    faces.sort_by(|a, b| {
        b.area()
            .total_cmp(&a.area())
            .then(b.neighbors.cmp(&a.neighbors))
            .then(a.y.total_cmp(&b.y))
            .then(a.x.total_cmp(&b.x))
    });
    faces
}

/// Where a `window`-sized `fo-face` crop is centred. Each face box is scaled around its
/// centre by `1 / zoom` (`z > 1` zooms in: the region that must show shrinks). When the
/// union of all scaled boxes fits in the window it is centred on that union (group shots
/// stay together); otherwise on the largest face. `None` when there is no face.
pub fn window_centre(faces: &[Face], zoom: f64, window: (u32, u32)) -> Option<(f64, f64)> {
    let largest = faces.first()?;
    let z = if zoom.is_finite() && zoom > 0.0 { zoom } else { 1.0 };
    let scaled = |f: &Face| {
        let (cx, cy) = f.centre();
        let (hw, hh) = (f.width / z / 2.0, f.height / z / 2.0);
        (cx - hw, cy - hh, cx + hw, cy + hh)
    };
    let (x0, y0, x1, y1) =
        faces.iter().map(scaled).fold(scaled(largest), |a, b| (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)));
    if x1 - x0 <= f64::from(window.0) && y1 - y0 <= f64::from(window.1) {
        Some(((x0 + x1) / 2.0, (y0 + y1) / 2.0))
    } else {
        Some(largest.centre())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_cascade_parses() {
        let c = cascade().expect("cascade parses");
        assert_eq!((c.width, c.height), (24, 24));
        assert_eq!(c.stages.len(), 25);
        assert_eq!(c.stages[0].weak.len(), 9);
        assert_eq!(c.features.len(), 2913);
        assert!(c.features.iter().all(|f| (2..=3).contains(&f.len())));
    }

    #[test]
    fn broken_cascades_are_refused() {
        assert!(parse_cascade("").is_none());
        assert!(parse_cascade("<stages></stages><features></features>").is_none());
        let tilted = CASCADE_XML.replacen("</rects></_>", "</rects><tilted>1</tilted></_>", 1);
        assert!(parse_cascade(&tilted).is_none());
    }

    #[test]
    fn flat_and_tiny_frames_have_no_faces() {
        let l = crate::limits::Limits::default();
        assert!(detect(&Frame::filled(&l, 200, 150, [128, 128, 128, 255]).unwrap()).is_empty());
        assert!(detect(&Frame::filled(&l, 10, 10, [200, 150, 120, 255]).unwrap()).is_empty());
    }

    #[test]
    fn grouping_needs_neighbours() {
        let f = |x: f64| Face { x, y: 10.0, width: 40.0, height: 40.0, neighbors: 1 };
        assert!(group(&[f(0.0), f(1.0), f(2.0)]).is_empty(), "3 hits are not enough");
        let g = group(&[f(0.0), f(1.0), f(2.0), f(3.0), f(200.0)]);
        assert_eq!(g.len(), 1);
        assert!((g[0].x - 1.5).abs() < 1e-9 && g[0].neighbors == 4);
    }

    #[test]
    fn window_centre_rules() {
        let a = Face { x: 0.0, y: 0.0, width: 20.0, height: 20.0, neighbors: 5 };
        let b = Face { x: 100.0, y: 0.0, width: 10.0, height: 10.0, neighbors: 5 };
        assert_eq!(window_centre(&[], 1.0, (50, 50)), None);
        assert_eq!(window_centre(&[a, b], 1.0, (200, 50)), Some((55.0, 10.0)), "union fits");
        assert_eq!(window_centre(&[a, b], 1.0, (50, 50)), Some((10.0, 10.0)), "largest face");
    }
}
