//! Text layers `l_text:<style>:<text>` (spec §4.2 row 24, §7.2, AMB-22, AMB-23, N1).
//!
//! Owns: the style grammar (font family or font path, first all-digit token = size,
//! qualifiers), the invalid forms that drop the whole group, and the text escaping: the text
//! is copied verbatim except that every raw `:` becomes `%3A`, because the engine cuts the
//! chain at `:` before it decodes text. Imports only sibling modules.

use super::decimal::is_uint;
use super::sink::Sink;

/// A parsed text layer, borrowing the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TextLayer<'a> {
    /// The text, raw (percent-encoding preserved).
    text: &'a str,
    /// Font family or font file path, as written.
    font: &'a str,
    /// Font size token, verbatim.
    size: &'a str,
    /// `bold` qualifier present.
    bold: bool,
    /// `italic` qualifier present.
    italic: bool,
    /// Last alignment qualifier, mapped to ImageKit's `otia` values.
    align: Option<&'static str>,
}

/// Parses the part after `l_text:`; `None` for the invalid forms of AMB-22: no second `:`,
/// no size token, an empty or variable font, an empty text or `$(` in the text.
pub(super) fn parse(spec: &str) -> Option<TextLayer<'_>> {
    let (style, text) = spec.split_once(':')?;
    if text.is_empty() || text.contains("$(") {
        return None;
    }
    let mut at = 0;
    let mut found = None;
    for token in style.split('_') {
        if is_uint(token) {
            found = Some((at, token));
            break;
        }
        at += token.len() + 1;
    }
    let (at, size) = found?;
    // The font is every token before the size, re-joined with `_`.
    let font = style.get(..at.checked_sub(1)?)?;
    if font.is_empty() || font.starts_with('$') {
        return None;
    }
    let mut layer = TextLayer { text, font, size, bold: false, italic: false, align: None };
    // Qualifiers; unknown tokens (weights, `letter_spacing_10`, …) are ignored one by one.
    for token in style[at + size.len()..].split('_') {
        match token {
            "bold" => layer.bold = true,
            "italic" => layer.italic = true,
            "left" | "start" => layer.align = Some("left"),
            "right" | "end" => layer.align = Some("right"),
            "center" => layer.align = Some("center"),
            _ => {}
        }
    }
    Some(layer)
}

impl TextLayer<'_> {
    /// Writes `ot`, `otf`, `ots`, then `ott` and `otia` when present (spec §7.2 order).
    pub(super) fn push_tokens(&self, sink: &mut Sink) {
        let out = sink.token("ot");
        let mut rest = self.text;
        while let Some((before, after)) = rest.split_once(':') {
            out.push_str(before);
            out.push_str("%3A");
            rest = after;
        }
        out.push_str(rest);
        sink.put("otf", self.font);
        sink.put("ots", self.size);
        match (self.bold, self.italic) {
            (true, true) => sink.put("ott", "b_i"),
            (true, false) => sink.put("ott", "b"),
            (false, true) => sink.put("ott", "i"),
            (false, false) => {}
        }
        if let Some(align) = self.align {
            sink.put("otia", align);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(spec: &str) -> Option<String> {
        let layer = parse(spec)?;
        let mut s = Sink::new();
        layer.push_tokens(&mut s);
        Some(s.finish().0)
    }

    #[test]
    fn documented_forms() {
        assert_eq!(tokens("Roboto_50:Hello").as_deref(), Some("ot-Hello,otf-Roboto,ots-50"));
        assert_eq!(tokens("Roboto_50_bold_left:Hello").as_deref(), Some("ot-Hello,otf-Roboto,ots-50,ott-b,otia-left"));
        assert_eq!(
            tokens("Lacquer-Regular.ttf_50_bold_left:Hi").as_deref(),
            Some("ot-Hi,otf-Lacquer-Regular.ttf,ots-50,ott-b,otia-left")
        );
    }

    #[test]
    fn qualifiers() {
        assert_eq!(
            tokens("Arial_40_italic_bold_right_center:Sale").as_deref(),
            Some("ot-Sale,otf-Arial,ots-40,ott-b_i,otia-center")
        );
        assert_eq!(tokens("Ar_10_italic:Hi").as_deref(), Some("ot-Hi,otf-Ar,ots-10,ott-i"));
        assert_eq!(tokens("Ar_10_start:Hi").as_deref(), Some("ot-Hi,otf-Ar,ots-10,otia-left"));
        assert_eq!(tokens("Ar_10_end:Hi").as_deref(), Some("ot-Hi,otf-Ar,ots-10,otia-right"));
        assert_eq!(tokens("Ar_10_600_letter_spacing_10_underline_justify:Hi").as_deref(), Some("ot-Hi,otf-Ar,ots-10"));
        assert_eq!(tokens("Open_Sans_bold_20:x").as_deref(), Some("ot-x,otf-Open_Sans_bold,ots-20"));
    }

    #[test]
    fn text_escaping() {
        assert_eq!(tokens("Arial_20:10:30").as_deref(), Some("ot-10%3A30,otf-Arial,ots-20"));
        assert_eq!(tokens("Arial_20:Open%2010:30").as_deref(), Some("ot-Open%2010%3A30,otf-Arial,ots-20"));
        assert_eq!(tokens("Arial_20:a%2Cb:").as_deref(), Some("ot-a%2Cb%3A,otf-Arial,ots-20"));
        assert_eq!(tokens("Arial_20:$5").as_deref(), Some("ot-$5,otf-Arial,ots-20"));
    }

    #[test]
    fn invalid_layers() {
        for bad in [
            "greetings",
            "Arial:Hi",
            "50:Hi",
            "_50:Hi",
            "$style:Hi",
            "$f_20:Hi",
            "Arial_30:",
            "Arial_30:Hi%20$(city)",
            "",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
