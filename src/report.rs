//! Migration report of `xformd translate --report`: runs many Cloudinary URLs (full URLs,
//! host-relative paths or CDN log lines) through the rewriter and counts what translates
//! fully, partly (with every dropped parameter key, how often, one example each) and not at
//! all (not rewritable, with the reason), plus the lines in which no URL was found.
//!
//! Owns: [`Report`], [`extract_path`]. Imports `url::cloudinary` (the rewriter) and
//! serde_json; no I/O — the caller reads the lines and prints the result.
//!
//! # Format
//!
//! ```text
//! https://res.cloudinary.com/demo/image/upload/o_50,w_100/a.jpg    ⇒ partly (o dropped)
//! 1.2.3.4 - - [..] "GET /image/fetch/https://x/a.jpg HTTP/1.1" 200 ⇒ not rewritable
//! image/upload/w_100/a.jpg                                         ⇒ fully
//! - - - no url here                                                ⇒ unparseable
//! ```

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::url::cloudinary::{translate, Options};

/// How many unparseable lines are kept as examples.
const UNPARSEABLE_EXAMPLES: usize = 5;

/// Statistics of one dropped Cloudinary key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct KeyStats {
    /// Dropped items with this key, over all lines.
    items: u64,
    /// Lines in which at least one item with this key was dropped.
    lines: u64,
    /// Items per drop reason (`unsupported`, `invalid`, …).
    reasons: BTreeMap<&'static str, u64>,
    /// The first dropped value seen.
    example_value: String,
    /// The URL or path in which it was first seen.
    example: String,
}

/// Statistics of one reason for not rewriting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ReasonStats {
    /// Lines with this reason.
    lines: u64,
    /// The first URL or path seen with it.
    example: String,
}

/// Accumulated migration statistics over many URLs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    total: u64,
    fully: u64,
    partly: u64,
    not_rewritable: u64,
    unparseable: u64,
    dropped: BTreeMap<String, KeyStats>,
    reasons: BTreeMap<String, ReasonStats>,
    unparseable_examples: Vec<String>,
}

/// Finds the URL or delivery path in a line: the first whitespace-separated token (quotes
/// and angle brackets trimmed) that contains an `http://` or `https://` URL, starts with
/// `/`, or contains `/upload/`. For a URL, the scheme, host and fragment are removed, and so
/// is the `<cloud>` segment when the host is `res.cloudinary.com`; the query is kept.
/// `None` when the line holds no such token.
pub fn extract_path(line: &str) -> Option<&str> {
    locate(line).map(|(_, path)| path)
}

/// The first URL-or-path token of `line`, as written, and the delivery path in it. A token
/// that starts with `/` is a path even when it holds a URL (a `fetch` path does).
fn locate(line: &str) -> Option<(&str, &str)> {
    for raw in line.split_ascii_whitespace() {
        let token = raw.trim_matches(|c| matches!(c, '"' | '\'' | '<' | '>'));
        if token.starts_with('/') {
            return Some((token, token));
        }
        if let Some(at) = find_scheme(token) {
            // A URL embedded in a longer token (JSON logs) ends at the first quote.
            let url = &token[at..];
            let url = &url[..url.find(['"', '\'', '<', '>']).unwrap_or(url.len())];
            return Some((url, strip_host(url)));
        }
        if token.contains("/upload/") {
            return Some((token, token));
        }
    }
    None
}

/// Byte offset of `http://` or `https://` (any case) in `token`.
fn find_scheme(token: &str) -> Option<usize> {
    let lower = token.as_bytes();
    (0..lower.len()).find(|&i| {
        let rest = &lower[i..];
        [&b"http://"[..], &b"https://"[..]]
            .iter()
            .any(|s| rest.len() >= s.len() && rest[..s.len()].eq_ignore_ascii_case(s))
    })
}

/// `scheme://host[:port]/cloud/rest?q#f` ⇒ `/rest?q` for res.cloudinary.com, else `/cloud/rest?q`.
fn strip_host(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let url = after_scheme.split_once('#').map_or(after_scheme, |(before, _)| before);
    let host_end = url.find(['/', '?']).unwrap_or(url.len());
    let host = &url[..host_end];
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split_once(':').map_or(host, |(h, _)| h);
    let path = &url[host_end..];
    if host.eq_ignore_ascii_case("res.cloudinary.com") {
        // `/<cloud>/image/upload/…`: the cloud name is not part of the delivery path.
        if let Some(rest) = path.strip_prefix('/') {
            let cut = rest.find(['/', '?']).unwrap_or(rest.len());
            return &rest[cut..];
        }
    }
    path
}

impl Report {
    /// An empty report.
    pub fn new() -> Self {
        Report::default()
    }

