//! Signed URLs: ImageKit `ik-s` / `ik-t` and Cloudinary `s--…--` signatures.
//!
//! Owns: [`SigningConfig`], [`verify`]. Pure functions over the request path and query; the
//! front end calls [`verify`] before parsing, and a failure is 401.
//!
//! * ImageKit: `ik-s` = hex HMAC-SHA1 over the path without its leading `/` (and the query
//!   without `ik-s`/`ik-t`, if any) followed by the `ik-t` expiry (UNIX seconds; without
//!   `ik-t` the URL never expires and `9999999999` is signed), keyed with the private key —
//!   the scheme of ImageKit's SDKs with the URL endpoint being this server's root.
//! * Cloudinary: `s--<8>--` = the first 8 characters of URL-safe base64 of
//!   SHA-1(`<everything after the signature segment>` + api secret); the 32-character long
//!   form uses SHA-256.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use sha2::Sha256;

use crate::error::{Error, ErrorKind, Result};

/// Which signatures are checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SigningConfig {
    /// ImageKit private key; `None` = ImageKit signatures are not checked.
    pub imagekit_key: Option<String>,
    /// Cloudinary API secret; `None` = Cloudinary signatures are not checked.
    pub cloudinary_secret: Option<String>,
    /// Refuse requests that carry no signature (when a key for their dialect is set).
    pub required: bool,
}

fn unauthenticated(msg: &str) -> Error {
    Error::new(ErrorKind::Unauthenticated, msg.to_string())
}

/// The hex HMAC-SHA1 ImageKit signature of `to_sign`.
pub fn imagekit_signature(key: &str, to_sign: &str) -> String {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for HMAC.
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(to_sign.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// The Cloudinary signature (8 or 32 characters) of `to_sign`.
pub fn cloudinary_signature(secret: &str, to_sign: &str, long: bool) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    if long {
        let digest = Sha256::digest(format!("{to_sign}{secret}").as_bytes());
        b64.encode(digest).chars().take(32).collect()
    } else {
        let digest = Sha1::digest(format!("{to_sign}{secret}").as_bytes());
        b64.encode(digest).chars().take(8).collect()
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The ImageKit signature parameters of a query and the rest of it.
struct SignatureParams<'q> {
    sig: Option<&'q str>,
    expiry: Option<&'q str>,
    rest: String,
}

/// Split `query` into the ImageKit signature parameters and the rest. A second `ik-s` or
/// `ik-t` is refused: the verifier and whoever reads the query next must not see different
/// copies.
fn split_signature(query: Option<&str>) -> Result<SignatureParams<'_>> {
    let (mut sig, mut expiry, mut rest) = (None, None, Vec::new());
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let slot = match pair.split_once('=') {
            Some(("ik-s", v)) => (&mut sig, v, "ik-s"),
            Some(("ik-t", v)) => (&mut expiry, v, "ik-t"),
            _ => {
                rest.push(pair);
                continue;
            }
        };
        if slot.0.replace(slot.1).is_some() {
            return Err(unauthenticated("the signature parameter appears twice").with_param(slot.2, slot.1));
        }
    }
    Ok(SignatureParams { sig, expiry, rest: rest.join("&") })
}

/// The `ik-t` expiry, accepted only in its canonical form: 1–11 decimal digits without a
/// leading zero. `ik-s` signs the query and then these digits with no separator, so any
/// other spelling (leading zeros, signs, overlong values) lets digits move between the
/// query and `ik-t` under the same signature — `?v=9999&ik-t=1000000000` would become
/// `?v=&ik-t=99991000000000` and an expired link would live again.
fn canonical_expiry(text: &str) -> Result<u64> {
    let canonical = !text.is_empty()
        && text.len() <= 11
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    match text.parse() {
        Ok(t) if canonical => Ok(t),
        _ => {
            Err(unauthenticated("ik-t must be a UNIX time of at most 11 digits, no leading zeros")
                .with_param("ik-t", text))
        }
    }
}

/// The Cloudinary signature segment and what follows it, when the path has one.
fn cloudinary_parts(path: &str) -> Option<(&str, &str)> {
    let mut from = 0;
    for seg in path.split('/') {
        let start = from;
        from += seg.len() + 1;
        if let Some(sig) = seg.strip_prefix("s--").and_then(|s| s.strip_suffix("--")) {
            if (sig.len() == 8 || sig.len() == 32)
                && sig.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                let rest = path.get(start + seg.len() + 1..).unwrap_or("");
                return Some((sig, rest));
            }
        }
    }
    None
}

