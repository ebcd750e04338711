//! Progress of a sweep on stderr: a bar on a terminal, a line per tenth elsewhere (CI logs),
//! and a one-line summary at the end.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::SweepStats;

/// Sweeps of fewer accounts than this print no progress lines when stderr is not a terminal.
const LINES_FROM: u64 = 20;

/// Reports how many accounts of a sweep are read.
pub(crate) struct Progress {
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

impl Progress {
    /// Progress over `total` accounts; `enabled` false shows nothing.
    pub fn new(enabled: bool, total: u64) -> Progress {
        let mode = if !enabled {
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
        Progress {
            mode,
            total,
            done: 0,
        }
    }

    /// One more account read.
    pub fn account_done(&mut self) {
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

    /// Removes the bar (before the summary or an error is printed).
    pub fn clear(&mut self) {
        if let Mode::Bar(bar) = &self.mode {
            bar.finish_and_clear();
        }
        self.mode = Mode::Off;
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

/// The one-line summary of a live read.
pub(crate) fn summary_line(stats: &SweepStats) -> String {
    let mut line = format!(
        "contactscan: read {} account{} in {:.1}s: {} read{}, {} retr{} ({} throttled), {} unreadable slot{}",
        stats.accounts_read,
        plural(stats.accounts_read as u64, "", "s"),
        stats.elapsed.as_secs_f64(),
        stats.requests,
        plural(stats.requests, "", "s"),
        stats.retries,
        plural(stats.retries, "y", "ies"),
        stats.throttled,
        stats.errors,
        plural(stats.errors, "", "s"),
    );
    if stats.roles_assumed > 0 {
        line.push_str(&format!(", {} roles assumed", stats.roles_assumed));
    }
    if stats.skipped > 0 {
        line.push_str(&format!(", {} not active (skipped)", stats.skipped));
    }
    line
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_everything_in_one_line() {
        let stats = SweepStats {
            accounts_read: 100,
            skipped: 2,
            requests: 312,
            retries: 12,
            throttled: 3,
            errors: 1,
            roles_assumed: 0,
            elapsed: Duration::from_millis(28_740),
        };
        assert_eq!(
            summary_line(&stats),
            "contactscan: read 100 accounts in 28.7s: 312 reads, 12 retries (3 throttled), \
             1 unreadable slot, 2 not active (skipped)"
        );
    }
}
