//! Radius `r_` ⇒ `r-` (spec §4.2 row 10, AMB-13).
//!
//! Owns: the corner-list grammar: `max`, or 1–4 `:`-separated non-negative integers whose
//! first value is positive. Only the first corner survives, as the rewriter documents even
//! though ImageKit now has per-corner radii. Imports only sibling modules.

use super::decimal::{is_uint, is_zero};
use super::sink::Sink;
use super::DropReason;

/// `r_max` ⇒ `r-max`; `r_<a>[:<b>[:<c>[:<d>]]]` ⇒ `r-<a>`.
pub(super) fn radius(value: &str, sink: &mut Sink) -> Result<(), DropReason> {
    if value == "max" {
        sink.put("r", "max");
        return Ok(());
    }
    let mut corners = value.split(':');
    let first = corners.next().unwrap_or("");
    let mut count = 1;
    for corner in corners {
        count += 1;
        if count > 4 || !is_uint(corner) {
            return Err(DropReason::Invalid);
        }
    }
    if !is_uint(first) || is_zero(first) {
        return Err(DropReason::Invalid);
    }
    sink.put("r", first);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &str) -> Result<String, DropReason> {
        let mut s = Sink::new();
        radius(v, &mut s)?;
        Ok(s.finish().0)
    }

    #[test]
    fn valid_forms() {
        assert_eq!(run("20").as_deref(), Ok("r-20"));
        assert_eq!(run("20:30:40:50").as_deref(), Ok("r-20"));
        assert_eq!(run("15:0:7").as_deref(), Ok("r-15"));
        assert_eq!(run("020:0").as_deref(), Ok("r-020"));
        assert_eq!(run("max").as_deref(), Ok("r-max"));
    }

    #[test]
    fn invalid_forms() {
        for bad in ["0", "0:20", "00", "1:2:3:4:5", "12:$rad", "$r", "", "20:", ":20", "1.5", "-3", "max:20", "MAX"] {
            assert_eq!(run(bad), Err(DropReason::Invalid), "{bad}");
        }
    }
}
