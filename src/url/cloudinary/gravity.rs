//! Gravity `g_` ⇒ focus `fo-` (spec §4.2 row 4, §4.4) and the overlay placement subset
//! `g_` ⇒ `ofo-` (§7.1 rule 4, D7).
//!
//! Owns: the compass mapping table. Imports only sibling modules.

use super::sink::Sink;
use super::DropReason;

/// Maps a Cloudinary gravity to an ImageKit focus value (§4.4); enumerations are
/// case-sensitive (AMB-8).
pub(super) fn focus(value: &str) -> Option<&'static str> {
    Some(match value {
        "auto" => "auto",
        "custom" => "custom",
        "face" => "face",
        other => return placement(other).filter(|&p| p != "face"),
    })
}

/// Maps a gravity used as overlay placement: the compass values, `center` and `face`
/// (D7, AMB-18). `auto`, `custom` and other special gravities have no legacy counterpart.
pub(super) fn placement(value: &str) -> Option<&'static str> {
    Some(match value {
        "north" => "top",
        "south" => "bottom",
        "east" => "right",
        "west" => "left",
        "north_west" => "top_left",
        "north_east" => "top_right",
        "south_west" => "bottom_left",
        "south_east" => "bottom_right",
        "center" => "center",
        "face" => "face",
        _ => return None,
    })
}

/// `g_<gravity>` in an ordinary component ⇒ `fo-<mapped>`.
pub(super) fn gravity(value: &str, sink: &mut Sink) -> Result<(), DropReason> {
    let fo = focus(value).ok_or(DropReason::Invalid)?;
    sink.put("fo", fo);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &str) -> Result<String, DropReason> {
        let mut s = Sink::new();
        gravity(v, &mut s)?;
        Ok(s.finish().0)
    }

    #[test]
    fn compass_table() {
        let table = [
            ("north", "top"),
            ("south", "bottom"),
            ("east", "right"),
            ("west", "left"),
            ("north_west", "top_left"),
            ("north_east", "top_right"),
            ("south_west", "bottom_left"),
            ("south_east", "bottom_right"),
            ("center", "center"),
            ("auto", "auto"),
            ("face", "face"),
            ("custom", "custom"),
        ];
        for (g, fo) in table {
            assert_eq!(run(g), Ok(format!("fo-{fo}")));
        }
    }

    #[test]
    fn other_gravities_dropped() {
        for bad in ["auto:subject", "faces", "xy_center", "North", "", "cat", "face:center"] {
            assert_eq!(run(bad), Err(DropReason::Invalid), "{bad}");
        }
    }

    #[test]
    fn placement_subset() {
        assert_eq!(placement("face"), Some("face"));
        assert_eq!(placement("north_east"), Some("top_right"));
        assert_eq!(placement("auto"), None);
        assert_eq!(placement("custom"), None);
        assert_eq!(focus("face"), Some("face"));
    }
}
