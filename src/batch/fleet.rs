//! Rendering over a fleet of daemons: discovered endpoints, power-of-two-choices balancing
//! on outstanding calls, retries on another daemon.
//!
//! Owns: [`Fleet`]. Why client-side: HTTP/2 multiplexes every call over one connection, so a
//! plain Service (one virtual IP) pins a batch client to one pod; with one channel per
//! daemon address the client spreads the load itself. Why p2c on outstanding calls rather
//! than round robin: sources differ in cost by orders of magnitude (a 24 MP JPEG vs a
//! thumbnail), so the daemon with fewer calls in flight is the better guess, and two random
//! picks (Mitzenmacher, "The power of two choices") get nearly all of the benefit of
//! asking every daemon without herding every client onto the same least-loaded one.
//!
//! A call that fails in a retryable way ([`retry`]) is sent again, with only the variants
//! that have not yet come back, to another daemon after a jittered backoff; the daemon that
//! failed is avoided for a while (longer after each consecutive failure). A daemon killed
//! mid-run therefore costs time, not outputs.
//!
//! May import: `service::proto`, `service::auth` (the token-sending client), `service::convert`
//! (status → error), `error`; tonic (client), tokio.

pub mod discover;
pub mod retry;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use self::discover::{resolve_all, Target};
use self::retry::{retryable, retryable_kind, RetryPolicy};
use crate::batch::engine::{Delivered, Rendered};
use crate::error::{Error, ErrorKind, Result};
use crate::service::auth::{daemon_client, AttachToken, DaemonClient};
use crate::service::convert::error_from_status;
use crate::service::proto as pb;

/// One daemon address and the client state the balancer reads.
struct Endpoint {
    addr: SocketAddr,
    client: DaemonClient,
    /// Calls in flight (the p2c load measure).
    outstanding: AtomicUsize,
    /// Milliseconds since the fleet started before which this endpoint is avoided.
    down_until: AtomicU64,
    /// Consecutive failures (how long the next avoidance lasts).
    failures: AtomicU32,
}

/// Decrements the outstanding count when a call ends, however it ends.
struct InFlight<'a>(&'a Endpoint);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.outstanding.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The daemons a batch renders on.
pub struct Fleet {
    targets: Vec<Target>,
    token: AttachToken,
    // std RwLock: read on every pick, written every few seconds by the refresher; never
    // held across an await.
    endpoints: RwLock<Vec<Arc<Endpoint>>>,
    started: Instant,
    policy: RetryPolicy,
    timeout: Duration,
    retries: AtomicU64,
    decodes: AtomicU64,
}

impl Fleet {
    /// Resolve `urls` and open a (lazy) channel to every address; calls send `token`.
    pub async fn connect(urls: &[String], token: &str, timeout: Duration) -> Result<Arc<Fleet>> {
        let targets = urls.iter().map(|u| Target::parse(u)).collect::<Result<Vec<_>>>()?;
        let fleet = Fleet {
            targets,
            token: AttachToken::new(token)?,
            endpoints: RwLock::new(Vec::new()),
            started: Instant::now(),
            policy: RetryPolicy::default(),
            timeout,
            retries: AtomicU64::new(0),
            decodes: AtomicU64::new(0),
        };
        let addrs = resolve_all(&fleet.targets).await?;
        fleet.update(&addrs)?;
        Ok(Arc::new(fleet))
    }

