//! Attacks on signed URLs over the real HTTP front end and gRPC daemon on 127.0.0.1
//! (issue #12, holes 1–3). Each test performs the attack and asserts it is refused.

use reqwest::StatusCode;
use xformd::frontend::signature::{cloudinary_signature, imagekit_signature, SigningConfig};

use crate::common::{config, media_dir, start_server_with, Servers};

async fn server(signing: SigningConfig) -> Servers {
    start_server_with(config(media_dir()), move |f| f.with_signing(signing.clone())).await
}

async fn get(s: &Servers, path: &str) -> reqwest::Response {
    reqwest::get(s.url(path)).await.unwrap()
}

fn both_keys() -> SigningConfig {
    SigningConfig { imagekit_key: Some("ik-key".into()), cloudinary_secret: Some("cl-secret".into()), required: true }
}

/// Hole 1: a signed Cloudinary URL carries a `?tr=` query that would add an overlay (or
/// any other step) the signer never saw. The signature covers the path only, so the query
/// must not change the output: the request is refused with 400 naming `tr`.
#[tokio::test]
async fn attack_tr_query_rides_on_signed_cloudinary_url() {
    let s = server(both_keys()).await;
    let rest = "w_40/photos/coffee.png";
    let sig = cloudinary_signature("cl-secret", rest, false);
    let signed = format!("/image/upload/s--{sig}--/{rest}");
    let plain = get(&s, &signed).await;
    assert_eq!(plain.status(), StatusCode::OK, "the signed URL itself renders");
    let plain_bytes = plain.bytes().await.unwrap();
    let attack = get(&s, &format!("{signed}?tr=w-400,bl-20")).await;
    assert_eq!(attack.status(), StatusCode::BAD_REQUEST, "an unsigned tr query must not be applied");
    let body: serde_json::Value = attack.json().await.unwrap();
    assert_eq!(body["key"], "tr", "{body}");
    // Other query parameters (cache busters, SDK analytics such as `_a=`) are ignored: the
    // bytes are those of the signed URL.
    let busted = get(&s, &format!("{signed}?_a=BAMAABDT0&v=2")).await;
    assert_eq!(busted.status(), StatusCode::OK);
    assert_eq!(busted.bytes().await.unwrap(), plain_bytes, "a query changed a signed Cloudinary URL's output");
}

/// Hole 1, unsigned servers too: a Cloudinary URL takes its transformation from the path
/// only, so `?tr=` is refused rather than silently merged.
#[tokio::test]
async fn attack_tr_query_on_unsigned_cloudinary_url_is_refused() {
    let s = server(SigningConfig::default()).await;
    let r = get(&s, "/image/upload/w_40/photos/coffee.png?tr=l-image,i-photos@@coffee.png,l-end").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

/// Hole 2: with signatures required but only the ImageKit key set, unsigned Cloudinary URLs
/// were served. A dialect without a key cannot verify anything, so it is refused.
#[tokio::test]
async fn attack_unsigned_cloudinary_url_when_only_imagekit_key_is_set() {
    let only_ik = SigningConfig { imagekit_key: Some("ik-key".into()), cloudinary_secret: None, required: true };
    let s = server(only_ik).await;
    let r = get(&s, "/image/upload/w_40/photos/coffee.png").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "unsigned Cloudinary URL served");
    // And the other way round: only the Cloudinary secret set, unsigned ImageKit URLs.
    let only_cl = SigningConfig { imagekit_key: None, cloudinary_secret: Some("cl-secret".into()), required: true };
    let s = server(only_cl).await;
    assert_eq!(get(&s, "/tr:w-40/photos/coffee.png").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(get(&s, "/photos/coffee.png").await.status(), StatusCode::UNAUTHORIZED);
}

/// Hole 3: `ik-s` signs the query and then the expiry digits with no separator, so digits can
/// move from the end of the query into `ik-t`: `?v=9999&ik-t=1000000000` (expired in 2001)
/// becomes `?v=&ik-t=99991000000000` with the same signature, and the link lives again.
#[tokio::test]
async fn attack_ik_t_revival_moves_digits_from_the_query() {
    let s = server(both_keys()).await;
    let path = "/tr:w-40/photos/coffee.png";
    let expired = "1000000000";
    let sig = imagekit_signature("ik-key", &format!("tr:w-40/photos/coffee.png?v=9999{expired}"));
    let honest = get(&s, &format!("{path}?v=9999&ik-t={expired}&ik-s={sig}")).await;
    assert_eq!(honest.status(), StatusCode::UNAUTHORIZED, "the expired link is refused");
    let revived = get(&s, &format!("{path}?v=&ik-t=9999{expired}&ik-s={sig}")).await;
    assert_eq!(revived.status(), StatusCode::UNAUTHORIZED, "an expired link was revived");
}

/// Hole 3, the other forms of a non-canonical `ik-t`: leading zeros (digits prepended to
/// keep the value while shifting the signed text), signs, and more than 11 digits.
#[tokio::test]
async fn attack_non_canonical_ik_t_is_refused() {
    let s = server(both_keys()).await;
    let path = "/tr:w-40/photos/coffee.png";
    for t in ["09999999999", "+9999999999", "99999999999999", "9999999999 ", "0x1", ""] {
        let sig = imagekit_signature("ik-key", &format!("tr:w-40/photos/coffee.png{t}"));
        let r = get(&s, &format!("{path}?ik-t={t}&ik-s={sig}")).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "ik-t={t:?} accepted");
    }
    // The canonical form still works.
    let t = "9999999999";
    let sig = imagekit_signature("ik-key", &format!("tr:w-40/photos/coffee.png{t}"));
    assert_eq!(get(&s, &format!("{path}?ik-t={t}&ik-s={sig}")).await.status(), StatusCode::OK);
}

/// Duplicated signature parameters: the verifier and the parser must not read different
/// copies. Two `ik-s` or two `ik-t` are refused.
#[tokio::test]
async fn attack_duplicate_signature_parameters() {
    let s = server(both_keys()).await;
    let sig = imagekit_signature("ik-key", "tr:w-40/photos/coffee.png9999999999");
    let r = get(&s, &format!("/tr:w-40/photos/coffee.png?ik-t=1&ik-t=9999999999&ik-s={sig}")).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = get(&s, &format!("/tr:w-40/photos/coffee.png?ik-s=00&ik-s={sig}")).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
