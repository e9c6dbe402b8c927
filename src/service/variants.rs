//! The `TransformVariants` RPC: proto jobs → `pipeline::variants` → proto outputs. No pixel
//! logic here.
//!
//! Owns: [`transform_variants`]. Jobs with an empty source take the request's shared source;
//! the pipeline refuses jobs naming different sources (`InvalidArgument` on `source`).
//!
//! May import: `pipeline`, `app`, `job`, `error`; tonic.

use tonic::{Response, Status};

use super::convert::{job_from_proto, status_from_error};
use super::proto as pb;
use super::transform::{backend_pref, response};
use crate::app::App;
use crate::error::Error;
use crate::job::Hints;
use crate::pipeline::variants::{variants, VariantsInput};

/// Serve one `TransformVariants` call on `app`.
pub async fn transform_variants(
    app: &App,
    req: pb::TransformVariantsRequest,
) -> Result<Response<pb::TransformVariantsResponse>, Status> {
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
    let input = VariantsInput { jobs, backend, accept: req.accept, hints };
    let outs = variants(app, input).await.map_err(|e| status_from_error(&e))?;
    tracing::info!(variants = outs.len(), "transformed variants");
    Ok(Response::new(pb::TransformVariantsResponse { outputs: outs.into_iter().map(response).collect() }))
}
