//! The contactscan command: parse arguments, run the library, map errors to exit statuses.

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (its option numbers are part of mimalloc's ABI).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Freed memory stays with the process instead of going back to the system a second later:
    // a large scan frees its evaluation's memory just before its reports need as much, and
    // mapping it again costs a page fault per 4 KiB (on 100,000 accounts, 0.15 s of system
    // time with four reports). The run ends soon after its peak either way.
    // SAFETY: set before any other thread exists, as mi_option_set requires.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
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

#[cfg(test)]
mod tests {
    use super::MI_OPTION_PURGE_DELAY;

    #[test]
    fn the_option_set_at_start_is_mimallocs_purge_delay() {
        // Unset, it holds its default, 1000 ms, which no other option of mimalloc has: a
        // mimalloc that numbered its options otherwise fails here.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
            assert_eq!(delay, 1000);
        }
    }
}
