//! The contactscan command: parse arguments, run the library, map errors to exit statuses.

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(status) => ExitCode::from(status),
        Err(error) if error.is::<contactscan::error::Interrupted>() => {
            eprintln!("contactscan: {error:#}");
            ExitCode::from(130)
        }
        Err(error) => {
            eprintln!("contactscan: error: {error:#}");
            ExitCode::from(2)
        }
    }
}
