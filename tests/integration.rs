//! The one integration-test binary. Each module below owns one kind of test.

// Shared helpers: start_server() on 127.0.0.1:0, fixtures, frame comparison, backends.
mod common;

// End to end over the real HTTP front end and the real gRPC daemon (in-process, loopback).
mod grpc;

// Every kernel × every available backend against the CPU reference, declared tolerances.
mod backends;

// Operations: metrics, request ids, 429, URL limits, signed URLs, SIGTERM.
mod ops;

// Scans src/ `use` lines against the dependency rules in src/lib.rs.
mod architecture;

// Video cutting and thumbnails on real clips through FFmpeg (feature "video").
#[cfg(feature = "video")]
mod video;

// Text layers end to end: size, colour, padding and background, wrapping, custom fonts.
mod text;

// fo-auto saliency, fo-face (with z) and lfo-face on real photos and synthetic images.
mod analysis;

// Decoders and encoders on real files: orientation, CMYK, 16-bit, strict JPEG, formats, shrink-on-load.
mod codecs;

// EXIF orientation stored as BYTE/LONG/SLONG, in JPEG, PNG and WebP (issue #16).
mod orientation_tags;

// Input fidelity (issue #16): odd EXIF/PNG/JPEG layouts, damaged files, ICC vs libvips.
mod inputs;

// ICC conversions against libvips and on animation frames (issue #16).
mod icc_inputs;

// Every image of ../shared/media at w-300 on both backends against vipsthumbnail; writes
// the table in docs/fidelity.md.
mod fidelity;

// docs/imagekit.md: every ImageKit parameter's example URL does what its row says.
mod imagekit_table;

// Layer modes lm-multiply/cutout/cutter/displace over HTTP, and GPU vs CPU (issue #15).
mod layer_modes;

// Padding backgrounds over HTTP: bg-gradient_dominant (issue #15).
mod backgrounds;

// f-svg: the rendered picture inside an SVG document (issue #15).
mod svg_output;

// bl with a large σ, planned reduced, against the exact Gaussian (issue #14).
mod blur_plan;

// GPU against CPU through the pipeline: layers, flips, face crops, trim, animation frames.
mod gpu_parity;

// scripts/device-bench.sh in its smoke mode (the real-GPU benchmark script, issue #14).
mod device_bench;

// `backend.gpu_min_pixels` measured at start-up.
#[cfg(feature = "gpu")]
mod calibration;

// A front end balances over every daemon of a fleet (issue #13).
mod front_balance;

// Origins against real servers on 127.0.0.1: a web server (allow-list, private addresses,
// redirects, limits) and moto_server for S3 (plain keys and the Cloudinary backup layout).
mod origins;

// Rendered-variant cache through the pipeline: hits, LRU eviction, restarts, coalescing.
mod cache;

// Video through HTTP + gRPC: ImageKit and Cloudinary cuts, Range/HEAD, thumbnails, errors,
// WebM, cancellation when the client goes away (feature "video").
#[cfg(feature = "video")]
mod video_e2e;
// `l-video` and `l-subtitles` over a video: pixels in and out of the layer's window and
// place, subtitle colour, the base's duration and audio, and the 4xx of bad layers.
#[cfg(feature = "video")]
mod video_layers;
// Pixel checks against libvips references (tests/fixtures/vips).
mod references;

// The object-store cache backend against moto_server: restarts, coalescing, eviction, metrics.
mod cache_object;

// Production daemon: gRPC health from origins and GPU, /readyz, daemon-only /metrics.
mod daemon;

// Animated GIF/WebP end to end: frames, delays, f-auto, the first frame for still formats,
// max_frames → 413, GPU vs CPU on a tiny animation.
mod animation;

// Several variants of one source: executor batch (one GPU submission), TransformVariants, `xformd batch`.
mod variants;

// `xformd batch` over real daemons (issue #13): byte-identical to single renders, a daemon
// killed mid-run, stop and resume, shards, malformed manifests.
mod batch;

// The fleet harness shared by batch and batch_cli.
mod batch_harness;

// `xformd batch` as an operator runs it: the binary with daemon processes and SIGINT,
// `--dry-run`, outputs to a bucket on moto_server.
mod batch_cli;

// Attacks on signed URLs (issue #12 holes 1–3): tr queries on Cloudinary URLs, dialects
// without a key, ik-t revival, duplicated signature parameters.
mod signing_attacks;

// Attacks through client hints (issue #12 hole 8): Vary and cache-busting.
mod hint_attacks;

// Attacks on the daemon port (issue #12 hole 7): token, reflection, exposure.
mod grpc_attacks;

// Attacks on connections (issue #12 hole 6): slowloris, floods.
mod connection_attacks;

// Attacks through uploaded media (issue #12 hole 4): playlists and lists that make FFmpeg
// read other files or URLs (feature "video").
#[cfg(feature = "video")]
mod media_attacks;

// Attacks on the work budget (issue #12 hole 5 and parts of 9): chained effects, renders
// abandoned by their client or deadline, sources too large to read.
mod budget_attacks;

// Attacks through the web origin (issue #12 hole 9): encoded queries, redirects out of the base path.
mod origin_attacks;

// Faults (issue #12): origin reset mid-body or down, S3 500s, FFmpeg failure, unwritable
// cache, GPU device lost; each fails cleanly and the service keeps serving.
mod faults;
