//! Burned-in subtitles: the cues of an `l-subtitles` layer and its style as an ASS script
//! that libass (FFmpeg's `ass` filter) renders, and the private folder holding that script
//! and the fonts libass is pointed at.
//!
//! Owns: [`SubtitleSpec`], [`ass_script`], [`SubtitleFiles`]. Pure except
//! [`SubtitleFiles::write`], which writes the script and the fonts into a fresh temporary
//! folder. Imports `job`, `error` and the parent's types.
//!
//! # Choices
//! * Font: DejaVu Sans, the bundled font (`media/font/DejaVuSans.ttf`, embedded in the
//!   binary), written next to the script and named as the `fontsdir` of the filter, so
//!   rendering does not depend on the fonts of the machine. Every built-in `ff` name maps to
//!   it, as for text layers; bold and italic are synthesised by libass.
//! * A font file (`ff-fonts@@x.ttf`, fetched and read by the caller into a [`SubtitleFont`])
//!   is written into the same folder under a fixed name, and its family name goes in the
//!   style's `Fontname`, which is how libass finds it. A family with a comma cannot sit in a
//!   style line (no escape exists there), so the style keeps DejaVu Sans and every line
//!   starts with an `\fn` override naming the family instead.
//! * Sizes are pixels of the output frame: `PlayResX/Y` is the output size.
//! * Defaults: white text, `fs` = 1/20 of the output height, a 2 px black outline, no box.
//!   `bg` draws an opaque box behind each line (ASS `BorderStyle=3`, whose box libass paints
//!   in the outline colour, so `bg` takes that slot; a `fol` width then pads the box).
//! * Times: cues are in the source's time, as the file was written for the whole video; a
//!   cut (`so`) shifts them, and cues outside the cut are left out.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::font::SubtitleFont;
use super::subtitle::{Cue, Span};
use super::VideoError;
use crate::error::Result;
use crate::job::{Color, SubtitleStyle};

// The bundled font, the only one libass is pointed at (the text layers' default too).
use crate::media::fonts::DEJAVU_SANS as FONT;
/// Its family name, as the font's name table gives it.
const FONT_FAMILY: &str = "DejaVu Sans";
/// The script's file name inside its folder.
const SCRIPT: &str = "subs.ass";

/// The subtitles of a cut: cues in source time and how they look.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SubtitleSpec {
    /// Parsed cues (source time).
    pub cues: Vec<Cue>,
    /// Style from the URL.
    pub style: SubtitleStyle,
    /// The font file `style.font` names, when it names one (read by the caller).
    pub font: Option<SubtitleFont>,
}

/// `&HAABBGGRR`: ASS colours are BGR, and their alpha is transparency (00 = opaque).
fn ass_color(c: Color) -> String {
    let [r, g, b] = c.rgb;
    let transparency = c.opacity_pct.map_or(0, |o| 255 - u32::from(o.min(100)) * 255 / 100);
    format!("&H{transparency:02X}{b:02X}{g:02X}{r:02X}")
}

/// `h:mm:ss.cc`, the ASS time format (centiseconds).
fn ass_time(t: f64) -> String {
    #[expect(clippy::cast_possible_truncation, reason = "clamped to 0..=1e7 s first")]
    let cs = (t.clamp(0.0, 1e7) * 100.0).round() as u64;
    format!("{}:{:02}:{:02}.{:02}", cs / 360_000, cs / 6000 % 60, cs / 100 % 60, cs % 100)
}

/// Cue text as ASS: override braces escaped (libass reads `\{` `\}` as literal braces), a
/// backslash that would start an ASS escape (`\N \n \h`) kept literal with a word joiner,
/// line breaks as `\N`, and `<b> <i> <u>` as override tags.
fn ass_text(spans: &[Span]) -> String {
    let mut out = String::new();
    let (mut b, mut i, mut u) = (false, false, false);
    for s in spans {
        for (on, was, tag) in [(s.bold, &mut b, 'b'), (s.italic, &mut i, 'i'), (s.underline, &mut u, 'u')] {
            if on != *was {
                let _ = write!(out, "{{\\{tag}{}}}", u8::from(on));
                *was = on;
            }
        }
        let mut chars = s.text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' => out.push_str("\\{"),
                '}' => out.push_str("\\}"),
                '\n' => out.push_str("\\N"),
                '\\' => {
                    out.push('\\');
                    if chars.peek().is_some_and(|n| matches!(n, 'N' | 'n' | 'h' | '{' | '}')) {
                        out.push('\u{2060}');
                    }
                }
                c => out.push(c),
            }
        }
    }
    out
}

