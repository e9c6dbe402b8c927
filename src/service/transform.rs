//! The `Transformer` RPCs: proto → job → pipeline → proto. No pixel logic here.
//!
//! Owns: [`TransformerService`].

use std::pin::Pin;

use tokio_stream::Stream;
use tonic::{Request, Response, Status};
use tracing::instrument;

use super::convert::{job_from_proto, status_from_error};
use super::proto as pb;
use crate::app::App;
use crate::error::Error;
use crate::job::BackendPref;
use crate::job::Hints;
use crate::media::probe::probe;
use crate::pipeline::{transform, TransformInput, TransformOutput};

/// The service implementation, holding the shared app state.
pub struct TransformerService {
    app: App,
}

impl TransformerService {
    /// Serve `app`.
    pub fn new(app: App) -> Self {
        TransformerService { app }
    }
}

/// The wire backend `b`, with `Auto` replaced by the configured default (`backend.default`).
pub(super) fn backend_pref(app: &App, b: i32) -> Result<BackendPref, Status> {
    let asked = match pb::Backend::try_from(b) {
        Ok(pb::Backend::Auto) => BackendPref::Auto,
        Ok(pb::Backend::Cpu) => BackendPref::Cpu,
        Ok(pb::Backend::Gpu) => BackendPref::Gpu,
        Err(_) => return Err(status_from_error(&Error::invalid("backend", b.to_string(), "unknown backend"))),
    };
    if asked != BackendPref::Auto {
        return Ok(asked);
    }
    Ok(match app.config.backend.default.as_str() {
        "cpu" => BackendPref::Cpu,
        "gpu" => BackendPref::Gpu,
        _ => BackendPref::Auto,
    })
}

/// One pipeline output as the wire `TransformResponse` (shared by `Transform` and
/// `TransformVariants`).
pub(super) fn response(out: TransformOutput) -> pb::TransformResponse {
    pb::TransformResponse {
        data: out.data,
        content_type: out.mime.to_string(),
        width: out.width,
        height: out.height,
        backend: out.backend.as_str().to_string(),
        fallback_reason: out.fallback_reason.unwrap_or_default(),
        timings: Some(pb::StageTimings {
            fetch_ms: out.timings.fetch_ms,
            decode_ms: out.timings.decode_ms,
            process_ms: out.timings.process_ms,
            encode_ms: out.timings.encode_ms,
        }),
        format_negotiated: out.negotiated,
        canonical: String::new(),
    }
}

#[tonic::async_trait]
impl pb::transformer_server::Transformer for TransformerService {
    #[instrument(skip(self, request), fields(source))]
    async fn transform(
        &self,
        request: Request<pb::TransformRequest>,
    ) -> Result<Response<pb::TransformResponse>, Status> {
        let req = request.into_inner();
        let wire = req.job.ok_or_else(|| status_from_error(&Error::invalid("job", "", "missing")))?;
        let job = job_from_proto(&wire).map_err(|e| status_from_error(&e))?;
        tracing::Span::current().record("source", job.source.as_str());
        let backend = backend_pref(&self.app, req.backend)?;
        // Unused hints are dropped and used ones laddered here, at the boundary, so that no
        // client can mint cache entries with random header values.
        let hints = Hints { width: req.hint_width, dpr: req.hint_dpr }.for_jobs([&job], self.app.limits.max_output_dim);
        let input = TransformInput { job, backend, accept: req.accept, hints };
        let out = match transform(&self.app, input).await {
            Ok(out) => out,
            Err(e) => {
                if let Some(m) = &self.app.rpc_metrics {
                    m.request(e.kind().http_status(), "grpc", "none");
                }
                return Err(status_from_error(&e));
            }
        };
        if let Some(m) = &self.app.rpc_metrics {
            // Daemon-only mode: nobody else sees these timings (see `App::with_rpc_metrics`).
            m.request(200, "grpc", out.backend.as_str());
            let t = &out.timings;
            for (stage, ms) in
                [("fetch", t.fetch_ms), ("decode", t.decode_ms), ("process", t.process_ms), ("encode", t.encode_ms)]
            {
                m.stage_ms(stage, ms);
            }
            if let Some(reason) = &out.fallback_reason {
                m.fallback(reason);
            }
        }
        tracing::info!(backend = out.backend.as_str(), width = out.width, height = out.height, "transformed");
        Ok(Response::new(response(out)))
    }

    #[instrument(skip(self, request))]
    async fn probe(&self, request: Request<pb::ProbeRequest>) -> Result<Response<pb::ProbeResponse>, Status> {
        let req = request.into_inner();
        let fetched = self.app.origin.fetch(&req.source).await.map_err(|e| status_from_error(&e))?;
        let info = probe(&fetched.bytes, &self.app.limits).map_err(|e| status_from_error(&e))?;
        let (width, height) = info.oriented_size();
        Ok(Response::new(pb::ProbeResponse {
            width,
            height,
            format: info.format.as_str().to_string(),
            frames: 1,
            has_alpha: false,
            bytes: fetched.bytes.len() as u64,
            duration: 0.0,
        }))
    }

    async fn translate(
        &self,
        request: Request<pb::TranslateRequest>,
    ) -> Result<Response<pb::TranslateResponse>, Status> {
        Ok(Response::new(super::translate::translate_rpc(request.get_ref())))
    }

    async fn transform_variants(
        &self,
        request: Request<pb::TransformVariantsRequest>,
    ) -> Result<Response<pb::TransformVariantsResponse>, Status> {
        super::variants::transform_variants(&self.app, request.into_inner()).await
    }

    type RenderVariantsStream = super::variants::VariantStream;

    async fn render_variants(
        &self,
        request: Request<pb::TransformVariantsRequest>,
    ) -> Result<Response<Self::RenderVariantsStream>, Status> {
        super::variants::render_variants(&self.app, request.into_inner()).await
    }

    type CutVideoStream = Pin<Box<dyn Stream<Item = Result<pb::VideoChunk, Status>> + Send>>;

    #[instrument(skip(self, request), fields(source))]
    async fn cut_video(
        &self,
        request: Request<pb::TransformRequest>,
    ) -> Result<Response<Self::CutVideoStream>, Status> {
        cut_video_rpc(&self.app, request.into_inner()).await
    }
}

/// `CutVideo`, served by `service::video` when FFmpeg is built in.
#[cfg(feature = "video")]
async fn cut_video_rpc(
    app: &App,
    req: pb::TransformRequest,
) -> Result<Response<Pin<Box<dyn Stream<Item = Result<pb::VideoChunk, Status>> + Send>>>, Status> {
    super::video::cut_video(app, req).await
}

/// `CutVideo` without FFmpeg: unsupported.
#[cfg(not(feature = "video"))]
async fn cut_video_rpc(
    _app: &App,
    _req: pb::TransformRequest,
) -> Result<Response<Pin<Box<dyn Stream<Item = Result<pb::VideoChunk, Status>> + Send>>>, Status> {
    Err(status_from_error(&Error::new(
        crate::error::ErrorKind::Unsupported,
        "this daemon was built without video support",
    )))
}
