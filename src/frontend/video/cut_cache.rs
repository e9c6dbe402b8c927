//! The cut cache: finished video cuts kept in memory so that the byte ranges of one video
//! come from one cut (see the parent's "The cut cache"), and the stream adapter that fills it
//! while a full `GET` streams.
//!
//! Owns: [`CutCache`], [`RANGE_BUFFER_LIMIT`], [`CUT_CACHE_BYTES`], [`CUT_CACHE_TTL`], and the
//! parent's `CachedCut` and `Tee`. May import what the parent may.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tokio_stream::Stream;

use crate::service::proto as pb;

/// Largest cut buffered to answer a `Range` request, and kept in the [`CutCache`] (64 MiB).
pub const RANGE_BUFFER_LIMIT: u64 = 64 << 20;

/// Bytes of finished cuts the front end keeps (256 MiB).
pub const CUT_CACHE_BYTES: u64 = 256 << 20;

/// How long a finished cut is reused (10 minutes).
pub const CUT_CACHE_TTL: Duration = Duration::from_secs(600);

/// One finished cut in memory.
#[derive(Clone)]
pub(super) struct CachedCut {
    pub(super) key: String,
    pub(super) data: Bytes,
    pub(super) content_type: String,
    pub(super) negotiated: bool,
    /// The client hints the job read (named in `Vary`).
    pub(super) uses: crate::job::JobHints,
    pub(super) at: Instant,
}

/// Finished cuts by request (see the module docs).
#[derive(Default)]
pub struct CutCache {
    entries: Mutex<VecDeque<CachedCut>>,
}

impl CutCache {
    pub(super) fn get(&self, key: &str) -> Option<CachedCut> {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.retain(|e| e.at.elapsed() < CUT_CACHE_TTL);
        entries.iter().find(|e| e.key == key).cloned()
    }

    pub(super) fn put(&self, entry: CachedCut) {
        if entry.data.len() as u64 > RANGE_BUFFER_LIMIT {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.retain(|e| e.key != entry.key && e.at.elapsed() < CUT_CACHE_TTL);
        entries.push_back(entry);
        let mut total: u64 = entries.iter().map(|e| e.data.len() as u64).sum();
        while total > CUT_CACHE_BYTES {
            match entries.pop_front() {
                Some(old) => total -= old.data.len() as u64,
                None => break,
            }
        }
    }
}

/// Passes the daemon's chunks through and, when the stream ends cleanly, stores the whole
/// cut in the cache.
pub(super) struct Tee {
    pub(super) inner: tonic::Streaming<pb::VideoChunk>,
    pub(super) parts: Vec<Bytes>,
    pub(super) size: usize,
    pub(super) entry: Option<(Arc<CutCache>, CachedCut)>,
}

impl Stream for Tee {
    type Item = std::result::Result<Bytes, tonic::Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let bytes = Bytes::from(chunk.data);
                this.size += bytes.len();
                if this.entry.is_some() && this.size as u64 <= RANGE_BUFFER_LIMIT {
                    this.parts.push(bytes.clone());
                } else {
                    this.entry = None;
                }
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.entry = None;
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                if let Some((cache, mut entry)) = this.entry.take() {
                    let mut data = Vec::new();
                    if data.try_reserve(this.size).is_ok() {
                        for p in this.parts.drain(..) {
                            data.extend_from_slice(&p);
                        }
                        entry.data = Bytes::from(data);
                        cache.put(entry);
                    }
                }
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
