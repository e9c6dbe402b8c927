//! Who renders: the in-process engine (no `--daemon`, the same pipeline as `xformd render`)
//! or a [`Fleet`] of daemons over gRPC. Both answer every variant of a source, one result
//! at a time, into a channel.
//!
//! Owns: [`Engine`], [`Rendered`], [`Delivered`]. May import: `app`, `pipeline`, `job`,
//! `service` (client side: proto, convert), `error`; tokio.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::fleet::Fleet;
use crate::app::App;
use crate::error::Result;
use crate::job::{BackendPref, Hints, Job};
use crate::pipeline::each::each_variant;
use crate::pipeline::variants::VariantsInput;
use crate::service::convert::job_to_proto;
use crate::service::proto as pb;

/// One rendered variant.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Encoded bytes.
    pub data: Vec<u8>,
    /// MIME type (decides the file extension).
    pub mime: String,
    /// Output width.
    pub width: u32,
    /// Output height.
    pub height: u32,
    /// Backend that ran the pixel steps.
    pub backend: String,
}

/// A variant's index in its call and its result.
pub type Delivered = (usize, Result<Rendered>);

/// The renderer of a batch.
pub enum Engine {
    /// In process, through `pipeline::each`.
    Local {
        /// The engine (boxed: it is much larger than the fleet's handle).
        app: Box<App>,
        /// Decodes made (the one-decode saving, measured).
        decodes: AtomicU64,
    },
    /// Daemons over gRPC.
    Fleet(Arc<Fleet>),
}

impl Engine {
    /// Render `jobs` (all naming `source`, at most `pipeline::each::MAX_STREAM_VARIANTS`)
    /// and send every index's result into `tx`.
    pub async fn render(
        &self,
        source: &str,
        jobs: &[Job],
        backend: BackendPref,
        accept: &str,
        tx: mpsc::Sender<Delivered>,
    ) {
        match self {
            Engine::Local { app, decodes } => {
                let (inner_tx, mut inner_rx) = mpsc::channel(1);
                let input =
                    VariantsInput { jobs: jobs.to_vec(), backend, accept: accept.to_string(), hints: Hints::default() };
                let mut answered = vec![false; jobs.len()];
                let mut most = 0u32;
                let run = each_variant(app, input, inner_tx);
                let forward = async {
                    while let Some(item) = inner_rx.recv().await {
                        let Ok(item) = item else { continue };
                        most = most.max(item.decodes);
                        if let Some(a) = answered.get_mut(item.index) {
                            *a = true;
                        }
                        let result = item.result.map(|o| Rendered {
                            data: o.data,
                            mime: o.mime.to_string(),
                            width: o.width,
                            height: o.height,
                            backend: o.backend.as_str().to_string(),
                        });
                        if tx.send((item.index, result)).await.is_err() {
                            return;
                        }
                    }
                };
                let (outcome, ()) = tokio::join!(run, forward);
                decodes.fetch_add(u64::from(most), Ordering::Relaxed);
                if let Err(e) = outcome {
                    for (i, _) in answered.iter().enumerate().filter(|(_, a)| !**a) {
                        let _ = tx.send((i, Err(e.clone()))).await;
                    }
                }
            }
            Engine::Fleet(fleet) => {
                let wire: Vec<pb::Job> = jobs.iter().map(job_to_proto).collect();
                let backend = match backend {
                    BackendPref::Auto => pb::Backend::Auto,
                    BackendPref::Cpu => pb::Backend::Cpu,
                    BackendPref::Gpu => pb::Backend::Gpu,
                };
                fleet.render(source, &wire, backend as i32, accept, &tx).await;
            }
        }
    }

    /// Calls retried on another daemon.
    pub fn retries(&self) -> u64 {
        match self {
            Engine::Local { .. } => 0,
            Engine::Fleet(f) => f.retries(),
        }
    }

    /// Source decodes made so far.
    pub fn decodes(&self) -> u64 {
        match self {
            Engine::Local { decodes, .. } => decodes.load(Ordering::Relaxed),
            Engine::Fleet(f) => f.decodes(),
        }
    }
}
