//! Subtitle files for `l-subtitles`: SRT and WebVTT parsed into timed cues, under size limits,
//! with every failure a client error naming the layer's input.
//!
//! Owns: [`Cue`], [`parse_subtitles`], [`MAX_SUBTITLE_BYTES`]. Pure: imports only `error`.
//!
//! # Why our own parser
//! FFmpeg's `subtitles` filter would probe the file with any demuxer it likes (an `.srt` that
//! is really a playlist included); here the bytes must be UTF-8 text in one of the two
//! formats, the cues are checked, and the renderer (`ass`) only ever sees a file we wrote.
//!
//! # Format
//! ```text
//! SRT:    1⏎00:00:01,000 --> 00:00:02,500⏎Hello⏎⏎2⏎…
//! WebVTT: WEBVTT⏎⏎00:01.000 --> 00:02.500 line:90%⏎Hello⏎⏎NOTE …⏎⏎STYLE …
//! ```
//! Inline markup (`<b>`, `<i>`, `<u>`, `<font …>`, `<c.x>`, `<v Name>`, timestamps) is
//! reduced to bold/italic/underline and plain text; `&amp; &lt; &gt; &nbsp;` are decoded.

use crate::error::{Error, ErrorKind, Result};

/// Largest subtitle file accepted (checked before it is read when the origin is local).
pub const MAX_SUBTITLE_BYTES: u64 = 2 * 1024 * 1024;
/// Most cues accepted in one file.
const MAX_CUES: usize = 20_000;
/// Longest cue text kept, in characters.
const MAX_CUE_CHARS: usize = 1000;

/// One timed piece of text.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cue {
    /// Start in seconds of the source video.
    pub start: f64,
    /// End in seconds, after `start`.
    pub end: f64,
    /// Lines of text with inline style kept as [`Span`]s.
    pub spans: Vec<Span>,
}

/// A run of cue text and its inline style; `"\n"` inside `text` breaks the line.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Span {
    /// The text, entities decoded.
    pub text: String,
    /// Inside `<b>`.
    pub bold: bool,
    /// Inside `<i>`.
    pub italic: bool,
    /// Inside `<u>`.
    pub underline: bool,
}

fn bad(key: &str, path: &str, why: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Undecodable, format!("subtitles file '{path}' cannot be read: {why}")).with_param(key, path)
}

/// Parse `bytes` (from origin path `path`, the layer input `key`) as WebVTT when it starts
/// with `WEBVTT`, else as SRT. Errors are 422 (413 when too large) naming `key`.
pub fn parse_subtitles(key: &str, path: &str, bytes: &[u8]) -> Result<Vec<Cue>> {
    if bytes.len() as u64 > MAX_SUBTITLE_BYTES {
        let why = format!("subtitles file is over the limit of {MAX_SUBTITLE_BYTES} bytes");
        return Err(Error::new(ErrorKind::TooLarge, why).with_param(key, path));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| bad(key, path, "not UTF-8 text"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).replace("\r\n", "\n").replace('\r', "\n");
    let vtt = text.starts_with("WEBVTT") && text[6..].chars().next().is_none_or(|c| c == ' ' || c == '\t' || c == '\n');
    let mut cues = Vec::new();
    for (n, block) in text.split("\n\n").map(|b| b.trim_matches('\n')).filter(|b| !b.is_empty()).enumerate() {
        if vtt && (n == 0 || block.starts_with("NOTE") || block.starts_with("STYLE") || block.starts_with("REGION")) {
            continue;
        }
        let mut lines = block.lines();
        let mut timing = lines.next().unwrap_or_default();
        if !timing.contains("-->") {
            // SRT's counter line, or a WebVTT cue identifier.
            timing = lines.next().unwrap_or_default();
        }
        let (a, b) =
            timing.split_once("-->").ok_or_else(|| bad(key, path, format_args!("block {} has no timing", n + 1)))?;
        let start = timestamp(a.trim()).ok_or_else(|| bad(key, path, format_args!("bad time '{}'", a.trim())))?;
        // WebVTT settings follow the end time after a space.
        let b = b.trim().split([' ', '\t']).next().unwrap_or_default();
        let end = timestamp(b).ok_or_else(|| bad(key, path, format_args!("bad time '{b}'")))?;
        if end <= start {
            return Err(bad(key, path, format_args!("cue {} ends before it starts", n + 1)));
        }
        let body: String = lines.collect::<Vec<_>>().join("\n").chars().take(MAX_CUE_CHARS).collect();
        cues.push(Cue { start, end, spans: spans(&body) });
        if cues.len() > MAX_CUES {
            return Err(Error::new(ErrorKind::TooLarge, format!("more than {MAX_CUES} cues")).with_param(key, path));
        }
    }
    if cues.is_empty() {
        return Err(bad(key, path, "no cue found (SRT or WebVTT expected)"));
    }
    Ok(cues)
}

/// `hh:mm:ss,mmm` (SRT), `hh:mm:ss.mmm` or `mm:ss.mmm` (WebVTT) → seconds.
fn timestamp(s: &str) -> Option<f64> {
    let (hms, frac) = s.split_once([',', '.'])?;
    if frac.is_empty() || frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let parts: Vec<&str> = hms.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts.iter().any(|p| p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let n: Vec<u32> = parts.iter().map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let (h, m, sec) = if n.len() == 3 { (n[0], n[1], n[2]) } else { (0, n[0], n[1]) };
    if m > 59 || sec > 59 {
        return None;
    }
    let ms: u32 = format!("{frac:0<3}").parse().ok()?;
    Some(f64::from(h) * 3600.0 + f64::from(m) * 60.0 + f64::from(sec) + f64::from(ms) / 1000.0)
}

/// Cue text → styled spans: `<b> <i> <u>` toggle style, every other tag is dropped, and the
/// common entities are decoded.
fn spans(body: &str) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut cur = Span::default();
    let mut rest = body;
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            cur.text.push_str(&entities(rest));
            break;
        };
        cur.text.push_str(&entities(&rest[..open]));
        let Some(close) = rest[open..].find('>') else {
            // A lone '<' is text.
            cur.text.push_str(&entities(&rest[open..]));
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        rest = &rest[open + close + 1..];
        let (on, name) = match tag.strip_prefix('/') {
            Some(n) => (false, n.to_owned()),
            None => (true, tag.split(['.', ' ']).next().unwrap_or_default().to_owned()),
        };
        let mut next = Span { text: String::new(), ..cur.clone() };
        match name.as_str() {
            "b" => next.bold = on,
            "i" => next.italic = on,
            "u" => next.underline = on,
            _ => continue,
        }
        if !cur.text.is_empty() {
            out.push(cur);
        }
        cur = next;
    }
    if !cur.text.is_empty() {
        out.push(cur);
    }
    out
}

