//! Progress of a live sweep on stderr: a bar on a terminal, a line per tenth elsewhere (CI
//! logs).

use std::io::IsTerminal;
use std::time::Duration;

use contactscan::source::aws::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Sweeps of fewer accounts than this print no progress lines when stderr is not a terminal.
const LINES_FROM: u64 = 20;

/// Shows how many accounts of a sweep are read.
pub struct Stderr {
    enabled: bool,
    mode: Mode,
    total: u64,
    done: u64,
}

enum Mode {
    Off,
    Bar(ProgressBar),
    /// Not a terminal: the last tenth reported.
    Lines {
        tenth: u64,
    },
}

impl Stderr {
    /// Progress on stderr; `enabled` false shows nothing.
    pub fn new(enabled: bool) -> Stderr {
        Stderr {
            enabled,
            mode: Mode::Off,
            total: 0,
            done: 0,
        }
    }
}

impl Progress for Stderr {
    fn started(&mut self, total: u64) {
        self.total = total;
        self.mode = if !self.enabled {
            Mode::Off
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} reading contacts {bar:30} {pos}/{len} accounts {elapsed} (eta {eta})",
            ) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            Mode::Bar(bar)
        } else if total >= LINES_FROM {
            Mode::Lines { tenth: 0 }
        } else {
            Mode::Off
        };
    }

    fn account_done(&mut self) {
        self.done += 1;
        match &mut self.mode {
            Mode::Off => {}
            Mode::Bar(bar) => bar.inc(1),
            Mode::Lines { tenth } => {
                let now = self.done * 10 / self.total.max(1);
                if now > *tenth && self.done < self.total {
                    *tenth = now;
                    eprintln!(
                        "contactscan: read {}/{} accounts ({}%)",
                        self.done,
                        self.total,
                        now * 10
                    );
                }
            }
        }
    }

    fn finished(&mut self) {
        if let Mode::Bar(bar) = &self.mode {
            bar.finish_and_clear();
        }
        self.mode = Mode::Off;
    }
}

impl Drop for Stderr {
    fn drop(&mut self) {
        self.finished();
    }
}
