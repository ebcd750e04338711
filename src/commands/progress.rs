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
    retries: u64,
    throttled: u64,
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
            retries: 0,
            throttled: 0,
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
                "{spinner} reading contacts {bar:30} {pos}/{len} accounts {elapsed} (eta {eta}) {msg}",
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
                        "contactscan: read {}/{} accounts ({}%){}",
                        self.done,
                        self.total,
                        now * 10,
                        retries_note(self.retries, self.throttled)
                    );
                }
            }
        }
    }

    fn retries(&mut self, retries: u64, throttled: u64) {
        if retries == self.retries {
            return;
        }
        self.retries = retries;
        self.throttled = throttled;
        match &self.mode {
            Mode::Bar(bar) => bar.set_message(retries_note(retries, throttled)),
            // Off a terminal, the first retries of a quiet stretch are worth a line.
            Mode::Lines { .. } if retries.is_power_of_two() => eprintln!(
                "contactscan: read {}/{} accounts so far{}",
                self.done,
                self.total,
                retries_note(retries, throttled)
            ),
            _ => {}
        }
    }

    fn finished(&mut self) {
        if let Mode::Bar(bar) = &self.mode {
            bar.finish_and_clear();
        }
        self.mode = Mode::Off;
    }
}

/// `, 12 retries (3 throttled)`, or nothing before the first retry.
fn retries_note(retries: u64, throttled: u64) -> String {
    if retries == 0 {
        String::new()
    } else {
        format!(
            ", {retries} retr{} ({throttled} throttled)",
            if retries == 1 { "y" } else { "ies" }
        )
    }
}

impl Drop for Stderr {
    fn drop(&mut self) {
        self.finished();
    }
}
