//! The sweep: reads many accounts with bounded concurrency, assumes roles ahead of the reads,
//! and stops cleanly when interrupted.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use aws_config::{Region, SdkConfig};
use tokio::task::{JoinError, JoinSet};

use super::contacts::{Counters, Reader};
use super::progress::Progress;
use crate::aws::bucket::TokenBucket;
use crate::aws::config::account_client;
use crate::aws::retry::RetryPolicy;
use crate::aws::roles::{self, AssumeError};
use crate::error::{Error, Interrupted, Result};
use crate::inventory::{Account, Slot};

/// How one account is read.
pub(crate) enum How {
    /// With this reader as it is: the caller's own account, or a member through Organizations.
    Ready(Reader),
    /// Assume this role in the member first, then read in its context with its own bucket.
    AssumeRole { role_arn: String },
}

/// One account to read: its index in the inventory and how.
pub(crate) struct Target {
    pub index: usize,
    pub how: How,
}

/// What the sweep shares with its tasks.
#[derive(Clone)]
pub(crate) struct Context {
    pub config: Arc<SdkConfig>,
    pub region: Region,
    pub sts: aws_sdk_sts::Client,
    pub retry: RetryPolicy,
    pub counters: Arc<Counters>,
    /// Requests per second of each identity's bucket.
    pub max_rps: f64,
    /// Accounts read at once.
    pub concurrency: usize,
    /// Roles assumed at once (ahead of the reads, at most `concurrency` ready and waiting).
    pub assume_concurrency: usize,
}

/// Reads every target into `accounts`, or returns [`Interrupted`] as soon as `interrupt`
/// completes, dropping (and so cancelling) what is in flight.
pub(crate) async fn sweep(
    accounts: &mut [Account],
    targets: Vec<Target>,
    context: &Context,
    progress: &mut dyn Progress,
    interrupt: impl Future<Output = ()>,
) -> Result<()> {
    tokio::pin!(interrupt);
    let total = targets.len();
    let mut unread = vec![false; accounts.len()];
    for target in &targets {
        unread[target.index] = true;
    }
    let mut queue: VecDeque<Target> = targets.into();
    let mut ready: VecDeque<(usize, Reader)> = VecDeque::new();
    let mut assuming: JoinSet<(usize, Result<Reader, AssumeError>)> = JoinSet::new();
    let mut reading: JoinSet<(usize, [Slot; 3])> = JoinSet::new();
    let concurrency = context.concurrency.max(1);
    let mut tick = tokio::time::interval(PROGRESS_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        // Start assuming roles ahead of the reads, and queue what needs no role.
        while let Some(target) = queue.front() {
            match &target.how {
                How::Ready(_) => {}
                How::AssumeRole { .. }
                    if assuming.len() < context.assume_concurrency.max(1)
                        && assuming.len() + ready.len() < concurrency => {}
                How::AssumeRole { .. } => break,
            }
            let Some(target) = queue.pop_front() else {
                break;
            };
            match target.how {
                How::Ready(reader) => ready.push_back((target.index, reader)),
                How::AssumeRole { role_arn } => {
                    let context = context.clone();
                    assuming.spawn(async move {
                        (target.index, assume_reader(&context, &role_arn).await)
                    });
                }
            }
        }
        while reading.len() < concurrency {
            let Some((index, reader)) = ready.pop_front() else {
                break;
            };
            reading.spawn(async move { (index, reader.read_all().await) });
        }
        if queue.is_empty() && ready.is_empty() && assuming.is_empty() && reading.is_empty() {
            return Ok(());
        }
        if let Some(failure) = context.counters.dead_endpoint() {
            return Err(endpoint_gone(&failure, accounts, &unread, total));
        }
        tokio::select! {
            biased;
            () = &mut interrupt => {
                return Err(interrupted(accounts, &unread, total));
            }
            _ = tick.tick() => {
                progress.retries(
                    context.counters.retries.load(Ordering::Relaxed),
                    context.counters.throttled.load(Ordering::Relaxed),
                );
            }
            Some(joined) = assuming.join_next(), if !assuming.is_empty() => {
                let (index, assumed) = joined.map_err(task_failed)?;
                match assumed {
                    Ok(reader) => ready.push_back((index, reader)),
                    Err(refused) => {
                        context.counters.errors.fetch_add(3, Ordering::Relaxed);
                        let slot = Slot::Unreadable { code: refused.code, message: refused.message };
                        accounts[index].slots = [slot.clone(), slot.clone(), slot];
                        unread[index] = false;
                        progress.account_done();
                    }
                }
            }
            Some(joined) = reading.join_next(), if !reading.is_empty() => {
                let (index, slots) = joined.map_err(task_failed)?;
                accounts[index].slots = slots;
                unread[index] = false;
                progress.account_done();
            }
        }
    }
}

