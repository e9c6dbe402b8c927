//! Number grammar and exact decimal arithmetic of the Cloudinary rewriter (spec §4.1, D11).
//!
//! Owns: the `[0-9]+(\.[0-9]+)?` number grammar (AMB-8), bounded integer parsing, and the
//! computed re-formattings — round half up to 2 decimals, divide by 100, shortest form.
//! Everything works on the decimal digit text, never on binary floats: with floats
//! `10.555` rounds to `10.55` and `100 × 2.55` is `254.999…` (spec D11).
//! Imports nothing in-crate.

/// True for `[0-9]+`.
pub(super) fn is_uint(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// True for an unsigned number `[0-9]+` or `[0-9]+\.[0-9]+` (no sign, no exponent, no
/// bare leading or trailing point).
pub(super) fn is_unsigned(s: &str) -> bool {
    match s.split_once('.') {
        Some((int, frac)) => is_uint(int) && is_uint(frac),
        None => is_uint(s),
    }
}

/// True for a signed integer: an optional leading `-` (never `+`) and `[0-9]+`.
pub(super) fn is_sint(s: &str) -> bool {
    is_uint(s.strip_prefix('-').unwrap_or(s))
}

/// True when the unsigned number `s` is zero (`0`, `00`, `0.000`).
pub(super) fn is_zero(s: &str) -> bool {
    s.bytes().all(|b| b == b'0' || b == b'.')
}

/// True when the unsigned number `s` is 1 or more, i.e. its integer part is not zero.
pub(super) fn at_least_one(s: &str) -> bool {
    let int = s.split_once('.').map_or(s, |(int, _)| int);
    int.bytes().any(|b| b != b'0')
}

/// Parses `[0-9]+` (leading zeros allowed, any length) into a value no larger than `max`;
/// `None` when the text is not digits or the value is larger. Never overflows.
pub(super) fn uint_at_most(s: &str, max: u32) -> Option<u32> {
    if !is_uint(s) {
        return None;
    }
    let mut value: u32 = 0;
    for b in s.bytes() {
        value = value.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
        if value > max {
            return None;
        }
    }
    Some(value)
}

/// Parses a signed integer whose absolute value is at most `max_abs`.
pub(super) fn sint_at_most(s: &str, max_abs: u32) -> Option<i64> {
    match s.strip_prefix('-') {
        Some(rest) => uint_at_most(rest, max_abs).map(|v| -i64::from(v)),
        None => uint_at_most(s, max_abs).map(i64::from),
    }
}

/// Splits an unsigned number into its integer digits (leading zeros removed) and its
/// fraction digits.
fn parts(s: &str) -> (&str, &str) {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    (int.trim_start_matches('0'), frac)
}

/// Appends `int.frac` in shortest form: no leading zeros in the integer part (a single `0`
/// when it is empty), no trailing zeros after the point, no trailing point.
fn push_shortest(out: &mut String, int: &[u8], frac: &[u8]) {
    let start = int.iter().position(|&b| b != b'0').unwrap_or(int.len());
    let int = &int[start..];
    let end = frac.iter().rposition(|&b| b != b'0').map_or(0, |p| p + 1);
    let frac = &frac[..end];
    if int.is_empty() {
        out.push('0');
    }
    out.extend(int.iter().map(|&b| char::from(b)));
    if !frac.is_empty() {
        out.push('.');
        out.extend(frac.iter().map(|&b| char::from(b)));
    }
}

/// Appends the unsigned number `s` rounded half up to 2 decimals, in shortest form
/// (`10.5599` ⇒ `10.56`, `10.555` ⇒ `10.56`, `10.50` ⇒ `10.5`, `007` ⇒ `7`).
/// `s` must satisfy [`is_unsigned`].
pub(super) fn push_round2(out: &mut String, s: &str) {
    let (int, frac) = parts(s);
    let fb = frac.as_bytes();
    // Digits of the value times 100, truncated; the third fraction digit decides rounding.
    let mut digits: Vec<u8> = Vec::with_capacity(int.len() + 3);
    digits.extend_from_slice(int.as_bytes());
    digits.push(fb.first().copied().unwrap_or(b'0'));
    digits.push(fb.get(1).copied().unwrap_or(b'0'));
    if fb.get(2).is_some_and(|&b| b >= b'5') {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            if digits[i] == b'9' {
                digits[i] = b'0';
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let split = digits.len() - 2;
    push_shortest(out, &digits[..split], &digits[split..]);
}

/// Appends the unsigned number `s` divided by 100, exactly, in shortest form
/// (`10` ⇒ `0.1`, `62.5` ⇒ `0.625`, `250` ⇒ `2.5`, `100` ⇒ `1`, `0` ⇒ `0`).
/// `s` must satisfy [`is_unsigned`].
pub(super) fn push_div100(out: &mut String, s: &str) {
    let (int, frac) = parts(s);
    let ib = int.as_bytes();
    let cut = ib.len().saturating_sub(2);
    // The last two integer digits move behind the point, left-padded to two digits.
    let mut new_frac: Vec<u8> = Vec::with_capacity(2 + frac.len());
    new_frac.extend(std::iter::repeat_n(b'0', 2 - (ib.len() - cut)));
    new_frac.extend_from_slice(&ib[cut..]);
    new_frac.extend_from_slice(frac.as_bytes());
    push_shortest(out, &ib[..cut], &new_frac);
}

/// Appends `n / 100` exactly, in shortest form (`250` ⇒ `2.5`, `500` ⇒ `5`, `1` ⇒ `0.01`).
pub(super) fn push_uint_div100(out: &mut String, n: u32) {
    push_u32(out, n / 100);
    let frac = n % 100;
    if frac != 0 {
        out.push('.');
        out.push(digit_char(frac / 10));
        if !frac.is_multiple_of(10) {
            out.push(digit_char(frac % 10));
        }
    }
}

/// Appends `n` in decimal without allocating.
pub(super) fn push_u32(out: &mut String, n: u32) {
    let mut buf = [0u8; 10];
    let mut at = buf.len();
    let mut n = n;
    loop {
        at -= 1;
        buf[at] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(buf[at..].iter().map(|&b| char::from(b)));
}

/// The character of the decimal digit `d % 10`.
fn digit_char(d: u32) -> char {
    char::from(b'0' + u8::try_from(d % 10).unwrap_or(0))
}

/// Appends a signed number with ImageKit's sign convention: a leading `-` becomes `N`
/// (`-67` ⇒ `N67`), the digits are copied verbatim (spec §4.1).
pub(super) fn push_signed(out: &mut String, s: &str) {
    match s.strip_prefix('-') {
        Some(rest) => {
            out.push('N');
            out.push_str(rest);
        }
        None => out.push_str(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round2(s: &str) -> String {
        let mut out = String::new();
        push_round2(&mut out, s);
        out
    }

    fn div100(s: &str) -> String {
        let mut out = String::new();
        push_div100(&mut out, s);
        out
    }

    fn udiv100(n: u32) -> String {
        let mut out = String::new();
        push_uint_div100(&mut out, n);
        out
    }

    #[test]
    fn number_grammar() {
        for ok in ["0", "007", "1.5", "10.00", "0.25"] {
            assert!(is_unsigned(ok), "{ok}");
        }
        for bad in ["", ".5", "5.", "+5", "-5", "1e3", "1.2.3", "a", " 1", "1,5"] {
            assert!(!is_unsigned(bad), "{bad}");
        }
        assert!(is_sint("-12") && is_sint("0") && !is_sint("-") && !is_sint("+1"));
        assert!(!is_sint("-1.5") && !is_sint("--1"));
        assert!(is_zero("0") && is_zero("0.000") && is_zero("00") && !is_zero("0.01"));
        assert!(at_least_one("1.0") && at_least_one("01.5") && !at_least_one("0.99"));
    }

    #[test]
    fn bounded_integers() {
        assert_eq!(uint_at_most("0100", 100), Some(100));
        assert_eq!(uint_at_most("101", 100), None);
        assert_eq!(uint_at_most("99999999999999999999999", 2000), None);
        assert_eq!(uint_at_most("", 5), None);
        assert_eq!(uint_at_most("1.0", 5), None);
        assert_eq!(sint_at_most("-300", 300), Some(-300));
        assert_eq!(sint_at_most("-301", 300), None);
        assert_eq!(sint_at_most("+3", 300), None);
    }

    #[test]
    fn round_half_up_to_two_decimals() {
        assert_eq!(round2("10.5599"), "10.56");
        assert_eq!(round2("10.5522"), "10.55");
        assert_eq!(round2("10.5500"), "10.55");
        assert_eq!(round2("10.555"), "10.56");
        assert_eq!(round2("10.554999"), "10.55");
        assert_eq!(round2("2.5"), "2.5");
        assert_eq!(round2("10.50"), "10.5");
        assert_eq!(round2("10.00"), "10");
        assert_eq!(round2("0"), "0");
        assert_eq!(round2("007"), "7");
        assert_eq!(round2("0.004"), "0");
        assert_eq!(round2("0.005"), "0.01");
        assert_eq!(round2("9.995"), "10");
        assert_eq!(round2("99.999"), "100");
        assert_eq!(round2("0.999"), "1");
    }

    #[test]
    fn divide_by_hundred() {
        assert_eq!(div100("10"), "0.1");
        assert_eq!(div100("62.5"), "0.625");
        assert_eq!(div100("12.5"), "0.125");
        assert_eq!(div100("100"), "1");
        assert_eq!(div100("0"), "0");
        assert_eq!(div100("5"), "0.05");
        assert_eq!(div100("250"), "2.5");
        assert_eq!(div100("0.001"), "0.00001");
        assert_eq!(div100("0100.0"), "1");
        assert_eq!(udiv100(250), "2.5");
        assert_eq!(udiv100(500), "5");
        assert_eq!(udiv100(1), "0.01");
        assert_eq!(udiv100(2000), "20");
        assert_eq!(udiv100(105), "1.05");
        assert_eq!(udiv100(110), "1.1");
        assert_eq!(udiv100(0), "0");
        let mut s = String::new();
        push_u32(&mut s, 0);
        push_u32(&mut s, u32::MAX);
        assert_eq!(s, format!("0{}", u32::MAX));
    }

    #[test]
    fn sign_becomes_n() {
        let mut out = String::new();
        push_signed(&mut out, "-67");
        push_signed(&mut out, ",");
        push_signed(&mut out, "90");
        assert_eq!(out, "N67,90");
    }
}
