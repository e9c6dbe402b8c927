//! Text-layer typography (spec §7.3): `fs ff co ia pa tg lh`, and in the layer's first step
//! `w bg r`, which style the text box.
//!
//! Owns: [`apply`] and the `ff` value rule. A child of `layer`, whose [`LayerInfo`] it fills.

use super::super::number::{decimal, dim, dim_list};
use super::super::{color, effect};
use super::{LayerInfo, LEN, XY};
use crate::error::{Error, ErrorKind, Result};
use crate::job::TextAlign;
use crate::url::imagekit::chain::StepState;

/// Text-layer typography keys.
pub(super) fn apply(key: &str, value: &str, info: &mut LayerInfo, st: &mut StepState, first: bool) -> Result<bool> {
    let s = &mut info.style;
    match key {
        "fs" => s.size = Some(dim(key, value, LEN)?),
        "ff" => s.font = Some(font(key, value)?),
        "co" => {
            s.color = Some(color::color(key, value)?);
            info.co_named = color::css_named_color(value).is_some();
        }
        "ia" => {
            s.align = match value {
                "left" => TextAlign::Left,
                "center" => TextAlign::Center,
                "right" => TextAlign::Right,
                _ => return Err(Error::invalid(key, value, "alignment is left, center or right")),
            }
        }
        "pa" => {
            let p = dim_list(key, value, XY)?;
            if p.len() > 4 {
                return Err(Error::invalid(key, value, "padding takes 1 to 4 values"));
            }
            s.padding = p;
        }
        "tg" => {
            (s.bold, s.italic) = match value {
                "b" => (true, false),
                "i" => (false, true),
                "b_i" | "i_b" => (true, true),
                v if v.split('_').all(|t| matches!(t, "b" | "i" | "strikethrough")) => {
                    return Err(Error::new(ErrorKind::Unsupported, "strikethrough text is not supported")
                        .with_param(key, value))
                }
                _ => return Err(Error::invalid(key, value, "typography is b, i or b_i")),
            }
        }
        "lh" => {
            let v = decimal(key, value)?;
            if v <= 0.0 {
                return Err(Error::invalid(key, value, "line height must be positive"));
            }
            s.line_height = Some(v);
        }
        "w" if first => s.max_width = Some(dim(key, value, LEN)?),
        "r" if first => s.radius = Some(effect::radius(key, value)?),
        "bg" if first => {
            s.background = Some(color::color(key, value)?);
            st.bg_named = color::css_named_color(value).is_some();
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// `ff-<built-in name>` or a font file path (it has an extension) with `@@` for `/`.
fn font(key: &str, value: &str) -> Result<String> {
    if value.contains('.') {
        return super::super::media_path(key, value);
    }
    if value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        Ok(value.to_owned())
    } else {
        Err(Error::invalid(key, value, "font is a built-in name or a font file path with extension"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fonts() {
        assert_eq!(font("ff", "AbrilFatFace").unwrap(), "AbrilFatFace");
        assert_eq!(font("ff", "fonts@@Lacquer-Regular.ttf").unwrap(), "/fonts/Lacquer-Regular.ttf");
        assert!(font("ff", "a b").is_err());
        assert_eq!(font("ff", "@@..@@x.ttf").unwrap_err().key(), Some("ff"));
    }
}
