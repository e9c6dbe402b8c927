//! Attacks through the web origin (issue #12, hole 9): source paths that turn into a query of
//! the origin request, and redirects that leave the origin's base path. Against a real web
//! server this test starts on 127.0.0.1.

use std::net::SocketAddr;

use axum::extract::RawQuery;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use xformd::config::OriginConfig;
use xformd::origin::http::{HttpOrigin, HttpSettings};
use xformd::origin::Origin;
use xformd::ErrorKind;

use crate::common::media_dir;

fn photo() -> Response {
    std::fs::read(media_dir().join("photos/coffee.png")).unwrap().into_response()
}

/// `/m/a.png` is public; with the query `secret=1` it answers what only the origin's own
/// callers may ask for. `/private/` lies outside the base path `/m`.
async fn web_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route(
            "/m/a.png",
            get(|RawQuery(q): RawQuery| async move {
                match q.as_deref() {
                    Some("secret=1") => photo(),
                    _ => StatusCode::NOT_FOUND.into_response(),
                }
            }),
        )
        .route("/private/secret.png", get(|| async { photo() }))
        .route(
            "/m/to-private",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/private/secret.png")]).into_response() }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn origin(addr: SocketAddr) -> HttpOrigin {
    let entry = OriginConfig {
        prefix: "/web".into(),
        kind: "http".into(),
        base_url: format!("http://{addr}/m"),
        allowed_hosts: vec!["127.0.0.1".into()],
        allow_private: true,
        timeout_ms: 1500,
        max_bytes: 1 << 20,
        ..OriginConfig::default()
    };
    HttpOrigin::new(HttpSettings::from_config(&entry, entry.max_bytes).unwrap()).unwrap()
}

/// A `%3F` in the request path reaches the origin as `?`: it must stay part of the path.
#[tokio::test]
async fn attack_encoded_question_mark_injects_an_origin_query() {
    let o = origin(web_server().await);
    let e = o.fetch("/a.png?secret=1").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = o.fetch("/a.png#secret=1").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

/// A redirect from inside the base path to elsewhere on the same host is not followed.
#[tokio::test]
async fn attack_redirect_leaves_the_origin_base_path() {
    let o = origin(web_server().await);
    let e = o.fetch("/to-private").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
    assert!(e.message().contains("base path"), "{e}");
}
