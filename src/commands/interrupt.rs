//! Ctrl-C and SIGTERM: noted by a watcher thread instead of killing the process, so that a
//! command stops where it is, removes its temporary files and says what was not done
//! (exit status 130).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use contactscan::error::{Error, Interrupted};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// How often a waiting [`signalled`] looks at the flag.
const POLL: Duration = Duration::from_millis(50);

/// Starts noting Ctrl-C and SIGTERM for the rest of the process.
pub fn watch() {
    std::thread::spawn(|| {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{signal, SignalKind};
                let Ok(mut terminate) = signal(SignalKind::terminate()) else {
                    return;
                };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
            INTERRUPTED.store(true, Ordering::SeqCst);
        });
    });
}

/// Whether Ctrl-C or SIGTERM arrived.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Completes when Ctrl-C or SIGTERM arrives (for the live read's `interrupt`).
pub async fn signalled() {
    while !interrupted() {
        tokio::time::sleep(POLL).await;
    }
}

/// `Err(Interrupted)` naming what was not done (`not written: ...`), once a signal arrived.
pub fn check(not_done: &str) -> anyhow::Result<()> {
    if interrupted() {
        return Err(stopped(not_done));
    }
    Ok(())
}

/// The interruption error naming what was not done.
pub fn stopped(not_done: &str) -> anyhow::Error {
    Error::Interrupted(Interrupted {
        not_done: not_done.to_string(),
    })
    .into()
}

/// A writer that stops writing once a signal arrived: the write fails, the report is
/// abandoned and its temporary file removed.
pub struct Guarded<W>(pub W);

/// The error a [`Guarded`] writer fails with.
#[derive(Debug)]
pub struct Stopped;

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Stopped {}

impl<W: Write> Write for Guarded<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if interrupted() {
            return Err(io::Error::other(Stopped));
        }
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Whether `error` is a [`Guarded`] writer stopping.
pub fn is_stop(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<Stopped>().is_some())
}
