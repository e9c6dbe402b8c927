//! Colour values of `bo_`, `b_` and `co_` (spec §4.3, AMB-12).
//!
//! Owns: the 148 CSS named-colour keywords (engine spec §5.1), the `rgb:<hex>` grammar with
//! 3/4/6/8 digits, digit doubling and the hex-alpha ⇒ decimal-opacity conversion
//! `(200·a + 255) div 510`, capped at 99. Imports nothing in-crate.

/// The 148 CSS named colours (CSS Color Level 4), sorted, lower case.
#[rustfmt::skip]
const NAMES: [&str; 148] = [
    "aliceblue", "antiquewhite", "aqua", "aquamarine", "azure", "beige", "bisque", "black",
    "blanchedalmond", "blue", "blueviolet", "brown", "burlywood", "cadetblue", "chartreuse",
    "chocolate", "coral", "cornflowerblue", "cornsilk", "crimson", "cyan", "darkblue",
    "darkcyan", "darkgoldenrod", "darkgray", "darkgreen", "darkgrey", "darkkhaki",
    "darkmagenta", "darkolivegreen", "darkorange", "darkorchid", "darkred", "darksalmon",
    "darkseagreen", "darkslateblue", "darkslategray", "darkslategrey", "darkturquoise",
    "darkviolet", "deeppink", "deepskyblue", "dimgray", "dimgrey", "dodgerblue", "firebrick",
    "floralwhite", "forestgreen", "fuchsia", "gainsboro", "ghostwhite", "gold", "goldenrod",
    "gray", "green", "greenyellow", "grey", "honeydew", "hotpink", "indianred", "indigo",
    "ivory", "khaki", "lavender", "lavenderblush", "lawngreen", "lemonchiffon", "lightblue",
    "lightcoral", "lightcyan", "lightgoldenrodyellow", "lightgray", "lightgreen", "lightgrey",
    "lightpink", "lightsalmon", "lightseagreen", "lightskyblue", "lightslategray",
    "lightslategrey", "lightsteelblue", "lightyellow", "lime", "limegreen", "linen", "magenta",
    "maroon", "mediumaquamarine", "mediumblue", "mediumorchid", "mediumpurple",
    "mediumseagreen", "mediumslateblue", "mediumspringgreen", "mediumturquoise",
    "mediumvioletred", "midnightblue", "mintcream", "mistyrose", "moccasin", "navajowhite",
    "navy", "oldlace", "olive", "olivedrab", "orange", "orangered", "orchid", "palegoldenrod",
    "palegreen", "paleturquoise", "palevioletred", "papayawhip", "peachpuff", "peru", "pink",
    "plum", "powderblue", "purple", "rebeccapurple", "red", "rosybrown", "royalblue",
    "saddlebrown", "salmon", "sandybrown", "seagreen", "seashell", "sienna", "silver",
    "skyblue", "slateblue", "slategray", "slategrey", "snow", "springgreen", "steelblue", "tan",
    "teal", "thistle", "tomato", "turquoise", "violet", "wheat", "white", "whitesmoke",
    "yellow", "yellowgreen",
];

/// A validated colour in ImageKit form: a lower-case keyword, `RRGGBB` or `RRGGBBAA` with a
/// decimal opacity `AA` in `00`–`99`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Color {
    /// A CSS keyword, lower case.
    Named(&'static str),
    /// Upper-case hex digits and an optional two-digit decimal opacity.
    Hex { buf: [u8; 8], len: usize },
}

impl Color {
    /// The ImageKit text of the colour.
    pub(super) fn push_to(&self, out: &mut String) {
        match self {
            Color::Named(name) => out.push_str(name),
            Color::Hex { buf, len } => out.extend(buf[..*len].iter().map(|&b| char::from(b))),
        }
    }
}

/// Parses a Cloudinary colour value; `None` when it is not a colour (AMB-12, D1).
pub(super) fn parse(value: &str) -> Option<Color> {
    if let Some(hex) = value.strip_prefix("rgb:") {
        return parse_hex(hex.as_bytes());
    }
    named(value).map(Color::Named)
}