fn entities(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&nbsp;", "\u{a0}").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srt_and_vtt() {
        let srt = "1\r\n00:00:01,000 --> 00:00:02,500\r\nHello <b>bold</b>\r\nline two\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nA &amp; B\r\n";
        let cues = parse_subtitles("i", "/a.srt", srt.as_bytes()).unwrap();
        assert_eq!(cues.len(), 2);
        assert_eq!((cues[0].start, cues[0].end), (1.0, 2.5));
        assert_eq!(cues[0].spans[0].text, "Hello ");
        assert!(cues[0].spans[1].bold && cues[0].spans[1].text == "bold");
        assert_eq!(cues[0].spans[2].text, "\nline two");
        assert_eq!(cues[1].spans[0].text, "A & B");
        let vtt = "WEBVTT - title\n\nNOTE a comment\n\nid-1\n00:01.200 --> 00:02.000 line:90%\n<v Bob>Hi <i>there</i>\n\n01:00:00.000 --> 01:00:01.5\nlate\n";
        let cues = parse_subtitles("i", "/a.vtt", vtt.as_bytes()).unwrap();
        assert_eq!(cues.len(), 2);
        assert_eq!((cues[0].start, cues[0].end), (1.2, 2.0));
        assert_eq!(cues[0].spans[0].text, "Hi ");
        assert!(cues[0].spans[1].italic);
        assert_eq!((cues[1].start, cues[1].end), (3600.0, 3601.5));
    }

    #[test]
    fn garbage_is_a_client_error_naming_the_input() {
        let cases: &[&[u8]] = &[
            b"",
            b"\xff\xfe\x00binary",
            b"just some text\n",
            b"1\n00:00:02,000 --> 00:00:01,000\nbackwards\n",
            b"1\n00:00:01 --> 00:00:02\nno millis\n",
            b"1\n00:99:01,000 --> 00:00:02,000\nx\n",
            b"[Script Info]\nScriptType: v4.00+\n",
        ];
        for bytes in cases {
            let e = parse_subtitles("i", "/x.srt", bytes).unwrap_err();
            assert_eq!(
                (e.kind(), e.key()),
                (ErrorKind::Undecodable, Some("i")),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        let big = vec![b'a'; usize::try_from(MAX_SUBTITLE_BYTES).unwrap() + 1];
        assert_eq!(parse_subtitles("i", "/x.srt", &big).unwrap_err().kind(), ErrorKind::TooLarge);
    }
}
