//! Real parts for the live tests: moto's server (installed into `.venv/` on first use), a
//! fault-injecting proxy in front of it, and AWS SDK helpers that build organizations through
//! the API. Shared by `tests/live.rs` and `examples/live_bench.rs`.

#![allow(dead_code)] // Each user of this module needs a different part of it.

pub mod aws;
pub mod moto;
pub mod proxy;
pub mod venv;

use std::sync::OnceLock;

/// The runtime that runs the proxies and the SDK calls of the helpers; test threads block on it.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .expect("cannot start the tokio runtime of the test support")
    })
}
