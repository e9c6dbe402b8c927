//! Layers over a re-encoded cut (`l-video`, `l-subtitles`): the concrete overlay request and
//! the libavfilter graph text that composes them on the base picture.
//!
//! Owns: [`OverlaySpec`], [`compose_graph`], [`filter_path`]. Pure: no FFmpeg types; imports
//! only the parent's types.
//!
//! # The graph
//! ```text
//! [in] <base chain> [b0]; [l0] <layer chain> [o0];
//! [b0][o0] overlay=x=X:y=Y:eof_action=pass:enable='gte(t,A)*lt(t,B)' [b1]; … ;
//! [bN] ass=filename=…:fontsdir=… [out]
//! ```
//! `in` carries the base frames, `l0`, `l1`, … the decoded layer frames, already retimed to
//! the output timeline by `layer_feed` (so layer frame time = output time). `enable`
//! bounds the layer to its window exactly, whatever the layer's frame rate; `eof_action=pass`
//! lets the base through once a layer has no more frames. Subtitles come last, on top.

use std::path::{Path, PathBuf};

/// One video layer, fully resolved against the base's output size and duration.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OverlaySpec {
    /// The layer's local file.
    pub path: PathBuf,
    /// The part of the layer shown, `[from, to)` seconds of the layer's own time (`so eo du`
    /// inside the layer).
    pub trim: (f64, f64),
    /// Filter chain text sizing the layer (its display rotation, `w`/`h`), `"null"` when
    /// nothing changes.
    pub chain: String,
    /// Size after `chain`.
    pub size: (u32, u32),
    /// Top-left corner on the output frame; may lie partly outside it.
    pub position: (i64, i64),
    /// `[from, until)` seconds of the output during which the layer shows (`lso leo ldu`,
    /// cut short when the layer's trimmed length runs out first).
    pub show: (f64, f64),
}

/// Escape `path` for an option value inside a filter graph description: quoted for the
/// option parser (`'` closes and reopens around an escaped quote), then backslash-escaped
/// for the graph parser, which unquotes once before handing the options over.
pub fn filter_path(path: &Path) -> String {
    let raw = path.to_string_lossy();
    let quoted = format!("'{}'", raw.replace('\'', "'\\''"));
    let mut out = String::with_capacity(quoted.len() * 2);
    for c in quoted.chars() {
        if matches!(c, '\\' | '\'' | '[' | ']' | ',' | ';') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Seconds as filter-expression text: plain decimals, never exponent form.
fn num(v: f64) -> String {
    format!("{:.4}", v.max(0.0))
}

/// The full graph text for a base `chain`, `overlays` (inputs `l0`, `l1`, …) and, if any, a
/// subtitles script `(script, fontsdir)`.
pub fn compose_graph(chain: &str, overlays: &[OverlaySpec], subtitles: Option<(&Path, &Path)>) -> String {
    if overlays.is_empty() && subtitles.is_none() {
        return chain.to_owned();
    }
    let mut parts = vec![format!("[in]{chain}[b0]")];
    for (i, o) in overlays.iter().enumerate() {
        parts.push(format!("[l{i}]{}[o{i}]", o.chain));
        parts.push(format!(
            "[b{i}][o{i}]overlay=x={}:y={}:eof_action=pass:enable='gte(t,{})*lt(t,{})'[b{}]",
            o.position.0,
            o.position.1,
            num(o.show.0),
            num(o.show.1),
            i + 1
        ));
    }
    let last = overlays.len();
    match subtitles {
        Some((script, fonts)) => {
            parts.push(format!("[b{last}]ass=filename={}:fontsdir={}[out]", filter_path(script), filter_path(fonts)));
        }
        None => parts.push(format!("[b{last}]null[out]")),
    }
    parts.join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_survive_both_parsers() {
        assert_eq!(filter_path(Path::new("/tmp/a/subs.ass")), "\\'/tmp/a/subs.ass\\'");
        assert_eq!(filter_path(Path::new("/t,m[p]/x'y:z")), "\\'/t\\,m\\[p\\]/x\\'\\\\\\'\\'y:z\\'");
    }

    #[test]
    fn graph_text() {
        assert_eq!(compose_graph("scale=320:180", &[], None), "scale=320:180");
        let o = OverlaySpec {
            path: "/l.mp4".into(),
            trim: (0.0, 2.0),
            chain: "scale=80:44:flags=bicubic".into(),
            size: (80, 44),
            position: (-10, 20),
            show: (1.0, 3.0),
        };
        let g = compose_graph("null", &[o], Some((Path::new("/s/subs.ass"), Path::new("/s"))));
        assert_eq!(
            g,
            "[in]null[b0];[l0]scale=80:44:flags=bicubic[o0];\
             [b0][o0]overlay=x=-10:y=20:eof_action=pass:enable='gte(t,1.0000)*lt(t,3.0000)'[b1];\
             [b1]ass=filename=\\'/s/subs.ass\\':fontsdir=\\'/s\\'[out]"
        );
    }
}
