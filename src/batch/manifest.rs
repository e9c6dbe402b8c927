//! Reading what to render: a CSV or JSONL manifest, or a folder / glob under the media root
//! crossed with the `--variant` list.
//!
//! Owns: [`load`], [`Entry`], [`ManifestError`].
//!
//! # Format
//!
//! ```text
//! source,variant                       CSV (RFC 4180 quoting): one row per pair, or
//! photos/a.jpg,"w-200,h-150,c-at_max"  several variant columns on one row; a first row
//! photos/a.jpg,"w-120,f-webp"          whose first cell is `source` is the header
//!
//! {"source": "photos/a.jpg", "variants": ["w-200,h-150,c-at_max", "w-120,f-webp"]}   JSONL
//!
//! photos/           every image under MEDIA/photos (recursive), sorted
//! 'photos/*.jpg'    a glob under MEDIA
//!
//! https://res.cloudinary.com/demo/image/upload/c_fill,w_200/photos/a.jpg      a URL log
//! (`.log` / `.txt`, or a first line holding a URL: the `translate --report` input; each
//! line's first URL or path is rewritten, its transformation becoming the variant)
//! ```
//!
//! A row without variants takes the `--variant` list. Any malformed row stops the run
//! before anything is rendered, naming the file, the line and the value: a manifest of a
//! million rows is better refused in a second than found broken after hours.
//!
//! May import: `error`, `url::cloudinary` and `report` (reading URL logs); csv, serde_json, glob.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, ErrorKind};
use crate::url::cloudinary;

/// One (source, variant) pair and the manifest line it came from (0 for folder and glob
/// entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line in the manifest.
    pub line: u64,
    /// Origin path, with a leading `/`.
    pub source: String,
    /// The variant text as written.
    pub variant: String,
}

/// A manifest the run cannot start from.
#[derive(Debug)]
pub struct ManifestError {
    /// The manifest (or folder / glob) as given.
    pub file: String,
    /// 1-based line; 0 when the whole input is at fault.
    pub line: u64,
    /// The offending value, when one cell or field is.
    pub value: Option<String>,
    /// What is wrong.
    pub why: String,
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, " line {}", self.line)?;
        }
        write!(f, ": {}", self.why)?;
        match &self.value {
            Some(v) => write!(f, " (value '{v}')"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for ManifestError {}

impl From<ManifestError> for Error {
    fn from(e: ManifestError) -> Self {
        Error::new(ErrorKind::InvalidArgument, e.to_string())
    }
}

/// Image extensions a folder or glob manifest picks up.
const IMAGE_EXTENSIONS: [&str; 7] = ["jpg", "jpeg", "png", "webp", "gif", "avif", "tif"];

/// Read `spec` (a manifest file, or a folder or glob under `media_root`) into entries in
/// manifest order; rows without variants take `default_variants`.
pub fn load(
    spec: &str,
    media_root: &Path,
    default_variants: &[String],
    cloudinary: &cloudinary::Options,
) -> Result<Vec<Entry>, ManifestError> {
    let err = |line, value: Option<&str>, why: String| ManifestError {
        file: spec.to_string(),
        line,
        value: value.map(str::to_string),
        why,
    };
    let path = Path::new(spec);
    if spec.contains(['*', '?', '[']) || (!path.is_file() && media_root.join(spec).is_dir()) {
        let sources = folder_sources(spec, media_root).map_err(|why| err(0, Some(spec), why))?;
        if default_variants.is_empty() {
            return Err(err(0, None, "a folder or glob needs --variant".into()));
        }
        return Ok(cross(sources.into_iter().map(|s| (0, s)), default_variants));
    }
    let text = std::fs::read(path).map_err(|e| err(0, None, format!("cannot read: {e}")))?;
    let ext = path.extension().and_then(|e| e.to_str());
    let jsonl =
        matches!(ext, Some("jsonl" | "ndjson")) || text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let first_line = text.split(|b| *b == b'\n').find(|l| !l.trim_ascii().is_empty()).unwrap_or_default();
    let url_log = matches!(ext, Some("log" | "txt"))
        || first_line.windows(3).any(|w| w == b"://")
        || first_line.windows(8).any(|w| w == b"/upload/");
    if jsonl {
        jsonl_entries(&text, default_variants).map_err(|(line, value, why)| err(line, value.as_deref(), why))
    } else if url_log {
        Ok(url_log_entries(&text, cloudinary))
    } else {
        csv_entries(&text, default_variants).map_err(|(line, value, why)| err(line, value.as_deref(), why))
    }
}

/// Cloudinary delivery URLs (one a line, as `translate --report` reads them): the rewritten
/// transformation × the forwarded path. Lines without a rewritable URL, and URLs without a
/// transformation (the original is served as is), are skipped and counted in the log: a
/// real access log holds plenty of both.
fn url_log_entries(text: &[u8], opts: &cloudinary::Options) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut skipped = 0u64;
    for (n, raw) in text.split(|b| *b == b'\n').enumerate() {
        let line = String::from_utf8_lossy(raw);
        if line.trim().is_empty() {
            continue;
        }
        let Some(path) = crate::report::extract_path(&line) else {
            skipped += 1;
            continue;
        };
        let t = cloudinary::translate(path, opts);
        let source = t.path.split(['?', '#']).next().unwrap_or_default();
        if !t.rewritable || t.tr.is_empty() || source.len() < 2 {
            skipped += 1;
            continue;
        }
        out.push(Entry { line: n as u64 + 1, source: source.to_string(), variant: t.tr });
    }
    if skipped > 0 {
        tracing::warn!(skipped, "URL log lines without a rewritable Cloudinary transformation were skipped");
    }
    out
}

/// A row-level failure: line, offending value, reason.
type RowError = (u64, Option<String>, String);

/// `source` as an origin path (leading `/`); empty and `..` segments are refused.
fn origin_path(line: u64, source: &str) -> Result<String, RowError> {
    let s = source.trim();
    if s.is_empty() {
        return Err((line, None, "empty source".into()));
    }
    if s.split('/').any(|seg| seg == "..") {
        return Err((line, Some(s.to_string()), "a source may not contain '..'".into()));
    }
    Ok(if s.starts_with('/') { s.to_string() } else { format!("/{s}") })
}

/// Every (source, variant) of the given rows, with the default variants where a row has none.
fn cross(rows: impl IntoIterator<Item = (u64, String)>, variants: &[String]) -> Vec<Entry> {
    rows.into_iter()
        .flat_map(|(line, source)| {
            variants.iter().map(move |v| Entry { line, source: source.clone(), variant: v.clone() })
        })
        .collect()
}

fn csv_entries(text: &[u8], default_variants: &[String]) -> Result<Vec<Entry>, RowError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text);
    let mut out = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| line_at(text, p.byte()));
            (line, None, format!("not valid CSV: {e}"))
        })?;
        let line = record.position().map_or(0, |p| line_at(text, p.byte()));
        let first = record.get(0).unwrap_or("").trim();
        if n == 0 && first.eq_ignore_ascii_case("source") {
            if let Some(bad) = record.iter().skip(1).find(|c| !matches!(c.trim(), "variant" | "variants" | "")) {
                return Err((line, Some(bad.to_string()), "unknown column (expected `source,variant`)".into()));
            }
            continue;
        }
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let source = origin_path(line, first)?;
        let variants: Vec<String> =
            record.iter().skip(1).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect();
        row(&mut out, line, source, variants, default_variants)?;
    }
    Ok(out)
}

