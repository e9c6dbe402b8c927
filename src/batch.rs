//! `xformd batch`: pre-render every variant of every source of a manifest, in process or
//! over a fleet of daemons, into a folder or a bucket; resumable, shardable.
//!
//! Owns: [`BatchArgs`], [`run`]. The pieces, each in its own file:
//!
//! | file | owns |
//! |---|---|
//! | `manifest` | CSV / JSONL / folder / glob / Cloudinary URL log → (line, source, variant) entries |
//! | `variant` | variant text (ImageKit, Cloudinary, named) → job, as `xformd render` parses it |
//! | `work` | shard filter, grouping by source, output-folder collision check |
//! | `naming` | output names `<source without extension>/<variant slug>.<ext>` |
//! | `engine` | in-process rendering or the fleet, one result per variant |
//! | `fleet` | daemon discovery, p2c balancing, retries on another daemon |
//! | `sink` | atomic local writes, S3 uploads |
//! | `journal` | the append-only resume journal |
//! | `progress` | bar / lines / JSON events, the summary |
//! | `shard` | `--shard I/N` |
//!
//! Every output equals `xformd render /tr:<variant>/<source>` byte for byte (same
//! configuration, same `--accept` and `--backend`): the daemons and the in-process engine
//! both render through `pipeline::each`, which runs each variant as a single render does.
//!
//! A run: read and check the whole manifest (a bad row stops it before any work), skip
//! what the journal says is complete (`--resume`), then keep `--concurrency` sources in
//! flight; each source is one streaming call, and each variant is written and journaled as
//! it arrives. A stop signal (Ctrl-C) lets the sources in flight finish and their writes
//! land, syncs the journal and returns `interrupted`.
//!
//! May import: `app`, `config`, `pipeline`, `url`, `job`, `error`, `report` (URL logs),
//! `origin::s3` (the bucket client builder), `service` (client side only: proto, auth,
//! convert). Never `frontend`,
//! `media`, `exec`, wgpu or rayon.

pub mod engine;
pub mod fleet;
pub mod journal;
pub mod manifest;
pub mod naming;
pub mod progress;
pub mod shard;
pub mod sink;
pub mod variant;
pub mod work;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use self::engine::Engine;
use self::journal::{Journal, Record};
use self::progress::{emit, Progress, Summary, Written};
use self::shard::Shard;
use self::sink::Sink;
use self::work::SourceWork;
use crate::app::App;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::job::{BackendPref, Format};
use crate::origin::s3::S3Settings;
use crate::pipeline::each::MAX_STREAM_VARIANTS;
use crate::url::UrlOptions;

/// How often daemon names are resolved again.
pub const RESOLVE_EVERY: Duration = Duration::from_secs(10);

/// What `xformd batch` was asked for.
#[derive(Debug, Clone)]
pub struct BatchArgs {
    /// Manifest file, folder or glob (see `manifest`).
    pub manifest: Option<String>,
    /// Sources given on the command line (each × `variants`).
    pub sources: Vec<String>,
    /// `--variant`: for folder / glob / `--source` inputs and rows without variants.
    pub variants: Vec<String>,
    /// Daemon URLs; none = the in-process engine.
    pub daemons: Vec<String>,
    /// Output folder or `s3://bucket/prefix`.
    pub out: String,
    /// Sources in flight; `None` = 4 per daemon, or the CPU count in process.
    pub concurrency: Option<usize>,
    /// Skip what the journal records as complete.
    pub resume: bool,
    /// This process's shard.
    pub shard: Option<Shard>,
    /// List the work, render nothing.
    pub dry_run: bool,
    /// JSON events on stdout.
    pub json: bool,
    /// No live progress (the summary is still returned).
    pub quiet: bool,
    /// Backend preference.
    pub backend: BackendPref,
    /// `Accept` header for `f-auto` and variants without `f-`.
    pub accept: String,
    /// Journal file; default in the output folder (or the working directory for buckets).
    pub journal: Option<PathBuf>,
    /// Bucket access for `s3://` outputs (empty fields: AWS environment).
    pub s3: S3Settings,
    /// Deadline of one call to a daemon.
    pub timeout: Duration,
    /// One call per variant (each fetches and decodes): the baseline of the benchmark.
    pub split_variants: bool,
}

impl Default for BatchArgs {
    /// The command line's defaults: in process, `Accept: image/jpeg` (as `xformd render`),
    /// two minutes per call.
    fn default() -> Self {
        BatchArgs {
            manifest: None,
            sources: Vec::new(),
            variants: Vec::new(),
            daemons: Vec::new(),
            out: String::new(),
            concurrency: None,
            resume: false,
            shard: None,
            dry_run: false,
            json: false,
            quiet: false,
            backend: BackendPref::Auto,
            accept: "image/jpeg".into(),
            journal: None,
            s3: S3Settings::default(),
            timeout: Duration::from_secs(120),
            split_variants: false,
        }
    }
}

/// What every source task shares.
struct Ctx {
    engine: Engine,
    sink: Sink,
    journal: Journal,
    progress: Progress,
    backend: BackendPref,
    accept: String,
    /// Variants per call.
    chunk: usize,
}

