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
    /// Render several variants of one source from one decode (one GPU submission), e.g.
    /// `xformd batch --source photos/a.jpg --variant w-300 --variant w-600,f-webp --out DIR`.
    Batch {
        /// Media folder.
        #[arg(long)]
        media: Option<PathBuf>,
        /// Origin path of the source.
        #[arg(long)]
        source: String,
        /// An ImageKit transformation string per variant (repeat the flag).
        #[arg(long = "variant", required = true)]
        variants: Vec<String>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Backend preference and Accept header.
        #[command(flatten)]
        delivery: DeliveryArgs,
        /// Print one JSON line per variant.
        #[arg(long)]
        json: bool,
    },
    /// Self-test: GPU adapter and pipelines, FFmpeg, codecs.
    Check,
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
            Command::Check | Command::Config { .. } | Command::Translate { .. } | Command::Bench { .. } => {}
        }
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}