    /// Re-resolve every `every` until the fleet is dropped by everyone else.
    pub fn spawn_refresh(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(fleet) = weak.upgrade() else { return };
                match resolve_all(&fleet.targets).await {
                    Ok(addrs) => {
                        if let Err(e) = fleet.update(&addrs) {
                            tracing::warn!(error = %e, "daemon list not updated");
                        }
                    }
                    // Keep the last known set: a resolver hiccup must not empty the fleet.
                    Err(e) => tracing::warn!(error = %e, "re-resolving daemons failed; keeping the last set"),
                }
            }
        })
    }

    /// Replace the endpoint set by `addrs`, keeping the state of addresses still present.
    fn update(&self, addrs: &[SocketAddr]) -> Result<()> {
        let old: Vec<Arc<Endpoint>> = self.endpoints.read().map_err(|_| poisoned())?.clone();
        let mut next = Vec::with_capacity(addrs.len());
        for addr in addrs {
            if let Some(e) = old.iter().find(|e| e.addr == *addr) {
                next.push(Arc::clone(e));
                continue;
            }
            let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
                .map_err(|e| Error::invalid("daemon", addr.to_string(), e))?
                .connect_timeout(Duration::from_secs(3))
                .tcp_nodelay(true)
                .http2_keep_alive_interval(Duration::from_secs(20))
                .keep_alive_timeout(Duration::from_secs(20))
                .connect_lazy();
            next.push(Arc::new(Endpoint {
                addr: *addr,
                client: daemon_client(channel, self.token.clone()),
                outstanding: AtomicUsize::new(0),
                down_until: AtomicU64::new(0),
                failures: AtomicU32::new(0),
            }));
        }
        if next.len() != old.len() || next.iter().zip(&old).any(|(a, b)| a.addr != b.addr) {
            tracing::info!(daemons = next.len(), "daemon endpoints");
        }
        *self.endpoints.write().map_err(|_| poisoned())? = next;
        Ok(())
    }

    /// Daemon addresses known now.
    pub fn addresses(&self) -> Vec<SocketAddr> {
        self.endpoints.read().map(|e| e.iter().map(|e| e.addr).collect()).unwrap_or_default()
    }

    /// Calls sent again after a retryable failure.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Source decodes the daemons reported.
    pub fn decodes(&self) -> u64 {
        self.decodes.load(Ordering::Relaxed)
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Power of two choices among the endpoints that are up and not in `avoid` (else among
    /// those not in `avoid`, else among all): the one of two random picks with fewer calls
    /// in flight.
    fn pick(&self, avoid: &HashSet<SocketAddr>) -> Option<Arc<Endpoint>> {
        let all = self.endpoints.read().ok()?.clone();
        let now = self.now_ms();
        let fresh: Vec<&Arc<Endpoint>> = all.iter().filter(|e| !avoid.contains(&e.addr)).collect();
        let up: Vec<&Arc<Endpoint>> =
            fresh.iter().copied().filter(|e| e.down_until.load(Ordering::Relaxed) <= now).collect();
        let pool: Vec<&Arc<Endpoint>> = if !up.is_empty() {
            up
        } else if !fresh.is_empty() {
            fresh
        } else {
            all.iter().collect()
        };
        match pool.len() {
            0 => None,
            1 => Some(Arc::clone(pool[0])),
            n => {
                let a = fastrand::usize(0..n);
                let b = (a + 1 + fastrand::usize(0..n - 1)) % n;
                let (ea, eb) = (pool[a], pool[b]);
                let la = ea.outstanding.load(Ordering::SeqCst);
                let lb = eb.outstanding.load(Ordering::SeqCst);
                Some(Arc::clone(if lb < la { eb } else { ea }))
            }
        }
    }

    /// Avoid `e` for a while: 1 s after one failure, doubling up to 30 s.
    fn mark_down(&self, e: &Endpoint) {
        let n = e.failures.fetch_add(1, Ordering::Relaxed).min(5);
        e.down_until.store(self.now_ms() + (1000u64 << n).min(30_000), Ordering::Relaxed);
    }

    /// Render `jobs` (all of `source`) and send each variant's result into `tx` by its index
    /// in `jobs`, retrying what is retryable on other daemons. Every index is answered.
    pub async fn render(
        &self,
        source: &str,
        jobs: &[pb::Job],
        backend: i32,
        accept: &str,
        tx: &mpsc::Sender<Delivered>,
    ) {
        let mut pending: Vec<usize> = (0..jobs.len()).collect();
        let mut avoid = HashSet::new();
        let mut attempt = 0u32;
        loop {
            let Some(ep) = self.pick(&avoid) else {
                let e = Error::new(ErrorKind::Unavailable, "no daemon to send to");
                fail_all(&pending, &e, tx).await;
                return;
            };
            let sent = pending.clone();
            let req = pb::TransformVariantsRequest {
                source: source.to_string(),
                jobs: sent.iter().map(|&i| jobs[i].clone()).collect(),
                backend,
                accept: accept.to_string(),
                hint_width: None,
                hint_dpr: None,
            };
            let mut done = HashSet::new();
            // The deadline covers the whole stream, not only its headers: a daemon that stops
            // answering mid-stream (paused, partitioned) is given up on like a dead one.
            let outcome = match tokio::time::timeout(self.timeout, self.call(&ep, req, &sent, &mut done, tx)).await {
                Ok(r) => r,
                Err(_) => Err(tonic::Status::deadline_exceeded("the call took longer than its deadline")),
            };
            pending.retain(|i| !done.contains(i));
            let status = match outcome {
                Ok(()) if pending.is_empty() => {
                    ep.failures.store(0, Ordering::Relaxed);
                    return;
                }
                // The daemon answered, but some variants hit its own limits (busy, timed out).
                Ok(()) => tonic::Status::unavailable("variants left for another daemon"),
                Err(s) => s,
            };
            attempt += 1;
            if !retryable(&status) || attempt >= self.policy.attempts {
                fail_all(&pending, &error_from_status(&status), tx).await;
                return;
            }
            if matches!(
                status.code(),
                tonic::Code::Unavailable | tonic::Code::Unknown | tonic::Code::Internal | tonic::Code::Cancelled
            ) {
                self.mark_down(&ep);
            }
            tracing::debug!(daemon = %ep.addr, code = ?status.code(), message = status.message(), attempt, "retrying on another daemon");
            self.retries.fetch_add(1, Ordering::Relaxed);
            avoid.insert(ep.addr);
            if avoid.len() >= self.addresses().len() {
                avoid.clear();
                avoid.insert(ep.addr);
            }
            tokio::time::sleep(self.policy.delay(attempt)).await;
        }
    }

    /// One `RenderVariants` call on `ep`; every result received goes to `tx` and its index
    /// into `done` (variants whose error is the daemon's state stay pending).
    async fn call(
        &self,
        ep: &Endpoint,
        req: pb::TransformVariantsRequest,
        sent: &[usize],
        done: &mut HashSet<usize>,
        tx: &mpsc::Sender<Delivered>,
    ) -> std::result::Result<(), tonic::Status> {
        ep.outstanding.fetch_add(1, Ordering::SeqCst);
        let _in_flight = InFlight(ep);
        let mut request = tonic::Request::new(req);
        request.set_timeout(self.timeout);
        let mut client = ep.client.clone();
        let mut stream = client.render_variants(request).await?.into_inner();
        let mut decodes = 0u32;
        while let Some(msg) = stream.message().await? {
            decodes = decodes.max(msg.decodes);
            let Some(&index) = usize::try_from(msg.index).ok().and_then(|i| sent.get(i)) else { continue };
            let result = match msg.result {
                Some(pb::variant_result::Result::Output(o)) => Ok(Rendered {
                    data: o.data,
                    mime: o.content_type,
                    width: o.width,
                    height: o.height,
                    backend: o.backend,
                }),
                Some(pb::variant_result::Result::Error(e)) => {
                    let kind = ErrorKind::from_code(&e.code).unwrap_or(ErrorKind::Internal);
                    if retryable_kind(kind) {
                        continue;
                    }
                    let mut err = Error::new(kind, e.message);
                    if !e.key.is_empty() {
                        err = err.with_param(e.key, e.value);
                    }
                    Err(err)
                }
                None => Err(Error::internal("the daemon sent a variant without a result")),
            };
            done.insert(index);
            if tx.send((index, result)).await.is_err() {
                break;
            }
        }
        self.decodes.fetch_add(u64::from(decodes), Ordering::Relaxed);
        Ok(())
    }
}

async fn fail_all(pending: &[usize], e: &Error, tx: &mpsc::Sender<Delivered>) {
    for &i in pending {
        let _ = tx.send((i, Err(e.clone()))).await;
    }
}

fn poisoned() -> Error {
    Error::internal("daemon list lock poisoned")
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn fleet(n: u16) -> Arc<Fleet> {
        let urls: Vec<String> = (0..n).map(|i| format!("http://127.0.0.1:{}", 40000 + i)).collect();
        Fleet::connect(&urls, "", Duration::from_secs(1)).await.unwrap()
    }

    #[tokio::test]
    async fn p2c_prefers_the_less_loaded_and_skips_down_endpoints() {
        let f = fleet(2).await;
        let eps = f.endpoints.read().unwrap().clone();
        eps[0].outstanding.store(5, Ordering::SeqCst);
        for _ in 0..20 {
            assert_eq!(f.pick(&HashSet::new()).unwrap().addr, eps[1].addr);
        }
        // Avoided (just failed): the other one even though it is busier.
        let avoid: HashSet<_> = [eps[1].addr].into();
        assert_eq!(f.pick(&avoid).unwrap().addr, eps[0].addr);
        // Down: skipped while another is up.
        eps[0].outstanding.store(0, Ordering::SeqCst);
        f.mark_down(&eps[0]);
        for _ in 0..20 {
            assert_eq!(f.pick(&HashSet::new()).unwrap().addr, eps[1].addr);
        }
    }

    #[tokio::test]
    async fn refresh_keeps_known_endpoints_and_follows_changes() {
        let f = fleet(3).await;
        let before = f.endpoints.read().unwrap().clone();
        before[0].outstanding.store(7, Ordering::SeqCst);
        let keep = [before[0].addr, "127.0.0.1:41000".parse().unwrap()];
        f.update(&keep).unwrap();
        let after = f.endpoints.read().unwrap().clone();
        assert_eq!(f.addresses(), keep);
        assert_eq!(after[0].outstanding.load(Ordering::SeqCst), 7, "state kept");
    }

    #[tokio::test]
    async fn every_variant_is_answered_when_no_daemon_answers() {
        // Nothing listens on these ports: every attempt is UNAVAILABLE, then the variants fail.
        let Ok(mut f) = Arc::try_unwrap(fleet(2).await) else { panic!("shared fleet") };
        f.policy = RetryPolicy { attempts: 3, base: Duration::from_millis(1), cap: Duration::from_millis(2) };
        let (tx, mut rx) = mpsc::channel(8);
        let jobs = vec![pb::Job::default(), pb::Job::default()];
        f.render("/a.jpg", &jobs, 0, "image/jpeg", &tx).await;
        drop(tx);
        let mut got = Vec::new();
        while let Some((i, r)) = rx.recv().await {
            assert_eq!(r.unwrap_err().kind(), ErrorKind::Unavailable);
            got.push(i);
        }
        got.sort_unstable();
        assert_eq!(got, [0, 1]);
        assert_eq!(f.retries(), 2);
    }
}