/// The whole script for an output of `frame` pixels covering source time `[from, to)`.
pub fn ass_script(spec: &SubtitleSpec, frame: (u32, u32), (from, to): (f64, f64)) -> String {
    let s = &spec.style;
    let size = s.size.unwrap_or((frame.1 / 20).max(8));
    let white = Color { rgb: [255, 255, 255], opacity_pct: None };
    let black = Color { rgb: [0, 0, 0], opacity_pct: None };
    let primary = ass_color(s.color.unwrap_or(white));
    let (border_style, outline, outline_color) = match (s.background, s.outline) {
        (Some(bg), o) => (3, o.map_or(4, |(w, _)| w), ass_color(bg)),
        (None, Some((w, c))) => (1, w, ass_color(c)),
        (None, None) => (1, 2, ass_color(black)),
    };
    let (shadow, back) = s.shadow.map_or((0, ass_color(black)), |(c, d)| (d, ass_color(c)));
    let flag = |on: bool| if on { -1 } else { 0 };
    let margin = (frame.1 / 20).max(4);
    let (family, line_font) = match &spec.font {
        Some(f) if f.needs_override() => (FONT_FAMILY, format!("{{\\fn{}}}", f.family)),
        Some(f) => (f.family.as_str(), String::new()),
        None => (FONT_FAMILY, String::new()),
    };
    let mut out = format!(
        "[Script Info]\nScriptType: v4.00+\nPlayResX: {}\nPlayResY: {}\nWrapStyle: 0\nScaledBorderAndShadow: yes\n\n\
         [V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, \
         Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, \
         MarginL, MarginR, MarginV, Encoding\n\
         Style: Default,{family},{size},{primary},{primary},{outline_color},{back},{},{},0,0,100,100,0,0,\
         {border_style},{outline},{shadow},2,{margin},{margin},{margin},1\n\n\
         [Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n",
        frame.0,
        frame.1,
        flag(s.bold),
        flag(s.italic),
    );
    for cue in spec.cues.iter().filter(|c| c.end > from && c.start < to) {
        let (a, b) = (cue.start.max(from) - from, cue.end.min(to) - from);
        let (a, b, text) = (ass_time(a), ass_time(b), ass_text(&cue.spans));
        let _ = writeln!(out, "Dialogue: 0,{a},{b},Default,,0,0,0,,{line_font}{text}");
    }
    out
}

/// A private temporary folder with `subs.ass` and the font; removed when dropped, which the
/// owner does only after the filter graph reading them is gone.
pub struct SubtitleFiles {
    dir: tempfile::TempDir,
}

impl SubtitleFiles {
    /// Write `script`, the bundled font and the layer's font file, if any, into a fresh folder.
    pub fn write(script: &str, font: Option<&SubtitleFont>) -> Result<SubtitleFiles> {
        let io = |op| move |source| VideoError::Io { op, source };
        let dir =
            tempfile::Builder::new().prefix("xformd-subs-").tempdir().map_err(io("creating a subtitles folder"))?;
        std::fs::write(dir.path().join(SCRIPT), script).map_err(io("writing the subtitles script"))?;
        std::fs::write(dir.path().join("DejaVuSans.ttf"), FONT).map_err(io("writing the subtitles font"))?;
        if let Some(f) = font {
            std::fs::write(dir.path().join(f.file_name()), &f.data).map_err(io("writing the layer's font file"))?;
        }
        Ok(SubtitleFiles { dir })
    }

    /// The script's path.
    pub fn script(&self) -> PathBuf {
        self.dir.path().join(SCRIPT)
    }

    /// The folder, given to libass as `fontsdir`.
    pub fn fonts(&self) -> &Path {
        self.dir.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(start: f64, end: f64, text: &str) -> Cue {
        Cue { start, end, spans: vec![Span { text: text.into(), ..Span::default() }] }
    }

    #[test]
    fn colours_times_and_text() {
        assert_eq!(ass_color(Color { rgb: [0x11, 0x22, 0x33], opacity_pct: None }), "&H00332211");
        assert_eq!(ass_color(Color { rgb: [0, 0, 0], opacity_pct: Some(60) }), "&H66000000");
        assert_eq!(ass_time(3725.456), "1:02:05.46");
        let bold = Span { text: "b".into(), bold: true, ..Span::default() };
        let plain = Span { text: "{x}\\N\ny".into(), ..Span::default() };
        assert_eq!(ass_text(&[bold, plain]), "{\\b1}b{\\b0}\\{x\\}\\\u{2060}N\\Ny");
    }

    #[test]
    fn script_shifts_and_clips_cues_to_the_cut() {
        let spec = SubtitleSpec {
            cues: vec![cue(0.5, 1.0, "before"), cue(1.5, 2.5, "inside"), cue(4.0, 9.0, "tail")],
            style: SubtitleStyle { color: Some(Color { rgb: [255, 0, 0], opacity_pct: None }), ..Default::default() },
            font: None,
        };
        let s = ass_script(&spec, (320, 180), (1.0, 5.0));
        assert!(s.contains("PlayResX: 320\nPlayResY: 180"));
        assert!(s.contains("Style: Default,DejaVu Sans,9,&H000000FF,"), "{s}");
        assert!(!s.contains("before"));
        assert!(s.contains("Dialogue: 0,0:00:00.50,0:00:01.50,Default,,0,0,0,,inside"));
        assert!(s.contains("Dialogue: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,tail"));
    }

    #[test]
    fn a_font_file_is_named_by_its_family() {
        let font =
            |family: &str| SubtitleFont { family: family.into(), data: std::sync::Arc::from(&b"\0\x01\0\0"[..]) };
        let spec = |family| SubtitleSpec {
            cues: vec![cue(0.0, 1.0, "hi")],
            style: SubtitleStyle { font: Some("/fonts/x.ttf".into()), ..Default::default() },
            font: Some(font(family)),
        };
        let s = ass_script(&spec("Noto Sans Devanagari"), (320, 180), (0.0, 5.0));
        assert!(s.contains("Style: Default,Noto Sans Devanagari,9,"), "{s}");
        assert!(s.contains(",,0,0,0,,hi\n"), "{s}");
        // A comma would split the style line: the style keeps DejaVu, each line overrides it.
        let s = ass_script(&spec("Fam, Display"), (320, 180), (0.0, 5.0));
        assert!(s.contains("Style: Default,DejaVu Sans,9,"), "{s}");
        assert!(s.contains(",,0,0,0,,{\\fnFam, Display}hi\n"), "{s}");

        let files = SubtitleFiles::write("script", Some(&font("X"))).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(files.fonts())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["DejaVuSans.ttf", "layer-font.ttf", "subs.ass"]);
        assert_eq!(std::fs::read(files.fonts().join("layer-font.ttf")).unwrap(), b"\0\x01\0\0");
    }
}
