//! `xformd translate`: Cloudinary paths → `tr=<ImageKit>\tpath=<forwarded>` lines, or a
//! migration report over a list of URLs.
//!
//! Owns: [`translate_line`], [`translate_lines`], [`translate_report`]. May import
//! `url::cloudinary` and `report`; std I/O only through the reader and writer passed in.

use std::io::{BufRead, Write};

use crate::url::cloudinary;

/// One output line per input path: `tr=<ImageKit>\tpath=<forwarded>`, or `error=<reason>`.
pub fn translate_line(input: &str, opts: &cloudinary::Options) -> String {
    let trimmed = input.trim_end_matches(['\r', '\n']);
    if trimmed.trim().is_empty() {
        return "error=empty input".to_string();
    }
    if trimmed.chars().any(char::is_control) {
        return "error=control characters in path".to_string();
    }
    let t = cloudinary::translate(trimmed, opts);
    format!("tr={}\tpath={}", t.tr, t.path)
}

/// Translate `paths` into `out`, one line each; without paths, read one path per line from
/// `input` and flush each answer, so the command can sit in a pipe and answer one request at
/// a time.
pub fn translate_lines(
    paths: &[String],
    opts: &cloudinary::Options,
    mut input: impl BufRead,
    mut out: impl Write,
) -> std::io::Result<()> {
    if paths.is_empty() {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if input.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            let line = match std::str::from_utf8(&buf) {
                Ok(l) => translate_line(l, opts),
                Err(_) => "error=not UTF-8".to_string(),
            };
            writeln!(out, "{line}")?;
            out.flush()?;
        }
    } else {
        for p in paths {
            writeln!(out, "{}", translate_line(p, opts))?;
        }
    }
    out.flush()
}

/// The migration report over the URLs in `reader` (one a line): Markdown, or pretty JSON.
pub fn translate_report(reader: impl BufRead, opts: &cloudinary::Options, json: bool) -> std::io::Result<String> {
    let mut report = crate::report::Report::new();
    for line in reader.split(b'\n') {
        let line = line?;
        report.add(&String::from_utf8_lossy(&line), opts);
    }
    Ok(if json { serde_json::to_string_pretty(&report.to_json())? } else { report.to_markdown() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_refuse_empty_and_control_input() {
        let opts = cloudinary::Options::default();
        assert_eq!(translate_line("\n", &opts), "error=empty input");
        assert_eq!(translate_line("/a\u{7}b.jpg", &opts), "error=control characters in path");
        assert!(translate_line("/image/upload/w_300/a.jpg\r\n", &opts).starts_with("tr="));
    }

    #[test]
    fn stdin_lines_answer_one_line_each() {
        let opts = cloudinary::Options::default();
        let mut out = Vec::new();
        translate_lines(&[], &opts, &b"/image/upload/w_300/a.jpg\n\xff\n"[..], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("tr="), "{text}");
        assert_eq!(lines[1], "error=not UTF-8");
    }
}
