//! The `xformd` binary: CLI → Config → telemetry → App → servers. The only `anyhow` user.
#![allow(clippy::print_stdout, reason = "stdout is the CLI's output: render --json, translate, check, config dump")]

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Parser;
use tokio::net::TcpListener;

use xformd::app::{App, GpuStatus};
use xformd::config::cli::{BackendArg, Cli, Command, ConfigCommand};
use xformd::config::Config;
use xformd::frontend::{self, FrontState};
use xformd::job::BackendPref;
use xformd::url::{cloudinary, UrlOptions};
use xformd::{service, telemetry};

// `xformd render`, in its own file (bin-only).
mod cmd_render;
use cmd_render::render;

// The allocator is a build choice: `--features mimalloc` (see docs/security.md for the
// measurement that picks the default).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.command {
        Command::Serve { .. } | Command::Daemon { .. } | Command::Front { .. } => "info",
        _ => "warn",
    };
    telemetry::init(cli.json_logs, level);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xformd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let mut config = Config::load(cli.config.as_deref(), std::env::vars())?;
    cli.apply(&mut config);
    config.validate()?;
    Ok(config)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

fn url_options(config: &Config) -> UrlOptions {
    UrlOptions {
        cloud_name: Some(config.frontend.cloud_name.clone()).filter(|c| !c.is_empty()),
        keep_types: config.frontend.keep_types,
        named: config.named.clone(),
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if matches!(cli.command, Command::GpuProbe) {
        println!("{}", xformd::app::gpu_probe_answer());
        return Ok(ExitCode::SUCCESS);
    }
    // A daemon's GPU probe runs in a child (this binary's `gpu-probe`), so a long-running
    // process that ends up on the CPU never maps a Vulkan driver. One-shot commands (render,
    // batch, check, bench) exit soon anyway and probe in process, as library users (tests)
    // do: on a GPU node the child would only enumerate the adapters a second time.
    if matches!(cli.command, Command::Serve { .. } | Command::Daemon { .. }) {
        if let Ok(exe) = std::env::current_exe() {
            xformd::app::probe_gpu_with(exe);
        }
    }
    let config = load_config(&cli)?;
    match &cli.command {
        Command::Serve { .. } => runtime()?.block_on(serve(config, true, true)),
        Command::Daemon { .. } => runtime()?.block_on(serve(config, true, false)),
        Command::Front { .. } => runtime()?.block_on(serve(config, false, true)),
        Command::Render { delivery, json, url_path, output, .. } => {
            runtime()?.block_on(render(config, delivery.backend, &delivery.accept, *json, url_path, output))
        }
        Command::Batch {
            manifest,
            sources,
            variants,
            daemons,
            out,
            concurrency,
            resume,
            shard,
            dry_run,
            journal,
            timeout_secs,
            s3_endpoint,
            split_variants,
            delivery,
            json,
            ..
        } => {
            let shard = match shard.as_deref().map(str::parse::<xformd::batch::shard::Shard>).transpose() {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("{}", one_line(&e));
                    return Ok(ExitCode::from(2));
                }
            };
            let region = std::env::var("AWS_REGION")
                .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|_| "us-east-1".into());
            let args = xformd::batch::BatchArgs {
                manifest: manifest.clone(),
                sources: sources.clone(),
                variants: variants.clone(),
                daemons: daemons.clone(),
                out: out.clone(),
                concurrency: *concurrency,
                resume: *resume,
                shard,
                dry_run: *dry_run,
                json: *json,
                quiet: false,
                backend: backend_pref(delivery.backend),
                accept: delivery.accept.clone(),
                journal: journal.clone(),
                s3: xformd::origin::s3::S3Settings {
                    endpoint: s3_endpoint.clone().unwrap_or_default(),
                    region,
                    timeout: std::time::Duration::from_secs(60),
                    ..Default::default()
                },
                timeout: std::time::Duration::from_secs(*timeout_secs),
                split_variants: *split_variants,
            };
            runtime()?.block_on(batch(config, args))
        }
        Command::Check => check(config),
        // Answered before the configuration is read (above).
        Command::GpuProbe => Ok(ExitCode::SUCCESS),
        Command::Bench { backend, sizes, ops, runs, out, image } => {
            let limits = config.limits();
            let threads = config.backend.cpu_threads;
            let (md, svg) =
                xformd::bench::from_cli(backend, sizes, ops, *runs, out, image.as_deref(), limits, threads)?;
            println!("{}\n{}", md.display(), svg.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Translate { keep_types, report, json, paths } => {
            let opts = cloudinary::Options { keep_types: *keep_types || config.frontend.keep_types };
            match report {
                Some(file) => translate_report(file.as_deref(), &opts, *json),
                None => {
                    let out = std::io::BufWriter::new(std::io::stdout().lock());
                    xformd::cli::translate::translate_lines(paths, &opts, std::io::stdin().lock(), out)?;
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        Command::Config { what: ConfigCommand::Dump } => {
            print!("{}", config.to_toml()?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn serve(config: Config, daemon: bool, front: bool) -> anyhow::Result<ExitCode> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let mut tasks = tokio::task::JoinSet::new();
    // One registry per process: in `serve` the front end and the daemon report together.
    let metrics = std::sync::Arc::new(xformd::metrics::Metrics::new());
    let mut daemon_url = config.server.daemon_url.clone();
    if daemon {
        let listener = TcpListener::bind(&config.server.grpc)
            .await
            .with_context(|| format!("bind gRPC {}", config.server.grpc))?;
        let addr: SocketAddr = listener.local_addr()?;
        let s = &config.server;
        service::auth::check_exposure(addr, &s.grpc_token, s.grpc_insecure)?;
        if daemon_url.is_empty() {
            // With TLS on the daemon port, the embedded front end speaks TLS to it too (and
            // needs `server.daemon_ca` to trust its certificate).
            let scheme = if s.grpc_tls_cert.is_empty() { "http" } else { "https" };
            daemon_url = format!("{scheme}://{addr}");
        }
        let app = App::new(config.clone())?;
        match &app.gpu {
            GpuStatus::Ready { adapter, device_type, api, .. } => {
                tracing::info!(%adapter, %device_type, %api, "GPU ready")
            }
            other => tracing::info!(gpu = ?other, "running on the CPU backend"),
        }
        eprintln!("xformd daemon: gRPC on {addr}, media {}", config.media.root.display());
        // Without a front end in the process the daemon counts its own requests and stages.
        let app = if front { app } else { app.with_rpc_metrics(metrics.clone()) };
        app.export_metrics(&metrics);
        tasks.spawn(service::serve(listener, stopped(), app));
        if !config.server.metrics_listen.is_empty() {
            let listener = TcpListener::bind(&config.server.metrics_listen)
                .await
                .with_context(|| format!("bind metrics {}", config.server.metrics_listen))?;
            eprintln!("xformd metrics: http://{}/metrics", listener.local_addr()?);
            tasks.spawn(xformd::metrics::serve(listener, stopped(), metrics.clone()));
        }
    }
    if front {
        if daemon_url.is_empty() {
            bail!("the front end needs --daemon URL");
        }
        let listener = TcpListener::bind(&config.server.http)
            .await
            .with_context(|| format!("bind HTTP {}", config.server.http))?;
        let addr = listener.local_addr()?;
        let state = front_state(&config, &daemon_url, metrics.clone())?;
        eprintln!("xformd front end: http://{addr}/  (daemon {daemon_url})");
        eprintln!("  try: http://{addr}/tr:w-300/photos/LadyBird.jpg");
        tasks.spawn(frontend::serve(listener, stopped(), state));
    }
    tokio::select! {
        () = shutdown_signal() => {}
        Some(r) = tasks.join_next() => { r??; }
    }
    // Stop accepting, let in-flight requests finish, but never wait past the deadline.
    let _ = stop_tx.send(true);
    let deadline = std::time::Duration::from_secs(config.server.shutdown_timeout_secs);
    let drained = tokio::time::timeout(deadline, async {
        while let Some(r) = tasks.join_next().await {
            r??;
        }
        anyhow::Ok(())
    })
    .await;
    match drained {
        Ok(r) => r?,
        Err(_) => {
            tracing::warn!(secs = deadline.as_secs(), "in-flight work did not finish before the shutdown deadline")
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The front end's state from configuration.
fn front_state(
    config: &Config,
    daemon_url: &str,
    metrics: std::sync::Arc<xformd::metrics::Metrics>,
) -> anyhow::Result<FrontState> {
    let f = &config.frontend;
    let signing = xformd::frontend::signature::SigningConfig {
        imagekit_key: Some(f.imagekit_private_key.clone()).filter(|k| !k.is_empty()),
        cloudinary_secret: Some(f.cloudinary_api_secret.clone()).filter(|k| !k.is_empty()),
        required: f.require_signature,
    };
    // Documented choice (docs/security.md): start, but refuse every URL of a dialect whose
    // secret is missing, and say so loudly once.
    for key in signing.missing_keys() {
        tracing::warn!(
            key,
            "frontend.require_signature is set but {key} is empty: URLs of that dialect are refused (401)"
        );
    }
    let mut state = FrontState::new(daemon_url, url_options(config), &f.cache_control, f.debug_headers)?
        .with_daemon_refresh(std::time::Duration::from_secs(f.daemon_refresh_secs))?;
    if !config.server.daemon_ca.is_empty() {
        let ca = std::fs::read(&config.server.daemon_ca)
            .with_context(|| format!("reading server.daemon_ca '{}'", config.server.daemon_ca))?;
        state = state.with_daemon_ca(&ca)?;
    }
    Ok(state
        .with_grpc_token(&config.server.grpc_token)?
        .with_connection_limits(xformd::frontend::listener::ConnectionLimits {
            header_read_timeout: std::time::Duration::from_secs(f.header_read_timeout_secs),
            write_stall: std::time::Duration::from_secs(f.write_stall_secs),
            max_connections: f.max_connections,
        })
        .with_metrics(metrics)
        .with_signing(signing)
        .with_max_url_bytes(f.max_url_bytes)
        .with_max_header_bytes(f.max_header_bytes)
        .with_request_timeout(std::time::Duration::from_secs(config.server.request_timeout_secs)))
}

/// `xformd batch`: the run, its summary (stderr, or a JSON event on stdout) and exit code:
/// 0 all done, 1 some variant failed, 2 the run could not start, 130 stopped by a signal.
async fn batch(config: Config, args: xformd::batch::BatchArgs) -> anyhow::Result<ExitCode> {
    let stop = async {
        shutdown_signal().await;
        eprintln!("xformd batch: stopping; the sources in flight finish first (Ctrl-C again to quit at once)");
        tokio::spawn(async {
            let _ = tokio::signal::ctrl_c().await;
            eprintln!("xformd batch: quit; rerun with --resume to finish");
            std::process::exit(130);
        });
    };
    let summary = match xformd::batch::run(config, &args, stop).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}", one_line(&e));
            return Ok(ExitCode::from(if e.kind().is_client_error() { 2 } else { 1 }));
        }
    };
    if args.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    if args.json {
        xformd::batch::progress::emit(&summary.to_json());
    } else {
        eprintln!("{}", summary.to_text());
    }
    if summary.interrupted {
        eprintln!("xformd batch: interrupted; rerun the same command with --resume to finish the rest");
    }
    Ok(ExitCode::from(xformd::batch::exit_code(&summary)))
}

/// `translate --report [FILE]`: the migration report over FILE's lines (stdin without FILE).
fn translate_report(
    file: Option<&std::path::Path>,
    opts: &cloudinary::Options,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use std::io::{BufRead, Write};
    let reader: Box<dyn BufRead> = match file {
        Some(f) => {
            Box::new(std::io::BufReader::new(std::fs::File::open(f).with_context(|| format!("open {}", f.display()))?))
        }
        None => Box::new(std::io::stdin().lock()),
    };
    let text = xformd::cli::translate::translate_report(reader, opts, json)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    Ok(ExitCode::SUCCESS)
}

fn backend_pref(b: BackendArg) -> BackendPref {
    match b {
        BackendArg::Auto => BackendPref::Auto,
        BackendArg::Cpu => BackendPref::Cpu,
        BackendArg::Gpu => BackendPref::Gpu,
    }
}

fn one_line(e: &xformd::Error) -> String {
    match (e.key(), e.value()) {
        (Some(k), Some(v)) => format!("error: {} (parameter '{k}', value '{v}'): {}", e.kind().code(), e.message()),
        _ => format!("error: {}: {}", e.kind().code(), e.message()),
    }
}

fn check(config: Config) -> anyhow::Result<ExitCode> {
    let app = App::new(config.clone())?;
    let report = xformd::cli::check::self_test(&app, &config.media.root);
    for line in &report.lines {
        println!("{line}");
    }
    Ok(if report.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
