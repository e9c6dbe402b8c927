//! Angle `a_` ⇒ rotation `rt-` (spec §4.2 row 9, D3, AMB-11).
//!
//! Owns: the one-signed-integer rule. Cloudinary uses `.` to list several angles and modes
//! (`a_auto.45`, C17), so a dotted value is a list, not a decimal, and is dropped, as are
//! the modes (`auto_right`, `hflip`, …). Imports only sibling modules.

use super::decimal::{is_sint, push_signed};
use super::sink::Sink;
use super::DropReason;

/// `a_<signed integer>` ⇒ `rt-<n>` / `rt-N<n>`.
pub(super) fn angle(value: &str, sink: &mut Sink) -> Result<(), DropReason> {
    if !is_sint(value) {
        return Err(DropReason::Invalid);
    }
    push_signed(sink.token("rt"), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &str) -> Result<String, DropReason> {
        let mut s = Sink::new();
        angle(v, &mut s)?;
        Ok(s.finish().0)
    }

    #[test]
    fn signed_integers() {
        assert_eq!(run("90").as_deref(), Ok("rt-90"));
        assert_eq!(run("-67").as_deref(), Ok("rt-N67"));
        assert_eq!(run("0").as_deref(), Ok("rt-0"));
        assert_eq!(run("360").as_deref(), Ok("rt-360"));
    }

    #[test]
    fn lists_and_modes_dropped() {
        for bad in [
            "45.30",
            "-12.5",
            "auto",
            "auto_right",
            "auto_left",
            "ignore",
            "hflip",
            "vflip",
            "auto.45",
            "",
            "+90",
            "$a",
        ] {
            assert_eq!(run(bad), Err(DropReason::Invalid), "{bad}");
        }
    }
}
