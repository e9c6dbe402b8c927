//! Video trimming `so_ eo_ du_` ⇒ `so- eo- du-` (spec §4.2 rows 27–29, §9, AMB-25).
//!
//! Owns: seconds rounded half up to 2 decimals and percentages `<n>p` (0 ≤ n ≤ 100) as
//! `idu_mul_<n/100>`, both exact and in shortest form. Imports only sibling modules.

use super::decimal::{is_unsigned, is_zero, push_div100, push_round2};
use super::sink::Sink;
use super::DropReason;

/// Translates `so_`, `eo_` or `du_` (`key` is the Cloudinary key, also the ImageKit key).
pub(super) fn offset(key: &str, value: &str, sink: &mut Sink) -> Result<(), DropReason> {
    if let Some(percent) = value.strip_suffix('p') {
        if !is_unsigned(percent) || !at_most_100(percent) {
            return Err(DropReason::Invalid);
        }
        let out = sink.token(key);
        if is_zero(percent) {
            out.push('0');
        } else {
            out.push_str("idu_mul_");
            push_div100(out, percent);
        }
        return Ok(());
    }
    if !is_unsigned(value) {
        return Err(DropReason::Invalid);
    }
    push_round2(sink.token(key), value);
    Ok(())
}

/// True when the unsigned number `n` is at most 100.
fn at_most_100(n: &str) -> bool {
    let (int, frac) = n.split_once('.').unwrap_or((n, ""));
    let int = int.trim_start_matches('0');
    int.len() < 3 || (int == "100" && is_zero(frac))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(key: &str, v: &str) -> Result<String, DropReason> {
        let mut s = Sink::new();
        offset(key, v, &mut s)?;
        Ok(s.finish().0)
    }

    #[test]
    fn seconds() {
        assert_eq!(run("so", "10.5599").as_deref(), Ok("so-10.56"));
        assert_eq!(run("eo", "10.5522").as_deref(), Ok("eo-10.55"));
        assert_eq!(run("du", "10.5500").as_deref(), Ok("du-10.55"));
        assert_eq!(run("so", "10.555").as_deref(), Ok("so-10.56"));
        assert_eq!(run("so", "2.5").as_deref(), Ok("so-2.5"));
        assert_eq!(run("so", "0").as_deref(), Ok("so-0"));
        assert_eq!(run("du", "3").as_deref(), Ok("du-3"));
    }

    #[test]
    fn percentages() {
        assert_eq!(run("so", "10p").as_deref(), Ok("so-idu_mul_0.1"));
        assert_eq!(run("eo", "62.5p").as_deref(), Ok("eo-idu_mul_0.625"));
        assert_eq!(run("so", "12.5p").as_deref(), Ok("so-idu_mul_0.125"));
        assert_eq!(run("du", "40p").as_deref(), Ok("du-idu_mul_0.4"));
        assert_eq!(run("so", "0p").as_deref(), Ok("so-0"));
        assert_eq!(run("so", "100p").as_deref(), Ok("so-idu_mul_1"));
        assert_eq!(run("so", "0100.00p").as_deref(), Ok("so-idu_mul_1"));
        assert_eq!(run("so", "99.99p").as_deref(), Ok("so-idu_mul_0.9999"));
    }

    #[test]
    fn invalid_offsets() {
        for bad in ["-2", "auto", "150p", "100.01p", "-5p", "p", "", "1.5.p", "1e2", "10s", "1000p"] {
            assert_eq!(run("so", bad), Err(DropReason::Invalid), "{bad}");
        }
    }
}
