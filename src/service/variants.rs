//! The `TransformVariants` RPC (proto jobs → `pipeline::variants` → proto outputs) and the
//! streaming `RenderVariants` (→ `pipeline::each`, one message per variant). No pixel logic
//! here.
//!
//! Owns: [`transform_variants`], [`render_variants`], [`VariantStream`]. Jobs with an empty
//! source take the request's shared source; the pipeline refuses jobs naming different
//! sources (`InvalidArgument` on `source`).
//!
//! May import: `pipeline`, `app`, `job`, `error`; tonic.

use std::pin::Pin;

use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Response, Status};

use super::convert::{job_from_proto, status_from_error};
use super::proto as pb;
use super::transform::{backend_pref, response};
use crate::app::App;
use crate::error::Error;
use crate::job::Hints;
use crate::pipeline::each::{each_variant, VariantItem};
use crate::pipeline::variants::{variants, VariantsInput};

/// Serve one `TransformVariants` call on `app`.
pub async fn transform_variants(
    app: &App,
    req: pb::TransformVariantsRequest,
) -> Result<Response<pb::TransformVariantsResponse>, Status> {
    let input = variants_input(app, req)?;
    let outs = variants(app, input).await.map_err(|e| status_from_error(&e))?;
    tracing::info!(variants = outs.len(), "transformed variants");
    Ok(Response::new(pb::TransformVariantsResponse { outputs: outs.into_iter().map(response).collect() }))
}

/// The stream of `RenderVariants` results.
pub type VariantStream = Pin<Box<dyn Stream<Item = Result<pb::VariantResult, Status>> + Send>>;

/// Serve one `RenderVariants` call: the variants render on a task of their own and each
/// result goes out as it is ready. The channel holds one result, so a client that reads
/// slowly holds back the rendering rather than piling outputs up in the daemon; a client
/// that goes away drops the stream, and the render stops at its next send.
pub async fn render_variants(app: &App, req: pb::TransformVariantsRequest) -> Result<Response<VariantStream>, Status> {
    let input = variants_input(app, req)?;
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    // Daemon-only mode counts each variant as a request, as `Transform` does.
    let metrics = app.rpc_metrics.clone();
    let app = app.clone();
    tokio::spawn(async move {
        let n = input.jobs.len();
        if let Err(e) = each_variant(&app, input, tx.clone()).await {
            let _ = tx.send(Err(e)).await;
        } else {
            tracing::info!(variants = n, "rendered variants");
        }
    });
    let stream = ReceiverStream::new(rx).map(move |item| {
        if let Some(m) = &metrics {
            match &item {
                Ok(VariantItem { result: Ok(out), .. }) => m.request(200, "grpc", out.backend.as_str()),
                Ok(VariantItem { result: Err(e), .. }) | Err(e) => m.request(e.kind().http_status(), "grpc", "none"),
            }
        }
        match item {
            Ok(item) => Ok(variant_result(item)),
            Err(e) => Err(status_from_error(&e)),
        }
    });
    Ok(Response::new(Box::pin(stream)))
}

/// One pipeline result as the wire message.
fn variant_result(item: VariantItem) -> pb::VariantResult {
    let result = match item.result {
        Ok(out) => pb::variant_result::Result::Output(response(out)),
        Err(e) => pb::variant_result::Result::Error(pb::VariantError {
            code: e.kind().code().to_string(),
            message: e.message().to_string(),
            key: e.key().unwrap_or_default().to_string(),
            value: e.value().unwrap_or_default().to_string(),
        }),
    };
    pb::VariantResult {
        index: u32::try_from(item.index).unwrap_or(u32::MAX),
        result: Some(result),
        decodes: item.decodes,
    }
}

/// The request's jobs (empty sources take the shared one), backend and hints.
fn variants_input(app: &App, req: pb::TransformVariantsRequest) -> Result<VariantsInput, Status> {
    if req.jobs.is_empty() {
        return Err(status_from_error(&Error::invalid("jobs", "", "at least one variant is required")));
    }
    let mut jobs = Vec::with_capacity(req.jobs.len().min(crate::exec::variants::MAX_VARIANTS + 1));
    for mut wire in req.jobs {
        if wire.source.is_empty() {
            wire.source.clone_from(&req.source);
        }
        jobs.push(job_from_proto(&wire).map_err(|e| status_from_error(&e))?);
    }
    let backend = backend_pref(app, req.backend)?;
    // Normalised as in `transform`: a hint survives only when some variant reads it.
    let hints = Hints { width: req.hint_width, dpr: req.hint_dpr }.for_jobs(&jobs, app.limits.max_output_dim);
    Ok(VariantsInput { jobs, backend, accept: req.accept, hints })
}
