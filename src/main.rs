//! The contactscan command: parse arguments, run the library, map errors to exit statuses.

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(status) => ExitCode::from(status),
        Err(error) if is_interruption(&error) => {
            eprintln!("contactscan: {error:#}");
            ExitCode::from(130)
        }
        Err(error) => {
            eprintln!("contactscan: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether the run was interrupted (Ctrl-C): exit status 130.
fn is_interruption(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<contactscan::error::Error>(),
        Some(contactscan::error::Error::Interrupted(_))
    )
}