    /// Adds one line: a full URL, a host-relative path or a CDN log line. Blank lines are
    /// ignored; a line without a URL or path counts as unparseable.
    pub fn add(&mut self, url_or_path: &str, opts: &Options) {
        if url_or_path.trim().is_empty() {
            return;
        }
        self.total += 1;
        let Some((example, path)) = locate(url_or_path) else {
            self.unparseable += 1;
            if self.unparseable_examples.len() < UNPARSEABLE_EXAMPLES {
                self.unparseable_examples.push(url_or_path.trim().to_owned());
            }
            return;
        };
        let t = translate(path, opts);
        if let Some(why) = t.not_rewritable {
            self.not_rewritable += 1;
            let stats = self.reasons.entry(why.to_string()).or_default();
            stats.lines += 1;
            if stats.example.is_empty() {
                stats.example = example.to_owned();
            }
            return;
        }
        if t.dropped.is_empty() {
            self.fully += 1;
            return;
        }
        self.partly += 1;
        let mut seen: Vec<&str> = Vec::new();
        for d in &t.dropped {
            let stats = self.dropped.entry(d.key.clone()).or_default();
            stats.items += 1;
            *stats.reasons.entry(d.reason.as_str()).or_default() += 1;
            if !seen.contains(&d.key.as_str()) {
                seen.push(&d.key);
                stats.lines += 1;
            }
            if stats.example.is_empty() {
                stats.example = example.to_owned();
                stats.example_value = d.value.clone();
            }
        }
    }

    /// Lines counted (blank lines excluded).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Lines translated with nothing dropped.
    pub fn fully(&self) -> u64 {
        self.fully
    }

    /// Lines translated with at least one item dropped.
    pub fn partly(&self) -> u64 {
        self.partly
    }

    /// Lines forwarded unchanged because they are not rewritable.
    pub fn not_rewritable(&self) -> u64 {
        self.not_rewritable
    }

    /// Lines in which no URL or path was found.
    pub fn unparseable(&self) -> u64 {
        self.unparseable
    }

    /// Dropped keys, most frequent first (then by key).
    fn dropped_sorted(&self) -> Vec<(&String, &KeyStats)> {
        let mut keys: Vec<_> = self.dropped.iter().collect();
        keys.sort_by(|a, b| b.1.items.cmp(&a.1.items).then_with(|| a.0.cmp(b.0)));
        keys
    }

    /// The report as a Markdown document.
    pub fn to_markdown(&self) -> String {
        let mut md = String::from("# Cloudinary migration report\n\n");
        md.push_str("| lines | count | share |\n|---|---:|---:|\n");
        for (label, n) in [
            ("translated fully", self.fully),
            ("translated partly", self.partly),
            ("not rewritable", self.not_rewritable),
            ("unparseable", self.unparseable),
            ("total", self.total),
        ] {
            md.push_str(&format!("| {label} | {n} | {} |\n", percent(n, self.total)));
        }
        if !self.dropped.is_empty() {
            md.push_str("\n## Dropped parameters\n\n");
            md.push_str("| key | items | lines | reasons | example value | example |\n");
            md.push_str("|---|---:|---:|---|---|---|\n");
            for (key, s) in self.dropped_sorted() {
                let reasons: Vec<String> = s.reasons.iter().map(|(r, n)| format!("{r}: {n}")).collect();
                md.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    cell(key),
                    s.items,
                    s.lines,
                    reasons.join(", "),
                    cell(&s.example_value),
                    cell(&s.example)
                ));
            }
        }
        if !self.reasons.is_empty() {
            md.push_str("\n## Not rewritable (forwarded unchanged)\n\n");
            md.push_str("| reason | lines | example |\n|---|---:|---|\n");
            for (reason, s) in &self.reasons {
                md.push_str(&format!("| {} | {} | {} |\n", reason.replace('|', "\\|"), s.lines, cell(&s.example)));
            }
        }
        if !self.unparseable_examples.is_empty() {
            md.push_str("\n## Unparseable lines (first examples)\n\n");
            for line in &self.unparseable_examples {
                md.push_str(&format!("- {}\n", cell(line)));
            }
        }
        md
    }

    /// The report as JSON: `lines` counts, `dropped` keys (most frequent first),
    /// `not_rewritable` reasons and `unparseable_examples`.
    pub fn to_json(&self) -> Value {
        let dropped: Vec<Value> = self
            .dropped_sorted()
            .into_iter()
            .map(|(key, s)| {
                json!({
                    "key": key,
                    "items": s.items,
                    "lines": s.lines,
                    "reasons": s.reasons,
                    "example_value": s.example_value,
                    "example": s.example,
                })
            })
            .collect();
        let reasons: Vec<Value> = self
            .reasons
            .iter()
            .map(|(reason, s)| json!({ "reason": reason, "lines": s.lines, "example": s.example }))
            .collect();
        json!({
            "lines": {
                "total": self.total,
                "fully": self.fully,
                "partly": self.partly,
                "not_rewritable": self.not_rewritable,
                "unparseable": self.unparseable,
            },
            "dropped": dropped,
            "not_rewritable": reasons,
            "unparseable_examples": self.unparseable_examples,
        })
    }
}