/// Assumes the role and builds the member's reader, with a bucket of its own.
async fn assume_reader(context: &Context, role_arn: &str) -> Result<Reader, AssumeError> {
    let credentials = roles::assume(&context.sts, role_arn, "to read this account").await?;
    context
        .counters
        .roles_assumed
        .fetch_add(1, Ordering::Relaxed);
    Ok(Reader {
        client: account_client(
            &context.config,
            &context.region,
            Some(credentials),
            context.retry.attempt_timeout,
        ),
        bucket: Arc::new(TokenBucket::for_quota(context.max_rps)),
        account_id: None,
        retry: context.retry.clone(),
        counters: context.counters.clone(),
        hint: None,
    })
}

fn task_failed(error: JoinError) -> Error {
    match error.try_into_panic() {
        Ok(panic) => std::panic::resume_unwind(panic),
        Err(error) => Error::aws(format!("a read task was cancelled: {error}")),
    }
}

/// Ids listed in the interruption message before it says "and N more".
const LISTED_IDS: usize = 10;
/// How often the progress hears of retries while reads are under way.
const PROGRESS_TICK: std::time::Duration = std::time::Duration::from_millis(250);

/// `n of total accounts (id, id, ... and N more)` for the accounts still to be read.
fn not_read(accounts: &[Account], unread: &[bool], total: usize) -> String {
    let unread: Vec<&str> = accounts
        .iter()
        .zip(unread)
        .filter(|(_, &unread)| unread)
        .map(|(account, _)| account.id.as_str())
        .collect();
    let mut ids: Vec<&str> = unread.iter().take(LISTED_IDS).copied().collect();
    let more = unread.len().saturating_sub(LISTED_IDS);
    let more = (more > 0).then(|| format!("and {more} more"));
    if let Some(more) = &more {
        ids.push(more);
    }
    format!(
        "{} of {total} account{} ({})",
        unread.len(),
        if total == 1 { "" } else { "s" },
        ids.join(", ")
    )
}

/// The error for an endpoint that stopped answering: the sweep stops instead of retrying
/// every slot against it.
fn endpoint_gone(failure: &str, accounts: &[Account], unread: &[bool], total: usize) -> Error {
    Error::aws(format!(
        "the Account Management endpoint stopped answering ({failure}); the sweep stopped; not \
         read: {}. Check the network, a proxy, or AWS_ENDPOINT_URL, then run again",
        not_read(accounts, unread, total)
    ))
}

/// The error for an interruption; `unread[i]` says whether `accounts[i]` is still to be read.
fn interrupted(accounts: &[Account], unread: &[bool], total: usize) -> Error {
    Error::Interrupted(Interrupted {
        not_done: format!("not read: {}", not_read(accounts, unread, total)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::ACTIVE;

    fn account(i: usize) -> Account {
        Account::new(format!("{i:012}"), ACTIVE, Slot::Missing)
    }

    #[test]
    fn the_interruption_names_what_was_not_read() {
        let accounts: Vec<Account> = (0..30).map(account).collect();
        let mut unread = vec![false; 30];
        unread[3] = true;
        unread[4] = true;
        let error = interrupted(&accounts, &unread, 30);
        let Error::Interrupted(Interrupted { not_done: what }) = &error else {
            panic!("not an interruption: {error}");
        };
        assert_eq!(
            what,
            "not read: 2 of 30 accounts (000000000003, 000000000004)"
        );
        let unread: Vec<bool> = (0..30).map(|i| i >= 5).collect();
        let error = interrupted(&accounts, &unread, 30);
        let text = error.to_string();
        assert!(text.contains("25 of 30 accounts (000000000005,"), "{text}");
        assert!(text.contains("000000000014, and 15 more)"), "{text}");
    }
}
