//! The one integration-test binary. Each module below owns one kind of test.

// Shared helpers: start_server() on 127.0.0.1:0, fixtures, frame comparison, backends.
mod common;

// End to end over the real HTTP front end and the real gRPC daemon (in-process, loopback).
mod grpc;

// Every kernel × every available backend against the CPU reference, declared tolerances.
mod backends;

// Scans src/ `use` lines against the dependency rules in src/lib.rs.
mod architecture;

// Video cutting and thumbnails on real clips through FFmpeg (feature "video").
#[cfg(feature = "video")]
mod video;
