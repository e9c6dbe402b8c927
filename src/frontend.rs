//! The thin HTTP front end: URL → job → gRPC call → HTTP response.
//!
//! Owns: [`router`], [`FrontState`], [`serve`]. It owns the HTTP concerns — status codes,
//! `Cache-Control`, `ETag` / `If-None-Match`, `Vary: Accept` after `f-auto`, JSON errors —
//! and never touches pixels: everything pixel-related happens in a daemon reached over gRPC,
//! in-process or across a Kubernetes Service.
//!
//! May import: `url`, `job`, `error`, the generated gRPC client (through `service::convert`);
//! axum, tonic (client). Never `exec`, `media`, `pipeline`.

use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tonic::transport::{Channel, Endpoint};

use crate::error::{Error, ErrorKind, Result};
use crate::service::convert::{error_from_status, job_to_proto};
use crate::service::proto as pb;
use crate::service::proto::transformer_client::TransformerClient;
use crate::url::{self, UrlOptions};

/// Front-end state: the daemon client and URL settings.
#[derive(Clone)]
pub struct FrontState {
    client: TransformerClient<Channel>,
    url: Arc<UrlOptions>,
    cache_control: HeaderValue,
    debug_headers: bool,
}

impl FrontState {
    /// A front end calling the daemon at `daemon_url` (connects lazily, reconnects on
    /// failure, so front ends may start before their daemons).
    pub fn new(daemon_url: &str, url: UrlOptions, cache_control: &str, debug_headers: bool) -> Result<Self> {
        let endpoint = Endpoint::from_shared(daemon_url.to_string())
            .map_err(|e| Error::invalid("daemon", daemon_url, e))?
            .tcp_nodelay(true);
        let client = TransformerClient::new(endpoint.connect_lazy()).max_decoding_message_size(512 << 20);
        let cache_control =
            HeaderValue::from_str(cache_control).map_err(|e| Error::invalid("cache_control", cache_control, e))?;
        Ok(FrontState { client, url: Arc::new(url), cache_control, debug_headers })
    }
}

/// The router: health endpoints, everything else is a media URL.
pub fn router(state: FrontState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ready" }))
        .fallback(media)
        .with_state(state)
}

/// Serve the front end on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    state: FrontState,
) -> Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Error::internal(format!("HTTP server: {e}")))
}

/// JSON error body with the status from the error table.
fn error_response(e: &Error) -> Response {
    let status = StatusCode::from_u16(e.kind().http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::json!({
        "code": e.kind().code(),
        "message": e.message(),
        "key": e.key(),
        "value": e.value(),
    });
    let mut resp = (status, axum::Json(body)).into_response();
    if e.kind() == ErrorKind::Busy {
        resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    resp
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn etag_of(data: &[u8]) -> String {
    // SipHash over the bytes: a strong validator for identical representations.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    data.hash(&mut h);
    format!("\"{:016x}{:08x}\"", h.finish(), data.len())
}

async fn media(State(state): State<FrontState>, req: Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET, HEAD")]).into_response();
    }
    let head = req.method() == Method::HEAD;
    let headers = req.headers().clone();
    let uri = req.uri().clone();
    match render(&state, uri.path(), uri.query(), &headers).await {
        Ok(resp) => finish(&state, resp, &headers, head),
        Err(e) => error_response(&e),
    }
}

struct Rendered {
    out: pb::TransformResponse,
    debug: Option<(String, String)>,
}

async fn render(state: &FrontState, path: &str, query: Option<&str>, headers: &HeaderMap) -> Result<Rendered> {
    let parsed = url::to_job(path, query, &state.url)?;
    let debug = parsed.rewrite.as_ref().map(|t| {
        let dropped: Vec<String> =
            t.dropped.iter().map(|d| format!("{}_{}:{}", d.key, d.value, d.reason.as_str())).collect();
        (t.tr.clone(), dropped.join(" "))
    });
    let backend = match header_str(headers, "x-xformd-backend") {
        Some("cpu") => pb::Backend::Cpu,
        Some("gpu") => pb::Backend::Gpu,
        _ => pb::Backend::Auto,
    };
    let request = pb::TransformRequest {
        job: Some(job_to_proto(&parsed.job)),
        backend: backend as i32,
        accept: header_str(headers, "accept").unwrap_or("").to_string(),
        hint_width: header_str(headers, "sec-ch-width").and_then(|v| v.parse().ok()),
        hint_dpr: header_str(headers, "sec-ch-dpr").and_then(|v| v.parse().ok()),
    };
    let mut client = state.client.clone();
    let out = client.transform(request).await.map_err(|s| error_from_status(&s))?.into_inner();
    Ok(Rendered { out, debug })
}

fn finish(state: &FrontState, r: Rendered, headers: &HeaderMap, head: bool) -> Response {
    let out = r.out;
    let etag = etag_of(&out.data);
    let mut builder = Response::builder()
        .header(header::CACHE_CONTROL, state.cache_control.clone())
        .header(header::ETAG, &etag)
        .header("x-xformd-backend", &out.backend);
    if !out.fallback_reason.is_empty() {
        builder = builder.header("x-xformd-fallback", &out.fallback_reason);
    }
    if out.format_negotiated {
        builder = builder.header(header::VARY, "Accept");
    }
    if let Some((tr, dropped)) = r.debug.filter(|_| state.debug_headers) {
        builder = builder.header("x-xformd-tr", tr).header("x-xformd-dropped", dropped);
    }
    let not_modified =
        header_str(headers, "if-none-match").is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let resp = if not_modified {
        builder.status(StatusCode::NOT_MODIFIED).body(Body::empty())
    } else {
        let len = out.data.len();
        builder
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, &out.content_type)
            .header(header::CONTENT_LENGTH, len)
            .body(if head { Body::empty() } else { Body::from(out.data) })
    };
    resp.unwrap_or_else(|e| error_response(&Error::internal(format!("response: {e}"))))
}