/// The 1-based line of the record starting at `byte`. csv's own line count is one short after
/// a CRLF (the record then starts at the `\n`), so it is counted here, past line breaks.
fn line_at(text: &[u8], byte: u64) -> u64 {
    let mut at = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
    while at < text.len() && matches!(text[at], b'\r' | b'\n') {
        at += 1;
    }
    1 + text[..at].iter().filter(|b| **b == b'\n').count() as u64
}

/// One JSONL row.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRow {
    source: String,
    #[serde(default)]
    variants: Vec<String>,
    #[serde(default)]
    variant: Option<String>,
}

fn jsonl_entries(text: &[u8], default_variants: &[String]) -> Result<Vec<Entry>, RowError> {
    let mut out = Vec::new();
    for (n, raw) in text.split(|b| *b == b'\n').enumerate() {
        let line = n as u64 + 1;
        let raw = std::str::from_utf8(raw).map_err(|e| (line, None, format!("not UTF-8: {e}")))?.trim();
        if raw.is_empty() {
            continue;
        }
        let r: JsonRow = serde_json::from_str(raw).map_err(|e| {
            let shown: String = raw.chars().take(80).collect();
            (line, Some(shown), format!("not a JSON row {{\"source\": …, \"variants\": […]}}: {e}"))
        })?;
        let source = origin_path(line, &r.source)?;
        let variants: Vec<String> =
            r.variants.into_iter().chain(r.variant).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
        row(&mut out, line, source, variants, default_variants)?;
    }
    Ok(out)
}

fn row(
    out: &mut Vec<Entry>,
    line: u64,
    source: String,
    variants: Vec<String>,
    default_variants: &[String],
) -> Result<(), RowError> {
    let variants = if variants.is_empty() { default_variants.to_vec() } else { variants };
    if variants.is_empty() {
        return Err((line, Some(source), "no variant on this row and no --variant given".into()));
    }
    out.extend(variants.into_iter().map(|variant| Entry { line, source: source.clone(), variant }));
    Ok(())
}