/// `n / total` as a percentage with one decimal, in integer arithmetic.
fn percent(n: u64, total: u64) -> String {
    if total == 0 {
        return "0.0%".to_owned();
    }
    let tenths = (u128::from(n) * 1000 + u128::from(total) / 2) / u128::from(total);
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// A Markdown table cell showing `text` as code.
fn cell(text: &str) -> String {
    let text = text.replace('|', "\\|");
    if text.is_empty() {
        String::new()
    } else if text.contains('`') {
        text
    } else {
        format!("`{text}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFF: Options = Options { keep_types: false };

    #[test]
    fn extracts_urls_paths_and_log_lines() {
        assert_eq!(
            extract_path("https://res.cloudinary.com/demo/image/upload/w_100/a.jpg?x=1#f"),
            Some("/image/upload/w_100/a.jpg?x=1")
        );
        assert_eq!(extract_path("HTTP://RES.cloudinary.com:443/demo"), Some(""));
        assert_eq!(extract_path("https://demo-res.cloudinary.com/image/upload/a.jpg"), Some("/image/upload/a.jpg"));
        assert_eq!(extract_path("https://cdn.example.com"), Some(""));
        assert_eq!(
            extract_path(r#"1.2.3.4 - - [10/Oct/2024:13:55:36] "GET /image/upload/w_1/a.jpg HTTP/1.1" 200"#),
            Some("/image/upload/w_1/a.jpg")
        );
        assert_eq!(extract_path("image/upload/w_100/a.jpg"), Some("image/upload/w_100/a.jpg"));
        assert_eq!(
            extract_path(r#"{"url":"https://res.cloudinary.com/d/image/upload/a.jpg"}"#),
            Some("/image/upload/a.jpg")
        );
        assert_eq!(extract_path("no url here"), None);
        assert_eq!(extract_path(""), None);
    }

    fn sample() -> Report {
        let mut r = Report::new();
        for line in [
            "https://res.cloudinary.com/demo/image/upload/w_100/a.jpg",
            "/image/upload/o_50,w_100/a.jpg",
            "/image/upload/o_20/e_sepia/b.jpg",
            r#"5.6.7.8 - - "GET /image/fetch/w_1/https://x.com/a.jpg HTTP/1.1" 200"#,
            "/image/upload/",
            "   ",
            "garbage line",
        ] {
            r.add(line, &OFF);
        }
        r
    }

    #[test]
    fn counts_lines() {
        let r = sample();
        assert_eq!((r.total(), r.fully(), r.partly()), (6, 1, 2));
        assert_eq!((r.not_rewritable(), r.unparseable()), (2, 1));
        let o = &r.dropped["o"];
        assert_eq!((o.items, o.lines), (2, 2));
        assert_eq!(o.example, "/image/upload/o_50,w_100/a.jpg");
        assert_eq!(o.example_value, "50");
        assert_eq!(r.dropped["e"].reasons.get("unsupported"), Some(&1));
        assert_eq!(r.reasons["delivery type `fetch`"].lines, 1);
        assert_eq!(r.reasons["empty public ID"].example, "/image/upload/");
    }

    #[test]
    fn json_shape() {
        let v = sample().to_json();
        assert_eq!(v["lines"]["total"], 6);
        assert_eq!(v["lines"]["partly"], 2);
        assert_eq!(v["dropped"][0]["key"], "o");
        assert_eq!(v["dropped"][0]["items"], 2);
        assert_eq!(v["dropped"][1]["key"], "e");
        assert_eq!(v["not_rewritable"].as_array().map(Vec::len), Some(2));
        assert_eq!(v["unparseable_examples"][0], "garbage line");
    }

    #[test]
    fn markdown_tables() {
        let md = sample().to_markdown();
        assert!(md.contains("| translated fully | 1 | 16.7% |"), "{md}");
        assert!(md.contains("| translated partly | 2 | 33.3% |"), "{md}");
        assert!(md.contains("| `o` | 2 | 2 | unsupported: 2 | `50` | `/image/upload/o_50,w_100/a.jpg` |"), "{md}");
        assert!(md.contains("| delivery type `fetch` | 1 | `/image/fetch/w_1/https://x.com/a.jpg` |"), "{md}");
        assert!(md.contains("- `garbage line`"), "{md}");
        assert_eq!(Report::new().to_markdown().matches("0.0%").count(), 5);
    }

    #[test]
    fn cells_escape_pipes() {
        assert_eq!(cell("a|b"), "`a\\|b`");
        assert_eq!(cell("a`b"), "a`b");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(2, 3), "66.7%");
    }
}
