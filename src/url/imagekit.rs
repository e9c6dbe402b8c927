//! The ImageKit URL dialect: `tr:` path segment and `?tr=` query form → a typed [`Job`].
//!
//! Owns: [`parse`], [`parse_chain`], [`normalize_source`], [`ParseOptions`]; the chain grammar
//! lives in `chain`, and each parameter family in its own file below. Strict semantics
//! (spec §1.2): an unknown key or a malformed value is an invalid-argument error naming the
//! key and the raw value (HTTP 400); recognised features this engine cannot render are
//! `Unsupported` errors (also 400).
//!
//! May import: `job`, `error`; outside: percent-encoding, base64. Must not import `plan`,
//! `exec`, `media`, `service`, any async or GPU crate.
//!
//! # Format
//! ```text
//! /tr:w-300,h-200/photos/a.jpg            path form: `tr:` is the first path segment
//! /photos/a.jpg?tr=w-300&ik-s=…          query form: other query parameters are ignored
//! /tr:w-300/photos/a.jpg?tr=rt-90         both: the path chain first, then the query chain
//! /videos/v.mp4/ik-thumbnail.jpg          a still frame of the video (Job::thumbnail)
//! ```
//! The front end strips any URL-endpoint prefix before calling [`parse`].
//!
//! # Layout
//! `chain` (steps, layers, named transformations, dispatch) · `number` · `size` · `effect` ·
//! `color` · `background` · `border` · `output` · `layer` · `input` · `subtitle` · `legacy` · `video`.

mod background;
mod border;
mod chain;
mod color;
mod effect;
mod generative;
mod input;
mod layer;
mod legacy;
mod number;
mod output;
mod size;
mod subtitle;
mod video;

pub use color::css_named_color;

use crate::error::{Error, Result};
use crate::job::{Job, Output, Step};

/// Options of a parse: the account's named transformations (`n-<name>`).
pub struct ParseOptions<'a> {
    /// The stored transformation string of a named transformation, `None` when the name is
    /// unknown or disabled. Substitution is textual and in place (spec §6, D8).
    pub named: &'a dyn Fn(&str) -> Option<String>,
}

impl ParseOptions<'static> {
    /// Options with no named transformations.
    pub fn none() -> ParseOptions<'static> {
        ParseOptions { named: &|_| None }
    }
}

/// The file name that asks for a video's still frame.
const THUMBNAIL: &str = "/ik-thumbnail.jpg";

/// Parse a request path with optional query (`/tr:w-300/a.jpg`, `/a.jpg?tr=w-300`, both, or
/// neither) into a job.
pub fn parse(path_and_query: &str, opts: &ParseOptions<'_>) -> Result<Job> {
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let mut chains = Vec::new();
    let mut file = path;
    if let Some(rest) = path.strip_prefix("/tr:") {
        let (tr, after) = rest.split_once('/').unwrap_or((rest, ""));
        chains.push(tr);
        file = &path[4 + tr.len()..];
        if after.is_empty() {
            return Err(Error::invalid("path", path, "no file after the tr: segment"));
        }
    }
    for pair in query.split('&') {
        // An empty `tr=` asks for nothing, as does a missing one.
        if let Some(tr) = pair.strip_prefix("tr=").filter(|tr| !tr.is_empty()) {
            chains.push(tr);
        }
    }
    let (steps, output) =
        if chains.is_empty() { (Vec::new(), Output::default()) } else { parse_chain(&chains.join(":"), opts)? };
    let (file, thumbnail) = match file.strip_suffix(THUMBNAIL) {
        Some(video) if !video.is_empty() => (video, true),
        _ => (file, false),
    };
    Ok(Job { source: normalize_source(file)?, steps, output, thumbnail, ..Job::default() })
}

/// Parse a transformation string (`w-300,h-200:rt-90`) into steps and job-wide output.
/// With `orig-true` every other parameter is ignored (spec §6): the steps are empty and only
/// `orig` and `di` are kept.
pub fn parse_chain(tr: &str, opts: &ParseOptions<'_>) -> Result<(Vec<Step>, Output)> {
    if tr.is_empty() {
        return Err(Error::invalid("tr", tr, "empty transformation"));
    }
    let (steps, output) = chain::parse(tr, opts)?;
    video::check_codecs(&steps, &output)?;
    if output.original {
        let kept = Output { original: true, default_image: output.default_image, ..Output::default() };
        return Ok((Vec::new(), kept));
    }
    Ok((steps, output))
}

/// Normalise an origin path: percent-decode once, collapse empty and `.` segments, and
/// refuse anything that could leave the media folder (`..` raw or encoded, backslashes,
/// NUL). The result starts with `/` and names at least one segment.
pub fn normalize_source(path: &str) -> Result<String> {
    let escapes = |why: &str| Error::invalid("path", path, format_args!("escapes the media folder: {why}"));
    if !path.starts_with('/') {
        return Err(Error::invalid("path", path, "must start with '/'"));
    }
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| Error::invalid("path", path, "not UTF-8 after percent-decoding"))?;
    if decoded.contains(['\\', '\0']) {
        return Err(escapes("backslash or NUL"));
    }
    let mut segments = Vec::new();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => return Err(escapes("'..' segment")),
            s => segments.push(s),
        }
    }
    if segments.is_empty() {
        return Err(Error::invalid("path", path, "no file named"));
    }
    Ok(format!("/{}", segments.join("/")))
}

/// A media-library path written with `@@` for `/` (`i-path@@to@@logo.png`,
/// `di-@@a@@b.jpg`) → a normalised origin path; errors name `key`.
fn media_path(key: &str, raw: &str) -> Result<String> {
    let p = raw.replace("@@", "/");
    let p = if p.starts_with('/') { p } else { format!("/{p}") };
    normalize_source(&p).map_err(|e| number::rewrap(e, key, raw))
}

#[cfg(test)]
mod roundtrip;
#[cfg(test)]
mod tests;