/// Run a batch. `stop` resolving (Ctrl-C) ends it early but cleanly. Errors are for runs
/// that cannot start (bad manifest, unreachable output, no daemon); failed variants are in
/// the summary.
pub async fn run(config: Config, args: &BatchArgs, stop: impl Future<Output = ()>) -> Result<Summary> {
    let opts = UrlOptions {
        cloud_name: Some(config.frontend.cloud_name.clone()).filter(|c| !c.is_empty()),
        keep_types: config.frontend.keep_types,
        named: config.named.clone(),
    };
    let mut entries = Vec::new();
    if let Some(spec) = &args.manifest {
        let cld = crate::url::cloudinary::Options { keep_types: config.frontend.keep_types };
        entries = manifest::load(spec, &config.media.root, &args.variants, &cld)?;
    }
    for s in &args.sources {
        if args.variants.is_empty() {
            return Err(Error::invalid("variant", "", "--source needs at least one --variant"));
        }
        let source = if s.starts_with('/') { s.clone() } else { format!("/{s}") };
        entries.extend(args.variants.iter().map(|v| manifest::Entry {
            line: 0,
            source: source.clone(),
            variant: v.clone(),
        }));
    }
    if entries.is_empty() {
        return Err(Error::invalid("manifest", "", "nothing to render (give a manifest, or --source and --variant)"));
    }
    let label = args.manifest.clone().unwrap_or_else(|| "--source".into());
    let work = work::group(entries, args.shard, &opts, &label)?;
    let sink = Sink::parse(&args.out, &args.s3)?;
    let journal_path =
        args.journal.clone().unwrap_or_else(|| journal::default_path(&args.out, sink.local_dir(), args.shard));
    let done = if args.resume { journal::load(&journal_path)? } else { HashMap::new() };

    // What is left: a variant is complete when the journal has it and its output is there,
    // or (resuming into a folder) when its output is there at all: writes are atomic, so a
    // file under its final name is whole, even if the run that wrote it was killed before
    // its journal line was synced.
    let mut todo: Vec<(SourceWork, Vec<usize>)> = Vec::new();
    let mut skipped = 0u64;
    for w in work {
        let pending: Vec<usize> = (0..w.variants.len())
            .filter(|&i| match done.get(&(w.source.clone(), w.variants[i].text.clone())) {
                Some(r) => !sink.has(&r.key),
                None => !(args.resume && written_before(&sink, &w.source, &w.variants[i])),
            })
            .collect();
        skipped += (w.variants.len() - pending.len()) as u64;
        if !pending.is_empty() {
            todo.push((w, pending));
        }
    }
    let planned: u64 = todo.iter().map(|(_, p)| p.len() as u64).sum();
    if args.dry_run {
        return Ok(dry_run(&todo, &sink, args, planned, skipped));
    }

    let engine = if args.daemons.is_empty() {
        Engine::Local { app: Box::new(App::new(config.clone())?), decodes: Default::default() }
    } else {
        let fleet = fleet::Fleet::connect(&args.daemons, &config.server.grpc_token, args.timeout).await?;
        // Stops by itself once the fleet is dropped.
        let _refresh = fleet.spawn_refresh(RESOLVE_EVERY);
        Engine::Fleet(fleet)
    };
    let concurrency = args.concurrency.unwrap_or_else(|| match &engine {
        Engine::Fleet(f) => 4 * f.addresses().len().max(1),
        Engine::Local { .. } => std::thread::available_parallelism().map_or(2, usize::from),
    });
    let journal = Journal::open(&journal_path, args.resume)?;
    let progress = Progress::new(args.json, args.quiet, planned + skipped);
    progress.skipped(skipped);
    let chunk = if args.split_variants { 1 } else { MAX_STREAM_VARIANTS };
    let ctx =
        Arc::new(Ctx { engine, sink, journal, progress, backend: args.backend, accept: args.accept.clone(), chunk });
    let ticker = {
        // Weak: the context is unwrapped at the end, whether or not the ticker has stopped.
        let ctx = Arc::downgrade(&ctx);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(progress::LINE_EVERY);
            tick.tick().await;
            loop {
                tick.tick().await;
                match ctx.upgrade() {
                    Some(ctx) => ctx.progress.line(),
                    None => return,
                }
            }
        })
    };

    let interrupted = dispatch(&ctx, todo, concurrency.max(1), stop).await;
    ticker.abort();
    let _ = ticker.await;
    let ctx = Arc::try_unwrap(ctx).map_err(|_| Error::internal("a source task outlived the batch"))?;
    let summary = ctx.progress.finish(ctx.engine.retries(), ctx.engine.decodes(), interrupted);
    ctx.journal.close()?;
    Ok(summary)
}

