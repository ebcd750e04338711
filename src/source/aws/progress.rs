//! What a live read tells its caller while it runs (the binary draws it), and the one-line
//! summary of a finished read.

use std::fmt;

use super::SweepStats;

/// Receives the progress of a sweep. The library never prints: the binary implements this with
/// a progress bar or log lines.
pub trait Progress: Send {
    /// The sweep is about to read `accounts` accounts.
    fn started(&mut self, _accounts: u64) {}
    /// One more account was read (or found unreadable).
    fn account_done(&mut self) {}
    /// So far, `retries` attempts were retries, `throttled` of them after throttling.
    fn retries(&mut self, _retries: u64, _throttled: u64) {}
    /// The sweep ended, read to the end or interrupted: what is drawn should go.
    fn finished(&mut self) {}
}

/// A [`Progress`] that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {}

impl fmt::Display for SweepStats {
    /// `read 100 accounts in 28.7s: 312 reads, 12 retries (3 throttled), 1 unreadable slot`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "read {} account{} in {:.1}s: {} read{}, {} retr{} ({} throttled), {} unreadable slot{}",
            self.accounts_read,
            plural(self.accounts_read as u64, "", "s"),
            self.elapsed.as_secs_f64(),
            self.requests,
            plural(self.requests, "", "s"),
            self.retries,
            plural(self.retries, "y", "ies"),
            self.throttled,
            self.errors,
            plural(self.errors, "", "s"),
        )?;
        if self.roles_assumed > 0 {
            write!(f, ", {} roles assumed", self.roles_assumed)?;
        }
        if self.skipped > 0 {
            write!(f, ", {} not active (skipped)", self.skipped)?;
        }
        Ok(())
    }
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
    use std::time::Duration;

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
            stats.to_string(),
            "read 100 accounts in 28.7s: 312 reads, 12 retries (3 throttled), \
             1 unreadable slot, 2 not active (skipped)"
        );
    }
}
