//! The thin HTTP front end: URL → job → gRPC call → HTTP response.
//!
//! Owns: [`router`], [`serve`]; re-exports [`FrontState`] (in `state`). It owns the HTTP
//! concerns — status codes, `Cache-Control`, `ETag` / `If-None-Match`, `Vary: Accept` after `f-auto`, JSON errors —
//! and never touches pixels: everything pixel-related happens in a daemon reached over gRPC,
//! in-process or across a Kubernetes Service.
//!
//! May import: `url`, `job`, `error`, the generated gRPC client (through `service::convert`);
//! axum, tonic (client), tonic-health (client, for `/readyz`). Never `exec`, `media`, `pipeline`.

use std::future::Future;
use std::hash::{Hash, Hasher};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tonic_health::pb::HealthCheckRequest;

// Client hints and the `Vary` they imply.
pub mod daemons;
pub mod hints;
// The connection loop: header-read and write-stall timeouts, connection cap.
pub mod listener;
pub mod signature;
mod state;
pub mod video;

pub use self::state::FrontState;

use crate::error::{Error, ErrorKind, Result};
use crate::service::convert::{error_from_status, header_safe, job_to_proto};
use crate::service::proto as pb;
use crate::url;

/// The router: health endpoints, everything else is a media URL. `/healthz` says the front
/// end is alive; `/readyz` asks the daemon's gRPC health (origins, GPU when GPU-only; see
/// `service::health`) and answers 503 when it is not serving or does not answer.
pub fn router(state: FrontState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(media)
        .with_state(state)
}

/// Serve the front end on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    state: FrontState,
) -> Result<()> {
    // TCP_NODELAY (set per connection in `listener`) for the same reason as the gRPC server:
    // small final writes must not wait for the client's delayed ACK.
    let limits = state.connections;
    listener::serve_connections(listener, router(state), limits, shutdown)
        .await
        .map_err(|e| Error::internal(format!("HTTP server: {e}")))
}

/// JSON error body with the status from the error table.
/// Client errors (4xx) say what was wrong, naming the key and value. Server faults (5xx) carry
/// details a client must not see (temporary file names, folders, library messages), so their
/// body is a fixed sentence per kind; the details go to the log under the request id, which
/// the client gets in `X-Request-Id`.
fn error_response(e: &Error) -> Response {
    let kind = e.kind();
    let status = StatusCode::from_u16(kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = if kind.is_client_error() {
        serde_json::json!({ "code": kind.code(), "message": e.message(), "key": e.key(), "value": e.value() })
    } else {
        tracing::error!(code = kind.code(), error = %e, "request failed");
        let message = match kind {
            ErrorKind::Unavailable => "a backend of this service is unavailable; try again",
            ErrorKind::Timeout => "the request took too long",
            _ => "the server failed to answer this request",
        };
        serde_json::json!({ "code": kind.code(), "message": message, "key": null, "value": null })
    };
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

async fn metrics(State(state): State<FrontState>) -> Response {
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], state.metrics.encode()).into_response()
}

/// How long `/readyz` waits for the daemon's health answer (kept under typical probe
/// timeouts of Kubernetes, 1 s by default … a few seconds).
const READY_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(900);

/// 200 `ready` when the daemon reports `xformd.v1.Transformer` SERVING, else 503 and why.
async fn readyz(State(state): State<FrontState>) -> Response {
    let mut client = state.health.clone();
    let request = HealthCheckRequest { service: pb::transformer_server::SERVICE_NAME.to_string() };
    let not_ready = |why: String| (StatusCode::SERVICE_UNAVAILABLE, why).into_response();
    match tokio::time::timeout(READY_CHECK_TIMEOUT, client.check(request)).await {
        Ok(Ok(r)) if r.get_ref().status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32 => {
            "ready".into_response()
        }
        Ok(Ok(_)) => not_ready("daemon not serving".into()),
        // The transport error names internal addresses: logged, not shown (the probe only
        // needs the status).
        Ok(Err(s)) => {
            tracing::warn!(error = %s.message(), "daemon health check failed");
            not_ready("daemon health check failed".into())
        }
        Err(_) => not_ready("daemon health check timed out".into()),
    }
}

