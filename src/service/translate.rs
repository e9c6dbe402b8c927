//! The `Translate` RPC: the Cloudinary rewriter offered over gRPC, for migration tooling
//! that already speaks to daemons. A pure string function; no job is built.
//!
//! Owns: [`translate_rpc`].

use super::proto as pb;
use crate::url::cloudinary::{translate, Options};

/// Rewrite `req.path`.
pub fn translate_rpc(req: &pb::TranslateRequest) -> pb::TranslateResponse {
    let t = translate(&req.path, &Options { keep_types: req.keep_types });
    pb::TranslateResponse {
        tr: t.tr,
        path: t.path,
        dropped: t
            .dropped
            .into_iter()
            .map(|d| pb::Dropped { key: d.key, value: d.value, reason: d.reason.as_str().to_string() })
            .collect(),
        rewritable: t.rewritable,
    }
}