/// The images a folder or glob names under `root`, as origin paths, sorted.
fn folder_sources(spec: &str, root: &Path) -> Result<Vec<String>, String> {
    let mut files = Vec::new();
    if spec.contains(['*', '?', '[']) {
        let pattern = root.join(spec);
        let pattern = pattern.to_str().ok_or("the media root is not UTF-8")?;
        for entry in glob::glob(pattern).map_err(|e| format!("bad glob: {e}"))? {
            let p = entry.map_err(|e| format!("cannot read {}", e.path().display()))?;
            if p.is_file() {
                files.push(p);
            }
        }
    } else {
        walk(&root.join(spec), &mut files).map_err(|e| format!("cannot list: {e}"))?;
        files.retain(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_lowercase().as_str()))
        });
    }
    let mut sources: Vec<String> = files
        .iter()
        .filter_map(|p| p.strip_prefix(root).ok())
        .filter_map(|p| p.to_str())
        .map(|p| format!("/{}", p.replace('\\', "/")))
        .collect();
    sources.sort();
    if sources.is_empty() {
        return Err("matches no image".into());
    }
    Ok(sources)
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(e: &[Entry]) -> Vec<(u64, &str, &str)> {
        e.iter().map(|e| (e.line, e.source.as_str(), e.variant.as_str())).collect()
    }

    #[test]
    fn csv_rows_follow_rfc_4180_quoting() {
        let text =
            "source,variant\nphotos/a.jpg,\"w-200,h-150,c-at_max\"\n\"photos/b c.jpg\",w-120\r\n/x.png,w-1,w-2\n";
        let e = csv_entries(text.as_bytes(), &[]).unwrap();
        assert_eq!(
            pairs(&e),
            [
                (2, "/photos/a.jpg", "w-200,h-150,c-at_max"),
                (3, "/photos/b c.jpg", "w-120"),
                (4, "/x.png", "w-1"),
                (4, "/x.png", "w-2")
            ]
        );
    }

    #[test]
    fn bad_csv_rows_name_their_line_and_value() {
        let (line, value, why) = csv_entries(b"source,variant\na.jpg,w-1\n,w-2\n", &[]).unwrap_err();
        assert_eq!((line, value, why.as_str()), (3, None, "empty source"));
        let (line, value, _) = csv_entries(b"source,size\n", &[]).unwrap_err();
        assert_eq!((line, value.as_deref()), (1, Some("size")));
        let (line, _, why) = csv_entries(b"source,variant\na.jpg\n", &[]).unwrap_err();
        assert_eq!(line, 2, "{why}");
        let (line, _, why) = csv_entries(b"source,variant\na.jpg,w-1\nb.jpg,\xff\n", &[]).unwrap_err();
        assert_eq!(line, 3, "{why}");
        let (_, value, _) = csv_entries(b"../etc/passwd,w-1\n", &[]).unwrap_err();
        assert_eq!(value.as_deref(), Some("../etc/passwd"));
        // A row without variants takes the defaults.
        let e = csv_entries(b"a.jpg\n", &["w-9".to_string()]).unwrap();
        assert_eq!(pairs(&e), [(1, "/a.jpg", "w-9")]);
    }

    #[test]
    fn url_logs_become_rewritten_variants() {
        let log = b"GET https://res.cloudinary.com/demo/image/upload/c_fill,w_200,h_100/photos/a.jpg 200\n\
            /image/upload/w_300/b.png?x=1\n/image/upload/c.jpg\nnot a url\n";
        let e = url_log_entries(log, &cloudinary::Options::default());
        let pairs: Vec<(u64, &str)> = e.iter().map(|e| (e.line, e.source.as_str())).collect();
        assert_eq!(pairs, [(1, "/photos/a.jpg"), (2, "/b.png")]);
        assert!(e[0].variant.contains("w-200") && e[1].variant.contains("w-300"), "{e:?}");
    }

    #[test]
    fn jsonl_rows_and_their_errors() {
        let text = "{\"source\": \"a.jpg\", \"variants\": [\"w-1\", \"w-2\"]}\n\n{\"source\": \"/b.jpg\", \"variant\": \"w-3\"}\n";
        assert_eq!(
            pairs(&jsonl_entries(text.as_bytes(), &[]).unwrap()),
            [(1, "/a.jpg", "w-1"), (1, "/a.jpg", "w-2"), (3, "/b.jpg", "w-3")]
        );
        let (line, value, why) =
            jsonl_entries(b"{\"source\": \"a.jpg\", \"variants\": [\"w-1\"]}\n{\"src\": 1}\n", &[]).unwrap_err();
        assert_eq!((line, value.as_deref()), (2, Some("{\"src\": 1}")));
        assert!(why.contains("src"), "{why}");
    }
}