/// Case-insensitive lookup among the 148 keywords.
fn named(value: &str) -> Option<&'static str> {
    // Longest keyword: "lightgoldenrodyellow", 20 bytes.
    if value.len() > 20 || !value.is_ascii() {
        return None;
    }
    let mut buf = [0u8; 20];
    for (dst, src) in buf.iter_mut().zip(value.bytes()) {
        *dst = src.to_ascii_lowercase();
    }
    let lower = &buf[..value.len()];
    NAMES.binary_search_by(|name| name.as_bytes().cmp(lower)).ok().map(|i| NAMES[i])
}

/// `rgb:` digits: 3 or 4 are doubled, the fourth pair is alpha (spec §4.3).
fn parse_hex(hex: &[u8]) -> Option<Color> {
    if !matches!(hex.len(), 3 | 4 | 6 | 8) || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut full = [0u8; 8];
    let len = if hex.len() <= 4 {
        for (i, &d) in hex.iter().enumerate() {
            full[2 * i] = d.to_ascii_uppercase();
            full[2 * i + 1] = d.to_ascii_uppercase();
        }
        hex.len() * 2
    } else {
        for (dst, &d) in full.iter_mut().zip(hex) {
            *dst = d.to_ascii_uppercase();
        }
        hex.len()
    };
    if len == 8 {
        let alpha = u32::from(nibble(full[6]) * 16 + nibble(full[7]));
        // round(a × 100 / 255) in integers; a tie cannot occur. At most 99 (AMB-12).
        let opacity = ((200 * alpha + 255) / 510).min(99);
        full[6] = b'0' + digit(opacity / 10);
        full[7] = b'0' + digit(opacity % 10);
    }
    Some(Color::Hex { buf: full, len })
}

/// Value of one (already validated) hex digit.
fn nibble(d: u8) -> u8 {
    match d {
        b'0'..=b'9' => d - b'0',
        b'a'..=b'f' => d - b'a' + 10,
        b'A'..=b'F' => d - b'A' + 10,
        _ => 0,
    }
}

/// A decimal digit value (0–9) as `u8`.
fn digit(v: u32) -> u8 {
    u8::try_from(v % 10).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: &str) -> Option<String> {
        parse(v).map(|c| {
            let mut s = String::new();
            c.push_to(&mut s);
            s
        })
    }

    #[test]
    fn keyword_list_is_sorted_and_complete() {
        assert_eq!(NAMES.len(), 148);
        assert!(NAMES.windows(2).all(|w| w[0] < w[1]));
        assert!(NAMES.iter().all(|n| n.len() <= 20));
    }

    #[test]
    fn names_any_case_emitted_lower() {
        assert_eq!(text("red").as_deref(), Some("red"));
        assert_eq!(text("BLUE").as_deref(), Some("blue"));
        assert_eq!(text("DarkSlateGray").as_deref(), Some("darkslategray"));
        assert_eq!(text("lightgoldenrodyellow").as_deref(), Some("lightgoldenrodyellow"));
        for bad in ["notacolour", "auto", "blurred", "transparent", "", "réd", "#ff0000"] {
            assert_eq!(text(bad), None, "{bad}");
        }
    }

    #[test]
    fn hex_forms() {
        assert_eq!(text("rgb:AAAA54").as_deref(), Some("AAAA54"));
        assert_eq!(text("rgb:AAAA54A9").as_deref(), Some("AAAA5466"));
        assert_eq!(text("rgb:B4F").as_deref(), Some("BB44FF"));
        assert_eq!(text("rgb:B4F9").as_deref(), Some("BB44FF60"));
        assert_eq!(text("rgb:ffaabb").as_deref(), Some("FFAABB"));
        assert_eq!(text("rgb:ff000080").as_deref(), Some("FF000050"));
        assert_eq!(text("rgb:000000FF").as_deref(), Some("00000099"));
        assert_eq!(text("rgb:00000000").as_deref(), Some("00000000"));
        for bad in ["RGB:FF0000", "rgb:GG0000", "rgb:12345", "rgb:1234567", "rgb:", "rgb:12"] {
            assert_eq!(text(bad), None, "{bad}");
        }
    }

    #[test]
    fn alpha_conversion_matches_formula() {
        for a in 0u32..=255 {
            let hex = format!("rgb:000000{a:02X}");
            let expect = ((200 * a + 255) / 510).min(99);
            assert_eq!(text(&hex), Some(format!("000000{expect:02}")));
        }
    }
}