/// The request id: the client's `X-Request-Id` when it is short and printable, else a new
/// one (time + counter: unique per process, no randomness needed).
fn request_id(headers: &HeaderMap) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    match header_str(headers, "x-request-id") {
        Some(id) if !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()) => id.to_string(),
        _ => {
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
            format!("{t:x}-{n:x}")
        }
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[tracing::instrument(skip_all, fields(request_id, path = %req.uri().path()))]
async fn media(State(state): State<FrontState>, req: Request) -> Response {
    let id = request_id(req.headers());
    tracing::Span::current().record("request_id", id.as_str());
    let (mut resp, dialect, backend) = media_inner(&state, req).await;
    state.metrics.request(resp.status().as_u16(), dialect, backend.as_deref().unwrap_or("none"));
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

async fn media_inner(state: &FrontState, req: Request) -> (Response, &'static str, Option<String>) {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return ((StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET, HEAD")]).into_response(), "none", None);
    }
    let head = req.method() == Method::HEAD;
    let headers = req.headers().clone();
    let uri = req.uri().clone();
    let url_len = uri.path().len() + uri.query().map_or(0, str::len);
    let header_len: usize = headers.iter().map(|(k, v)| k.as_str().len() + v.len()).sum();
    for (key, len, limit, status) in [
        ("url", url_len, state.max_url_bytes, StatusCode::URI_TOO_LONG),
        ("headers", header_len, state.max_header_bytes, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE),
    ] {
        if len > limit {
            let e = Error::invalid(key, format!("{len} bytes"), format_args!("more than {limit} bytes"));
            let mut resp = error_response(&e);
            *resp.status_mut() = status;
            return (resp, "none", None);
        }
    }
    let (dialect, _) = url::detect(uri.path(), &state.url);
    let cloudinary = dialect == url::Dialect::Cloudinary;
    if let Err(e) = signature::verify(&state.signing, uri.path(), uri.query(), cloudinary, now_secs()) {
        return (error_response(&e), dialect.as_str(), None);
    }
    // Video cuts stream from `CutVideo`; thumbnails and images continue below.
    if let Some(resp) = video::serve_cut(state, uri.path(), uri.query(), &headers, head).await {
        return (resp, dialect.as_str(), Some("ffmpeg".to_string()));
    }
    let debug = state.debug_headers || uri.query().is_some_and(|q| q.split('&').any(|p| p == "debug"));
    match render(state, uri.path(), uri.query(), &headers).await {
        Ok(resp) => {
            let backend = resp.out.backend.clone();
            let t = resp.out.timings.unwrap_or_default();
            for (stage, ms) in
                [("fetch", t.fetch_ms), ("decode", t.decode_ms), ("process", t.process_ms), ("encode", t.encode_ms)]
            {
                state.metrics.stage_ms(stage, ms);
            }
            if !resp.out.fallback_reason.is_empty() {
                state.metrics.fallback(&resp.out.fallback_reason);
            }
            state.metrics.bytes_out.inc_by(resp.out.data.len() as u64);
            (finish(state, resp, &headers, head, debug), dialect.as_str(), Some(backend))
        }
        Err(e) => (error_response(&e), dialect.as_str(), None),
    }
}

struct Rendered {
    out: pb::TransformResponse,
    debug: Option<(String, String)>,
    /// The client hints the job read (named in `Vary`).
    uses: crate::job::JobHints,
}

async fn render(state: &FrontState, path: &str, query: Option<&str>, headers: &HeaderMap) -> Result<Rendered> {
    let mut parsed = url::to_job(path, query, &state.url)?;
    video::mark_cloudinary_thumbnail(path, &state.url, &mut parsed.job);
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
    let client_hints = hints::read(headers, &parsed.job);
    let request = pb::TransformRequest {
        job: Some(job_to_proto(&parsed.job)),
        backend: backend as i32,
        accept: header_str(headers, "accept").unwrap_or("").to_string(),
        hint_width: client_hints.hints.width,
        hint_dpr: client_hints.hints.dpr,
    };
    let mut client = state.client.clone();
    let call = client.transform(request);
    let out = tokio::time::timeout(state.request_timeout, call)
        .await
        .map_err(|_| Error::new(ErrorKind::Timeout, "the daemon did not answer in time"))?
        .map_err(|s| error_from_status(&s))?
        .into_inner();
    Ok(Rendered { out, debug, uses: client_hints.uses })
}

fn finish(state: &FrontState, r: Rendered, headers: &HeaderMap, head: bool, debug: bool) -> Response {
    let out = r.out;
    let etag = etag_of(&out.data);
    let mut builder = Response::builder()
        .header(header::CACHE_CONTROL, state.cache_control.clone())
        .header(header::ETAG, &etag)
        .header("x-xformd-backend", &out.backend);
    if !out.fallback_reason.is_empty() {
        builder = builder.header("x-xformd-fallback", &out.fallback_reason);
    }
    if let Some(vary) = hints::vary(out.format_negotiated, r.uses) {
        builder = builder.header(header::VARY, vary);
    }
    if let Some((tr, dropped)) = r.debug.filter(|_| debug) {
        builder = builder.header("x-xformd-tr", header_safe(&tr)).header("x-xformd-dropped", header_safe(&dropped));
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
