//! Command-line interface (clap derive). Flags override the configuration file and the
//! environment; [`Cli::apply`] writes them into a [`Config`].
//!
//! Owns: [`Cli`], [`Command`], [`DeliveryArgs`].

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use super::Config;

/// xformd: a GPU-accelerated media transform daemon serving Cloudinary and ImageKit URLs.
#[derive(Debug, Parser)]
#[command(name = "xformd", version, about)]
pub struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "XFORMD_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log as JSON lines.
    #[arg(long, global = true)]
    pub json_logs: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Backend preference on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    /// Daemon decides.
    Auto,
    /// CPU only.
    Cpu,
    /// GPU (falls back to the CPU with a recorded reason).
    Gpu,
}

/// How a rendered result is chosen: shared by `render` and `batch`.
#[derive(Debug, Clone, clap::Args)]
pub struct DeliveryArgs {
    /// Backend preference.
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendArg,
    /// Accept header for f-auto.
    #[arg(long, default_value = "image/jpeg")]
    pub accept: String,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Daemon and HTTP front end in one process (the front end still calls the daemon over gRPC).
    Serve {
        /// Media folder served by the local origin.
        #[arg(long)]
        media: Option<PathBuf>,
        /// HTTP listen address.
        #[arg(long)]
        http: Option<String>,
        /// gRPC listen address.
        #[arg(long)]
        grpc: Option<String>,
    },
    /// The HTTP front end alone, pointed at remote daemons.
    Front {
        /// gRPC URL of the daemon (e.g. http://xformd-daemon:50051).
        #[arg(long)]
        daemon: String,
        /// HTTP listen address.
        #[arg(long)]
        http: Option<String>,
    },
    /// The gRPC daemon alone.
    Daemon {
        /// gRPC listen address.
        #[arg(long)]
        grpc: Option<String>,
        /// Media folder served by the local origin.
        #[arg(long)]
        media: Option<PathBuf>,
        /// Serve Prometheus `/metrics` on this address (`server.metrics_listen`).
        #[arg(long)]
        metrics_listen: Option<String>,
    },
    /// Run one job without a server, through the same code as the daemon.
    Render {
        /// Media folder.
        #[arg(long)]
        media: Option<PathBuf>,
        /// Backend preference and Accept header.
        #[command(flatten)]
        delivery: DeliveryArgs,
        /// Print one JSON object describing the result.
        #[arg(long)]
        json: bool,
        /// What the front end would receive, e.g. `/tr:w-300/photos/a.jpg`.
        url_path: String,
        /// Output file.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Pre-render variants of many sources into a folder or a bucket, in process or over
    /// daemons, resumable and shardable (README "Batch"), e.g.
    /// `xformd batch list.csv --daemon http://d1:50051 --daemon http://d2:50051 --out DIR`.
    Batch {
        /// Media folder (the in-process engine's; folder and glob manifests are read under it).
        #[arg(long)]
        media: Option<PathBuf>,
        /// CSV (`source,variant`), JSONL (`{"source": …, "variants": […]}`), a folder or glob
        /// under the media folder (with --variant), or a Cloudinary URL log (`.log`, `.txt`).
        manifest: Option<String>,
        /// A source to render with every --variant (repeatable), besides or instead of a manifest.
        #[arg(long = "source")]
        sources: Vec<String>,
        /// A variant: ImageKit `tr` string, Cloudinary transformation or named transformation
        /// (repeatable); for folders, globs, --source and rows without variants.
        #[arg(long = "variant")]
        variants: Vec<String>,
        /// Daemon gRPC URL, http://HOST:PORT (repeatable; a name may resolve to many
        /// daemons, re-resolved every 10 s). Without any, render in process.
        #[arg(long = "daemon")]
        daemons: Vec<String>,
        /// Output folder, or s3://bucket/prefix.
        #[arg(long)]
        out: String,
        /// Sources in flight (default: 4 per daemon, or the CPU count in process).
        #[arg(long)]
        concurrency: Option<usize>,
        /// Skip variants the journal records as complete.
        #[arg(long)]
        resume: bool,
        /// Render only shard I of N (stable hash of the source), e.g. 0/4.
        #[arg(long)]
        shard: Option<String>,
        /// List what would be rendered; render nothing.
        #[arg(long)]
        dry_run: bool,
        /// Journal file (default: DIR/.xformd-batch.journal, or ./.xformd-batch-<hash>.journal
        /// for a bucket).
        #[arg(long)]
        journal: Option<PathBuf>,
        /// Deadline of one call to a daemon, in seconds.
        #[arg(long, default_value_t = 120)]
        timeout_secs: u64,
        /// S3 endpoint for s3:// outputs (default: AWS_ENDPOINT, else AWS).
        #[arg(long)]
        s3_endpoint: Option<String>,
        /// One call (fetch and decode) per variant instead of per source: for benchmarks.
        #[arg(long, hide = true)]
        split_variants: bool,
        /// Backend preference and Accept header.
        #[command(flatten)]
        delivery: DeliveryArgs,
        /// One JSON event per line on stdout (each variant, then the summary).
        #[arg(long)]
        json: bool,
    },
    /// Self-test: GPU adapter and pipelines, FFmpeg, codecs.
    Check,
    /// Internal: which GPU adapter a daemon would open, as one JSON line, from a child
    /// process (`app::open_gpu`), so the daemon never maps a driver it will not use.
    #[command(hide = true)]
    GpuProbe,
    /// Rewrite Cloudinary paths into ImageKit strings (`tr=…<TAB>path=…` per line), or
    /// summarise a list of URLs as a migration report.
    Translate {
        /// Keep `/<asset_type>/<delivery_type>/` in the forwarded path.
        #[arg(long)]
        keep_types: bool,
        /// Print a migration report for the URLs in FILE (stdin without FILE).
        #[arg(long, value_name = "FILE", num_args = 0..=1)]
        report: Option<Option<PathBuf>>,
        /// With --report: JSON instead of Markdown.
        #[arg(long)]
        json: bool,
        /// Cloudinary paths; without any, one path per line is read from stdin.
        paths: Vec<String>,
    },
    /// Measure CPU vs GPU per kernel and for a typical chain; writes bench.md and bench.svg.
    Bench {
        /// Backends, comma-separated: cpu, gpu.
        #[arg(long, default_value = "cpu,gpu")]
        backend: String,
        /// Input sizes, comma-separated: 720p, 1080p, 4k, 8k, 20mp or WxH.
        #[arg(long, default_value = "1080p,4k,20mp")]
        sizes: String,
        /// Operations, comma-separated: resize, blur, sharpen, chain, variants.
        #[arg(long, default_value = "resize,blur,sharpen,chain")]
        ops: String,
        /// Measured runs per case, after one warm-up.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Output folder.
        #[arg(long, default_value = "out/bench")]
        out: PathBuf,
        /// A photo to scale to each size instead of the synthetic image.
        #[arg(long)]
        image: Option<PathBuf>,
    },
    /// Print configuration.
    Config {
        /// What to print.
        #[command(subcommand)]
        what: ConfigCommand,
    },
}

/// `xformd config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the fully merged configuration as TOML.
    Dump,
}

impl Cli {
    /// Write the flags that override configuration into `config`.
    pub fn apply(&self, config: &mut Config) {
        match &self.command {
            Command::Serve { media, http, grpc } => {
                set(&mut config.media.root, media.clone());
                set(&mut config.server.http, http.clone());
                set(&mut config.server.grpc, grpc.clone());
            }
            Command::Front { daemon, http } => {
                config.server.daemon_url.clone_from(daemon);
                set(&mut config.server.http, http.clone());
            }
            Command::Daemon { grpc, media, metrics_listen } => {
                set(&mut config.server.grpc, grpc.clone());
                set(&mut config.media.root, media.clone());
                set(&mut config.server.metrics_listen, metrics_listen.clone());
            }
            Command::Render { media, .. } | Command::Batch { media, .. } => set(&mut config.media.root, media.clone()),
            Command::Check
            | Command::GpuProbe
            | Command::Config { .. }
            | Command::Translate { .. }
            | Command::Bench { .. } => {}
        }
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}
