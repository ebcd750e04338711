//! Real parts for the live tests: moto's server (installed into `.venv/` on first use), a
//! fault-injecting proxy in front of it, and AWS SDK helpers that build organizations through
//! the API. Shared by `tests/live.rs` and `examples/live_bench.rs`.

#![allow(dead_code)] // Each user of this module needs a different part of it.

pub mod aws;
pub mod moto;
pub mod proxy;
pub mod venv;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The contactscan binary, pointed at `endpoint` with moto's test credentials and nothing
/// from the machine's AWS configuration, run in `dir` with "now" at `epoch`.
pub fn contactscan_command(binary: &Path, endpoint: &str, dir: &Path, epoch: &str) -> Command {
    let mut command = Command::new(binary);
    for name in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL_ACCOUNT",
        "AWS_ENDPOINT_URL_ORGANIZATIONS",
        "AWS_ENDPOINT_URL_STS",
        "AWS_ENDPOINT_URL_SECURITYHUB",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ] {
        command.env_remove(name);
    }
    command
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("SOURCE_DATE_EPOCH", epoch)
        .stdin(Stdio::null());
    command
}

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