/// Check the request's signature. `cloudinary` says which dialect the path is in; `now` is
/// the current UNIX time in seconds.
///
/// With [`SigningConfig::required`], a dialect whose key is not configured is refused
/// outright: nothing could be verified, so serving it would serve unsigned URLs (the
/// daemon's start-up log names the missing secret, see [`SigningConfig::missing_keys`]).
pub fn verify(cfg: &SigningConfig, path: &str, query: Option<&str>, cloudinary: bool, now: u64) -> Result<()> {
    if cloudinary {
        let Some(secret) = &cfg.cloudinary_secret else {
            return if cfg.required {
                Err(unauthenticated("signed URLs are required and no Cloudinary API secret is configured"))
            } else {
                Ok(())
            };
        };
        return match cloudinary_parts(path) {
            Some((sig, rest)) => {
                let want = cloudinary_signature(secret, rest, sig.len() == 32);
                if constant_time_eq(sig, &want) {
                    Ok(())
                } else {
                    Err(unauthenticated("Cloudinary signature does not match").with_param("s", sig))
                }
            }
            None if cfg.required => Err(unauthenticated("this server requires signed Cloudinary URLs")),
            None => Ok(()),
        };
    }
    let Some(key) = &cfg.imagekit_key else {
        return if cfg.required {
            Err(unauthenticated("signed URLs are required and no ImageKit private key is configured"))
        } else {
            Ok(())
        };
    };
    let SignatureParams { sig, expiry, rest } = split_signature(query)?;
    let Some(sig) = sig else {
        return if cfg.required { Err(unauthenticated("this server requires signed URLs (ik-s)")) } else { Ok(()) };
    };
    let expiry_text = expiry.unwrap_or("9999999999");
    if canonical_expiry(expiry_text)? < now {
        return Err(unauthenticated("signed URL has expired").with_param("ik-t", expiry_text));
    }
    let mut to_sign = path.trim_start_matches('/').to_string();
    if !rest.is_empty() {
        to_sign.push('?');
        to_sign.push_str(&rest);
    }
    to_sign.push_str(expiry_text);
    if constant_time_eq(&sig.to_ascii_lowercase(), &imagekit_signature(key, &to_sign)) {
        Ok(())
    } else {
        Err(unauthenticated("signature does not match").with_param("ik-s", sig))
    }
}

impl SigningConfig {
    /// The configuration keys whose secrets are missing while signatures are required (each
    /// such dialect is refused with 401); empty when nothing is required or all are set.
    pub fn missing_keys(&self) -> Vec<&'static str> {
        if !self.required {
            return Vec::new();
        }
        let mut missing = Vec::new();
        if self.imagekit_key.is_none() {
            missing.push("frontend.imagekit_private_key");
        }
        if self.cloudinary_secret.is_none() {
            missing.push("frontend.cloudinary_api_secret");
        }
        missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(required: bool) -> SigningConfig {
        SigningConfig { imagekit_key: Some("private_key".into()), cloudinary_secret: Some("secret".into()), required }
    }

    #[test]
    fn imagekit_signature_round_trips_and_rejects_tampering() {
        let sig = imagekit_signature("private_key", "tr:w-300/a.jpg9999999999");
        let q = format!("ik-s={sig}");
        assert!(verify(&cfg(true), "/tr:w-300/a.jpg", Some(&q), false, 0).is_ok());
        assert!(verify(&cfg(true), "/tr:w-301/a.jpg", Some(&q), false, 0).is_err());
        assert_eq!(
            verify(&cfg(true), "/tr:w-300/a.jpg", None, false, 0).unwrap_err().kind(),
            ErrorKind::Unauthenticated
        );
        assert!(verify(&cfg(false), "/tr:w-300/a.jpg", None, false, 0).is_ok());
    }

    #[test]
    fn imagekit_expiry_is_enforced() {
        let sig = imagekit_signature("private_key", "a.jpg?tr=w-10100");
        let q = format!("tr=w-10&ik-t=100&ik-s={sig}");
        assert!(verify(&cfg(true), "/a.jpg", Some(&q), false, 99).is_ok());
        assert!(verify(&cfg(true), "/a.jpg", Some(&q), false, 101).is_err());
    }

    #[test]
    fn only_canonical_expiry_digits_are_accepted() {
        for ok in ["0", "1", "9999999999", "99999999999"] {
            assert!(canonical_expiry(ok).is_ok(), "{ok}");
        }
        for bad in ["", "01", "+1", "-1", "1 ", "999999999999", "1e9", "0x10"] {
            assert_eq!(canonical_expiry(bad).unwrap_err().kind(), ErrorKind::Unauthenticated, "{bad}");
        }
    }

    #[test]
    fn a_required_dialect_without_a_key_is_refused() {
        let ik_only = SigningConfig { cloudinary_secret: None, ..cfg(true) };
        assert!(verify(&ik_only, "/image/upload/w_3/a.jpg", None, true, 0).is_err());
        assert_eq!(ik_only.missing_keys(), ["frontend.cloudinary_api_secret"]);
        assert!(SigningConfig { required: false, ..ik_only }.missing_keys().is_empty());
    }

    #[test]
    fn cloudinary_short_and_long_signatures() {
        let rest = "w_300,c_fill/v1/sample.jpg";
        let short = cloudinary_signature("secret", rest, false);
        assert_eq!(short.len(), 8);
        let path = format!("/image/upload/s--{short}--/{rest}");
        assert!(verify(&cfg(true), &path, None, true, 0).is_ok());
        let bad = format!("/image/upload/s--AAAAAAAA--/{rest}");
        assert!(verify(&cfg(true), &bad, None, true, 0).is_err());
        let long = cloudinary_signature("secret", rest, true);
        assert!(verify(&cfg(true), &format!("/image/upload/s--{long}--/{rest}"), None, true, 0).is_ok());
        assert!(verify(&cfg(true), "/image/upload/w_300/sample.jpg", None, true, 0).is_err());
        assert!(verify(&cfg(false), "/image/upload/w_300/sample.jpg", None, true, 0).is_ok());
    }
}