/// Keep `concurrency` sources in flight until all are done or `stop` resolves; true when
/// stopped before every source was started (a stop after that only waits for the rest).
async fn dispatch(
    ctx: &Arc<Ctx>,
    todo: Vec<(SourceWork, Vec<usize>)>,
    concurrency: usize,
    stop: impl Future<Output = ()>,
) -> bool {
    let mut tasks = tokio::task::JoinSet::new();
    tokio::pin!(stop);
    let mut stopped = false;
    'sources: for (w, pending) in todo {
        while tasks.len() >= concurrency {
            tokio::select! {
                () = &mut stop => { stopped = true; break 'sources; }
                r = tasks.join_next() => log_join(r),
            }
        }
        // A stop that came while the slot was free.
        tokio::select! {
            biased;
            () = &mut stop => { stopped = true; break 'sources; }
            () = std::future::ready(()) => {}
        }
        let ctx = Arc::clone(ctx);
        tasks.spawn(async move { process_source(&ctx, &w, &pending).await });
    }
    let mut signalled = stopped;
    // In-flight sources finish, so their writes land and are journaled. A stop now has
    // nothing left to hold back, but is still taken (the caller says so, and arms its
    // second-signal exit).
    while !tasks.is_empty() {
        tokio::select! {
            () = &mut stop, if !signalled => { signalled = true; }
            r = tasks.join_next() => log_join(r),
        }
    }
    stopped
}

fn log_join(r: Option<std::result::Result<(), tokio::task::JoinError>>) {
    if let Some(Err(e)) = r {
        tracing::error!(error = %e, "a source task failed");
    }
}

/// Render the `pending` variants of `w` and write each as it arrives.
async fn process_source(ctx: &Ctx, w: &SourceWork, pending: &[usize]) {
    for chunk in pending.chunks(ctx.chunk) {
        let jobs: Vec<_> = chunk.iter().map(|&i| w.variants[i].job.clone()).collect();
        let (tx, mut rx) = mpsc::channel(1);
        let render = ctx.engine.render(&w.source, &jobs, ctx.backend, &ctx.accept, tx);
        let write = async {
            while let Some((pos, result)) = rx.recv().await {
                let Some(v) = chunk.get(pos).map(|&i| &w.variants[i]) else { continue };
                let r = match result {
                    Ok(r) => r,
                    Err(e) => {
                        ctx.progress.failed(&w.source, &v.text, &e);
                        continue;
                    }
                };
                let engine::Rendered { data, mime, width, height, backend } = r;
                let key = naming::key(&w.source, &v.text, &mime);
                let written = Written { bytes: data.len() as u64, width, height, mime: &mime, backend: &backend };
                match ctx.sink.put(&key, data).await {
                    Ok(()) => {
                        ctx.progress.done(&w.source, &v.text, &ctx.sink.location(&key), &written);
                        let bytes = written.bytes;
                        ctx.journal.append(Record { source: w.source.clone(), variant: v.text.clone(), key, bytes });
                    }
                    Err(e) => ctx.progress.failed(&w.source, &v.text, &e),
                }
            }
        };
        tokio::join!(render, write);
    }
}

/// True when a local output of `v` already exists under any extension its format allows.
fn written_before(sink: &Sink, source: &str, v: &work::VariantWork) -> bool {
    if sink.local_dir().is_none() {
        return false;
    }
    let exts: &[&str] = match v.job.output.format {
        Some(f @ (Format::Jpeg | Format::Png | Format::Webp | Format::Avif | Format::Gif | Format::Svg)) => {
            &[f.mime().map_or("bin", naming::extension)]
        }
        // f-auto, no f, orig: the type follows the render.
        _ => &["jpg", "png", "webp", "avif", "gif"],
    };
    let base = format!("{}/{}", naming::stem(source), naming::slug(&v.text));
    exts.iter().any(|e| sink.has(&format!("{base}.{e}")))
}

/// `--dry-run`: what would be rendered, one line (or JSON event) per variant, and the count
/// of what would be skipped.
fn dry_run(todo: &[(SourceWork, Vec<usize>)], sink: &Sink, args: &BatchArgs, planned: u64, skipped: u64) -> Summary {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for (w, pending) in todo {
        for &i in pending {
            let v = &w.variants[i];
            // The extension is known when the variant names its format; else it follows the
            // rendered output (f-auto, a transparent result, `orig`).
            let ext = match v.job.output.format {
                Some(Format::Auto | Format::Orig) | None => "*".to_string(),
                Some(f) => f.mime().map_or("*", naming::extension).to_string(),
            };
            let target = sink.location(&format!("{}/{}.{ext}", naming::stem(&w.source), naming::slug(&v.text)));
            if args.json {
                emit(
                    &serde_json::json!({"event": "plan", "action": "render", "source": w.source, "variant": v.text, "output": target}),
                );
            } else {
                let _ = writeln!(out, "render {} {} -> {target}", w.source, v.text);
            }
        }
    }
    if !args.json {
        let _ = writeln!(out, "{planned} to render, {skipped} already complete (skipped)");
    }
    Summary { skipped, planned, ..Summary::default() }
}

/// The exit status a summary calls for: 0 all done, 1 some failed, 130 interrupted.
pub fn exit_code(s: &Summary) -> u8 {
    if s.interrupted {
        130
    } else if s.failed > 0 {
        1
    } else {
        0
    }
}
