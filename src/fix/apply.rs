//! `contactscan fix --apply`: writes a plan's changes with PutAlternateContact and reads each
//! one back with GetAlternateContact to compare.
//!
//! - Members are written through Organizations (`AccountId`), the caller's own account in its
//!   own context; with a role name, each member with its own credentials.
//! - Writes are paced by a token bucket at the API's quota (5 requests/s, burst 8) per calling
//!   identity, read-backs by another at GetAlternateContact's (10/s); throttling, 5xx, timeouts
//!   and resets are retried with jittered backoff, as the sweep does.
//! - Every finished write becomes a line of the audit log at once.
//! - When `interrupt` completes, no write starts any more and none is retried; the writes in
//!   flight finish (and are read back and logged), so the record stays exact.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::{Region, SdkConfig};
use aws_sdk_account::types::AlternateContactType;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::aws::arn::role_arn;
use crate::aws::bucket::TokenBucket;
use crate::aws::config::{account_client, Clients};
use crate::aws::identity;
use crate::aws::retry::{self, Failure, RetryPolicy};
use crate::aws::roles;
use crate::clock;
use crate::error::{Error, InputError, Result};
use crate::fix::audit::{AuditLog, Entry};
use crate::fix::plan::{Item, Plan};
use crate::inventory::{AlternateContact, ContactType, Inventory, Slot};
use crate::source::aws::contacts::{Counters, Reader};
use crate::source::aws::Progress;

/// PutAlternateContact's quota: requests per second per calling account.
pub(crate) const PUT_RATE: f64 = 5.0;
/// PutAlternateContact's burst.
pub(crate) const PUT_BURST: f64 = 8.0;
/// GetAlternateContact's quota (the read-backs).
const READ_RATE: f64 = 10.0;
/// Accounts written at once through the caller (they share its buckets).
const CENTRAL_CONCURRENCY: usize = 8;
/// Accounts written at once with a role name (each has its own quota).
const ROLE_CONCURRENCY: usize = 32;

/// How a plan is applied.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Assume this role in each member and write it with the member's credentials.
    pub role_name: Option<String>,
    /// The AWS region of the calls.
    pub region: String,
    /// `aws`, `aws-cn` or `aws-us-gov` (role ARNs).
    pub partition: String,
    /// PutAlternateContact requests per second of each calling identity.
    pub put_rate: f64,
    /// Their burst.
    pub put_burst: f64,
    /// Retries and timeouts of the calls.
    pub retry: RetryPolicy,
}

impl ApplyOptions {
    /// The API's quotas and the default retries, in `region`.
    pub fn new(region: &str, role_name: Option<String>) -> ApplyOptions {
        ApplyOptions {
            role_name,
            region: region.to_string(),
            partition: crate::aws::config::partition_of(region).to_string(),
            put_rate: PUT_RATE,
            put_burst: PUT_BURST,
            retry: RetryPolicy::default(),
        }
    }
}

/// What became of one planned write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Written, and read back equal.
    Applied,
    /// The write was refused, or failed every attempt.
    Failed { code: String, message: String },
    /// Written, but GetAlternateContact answers something else.
    Mismatch { read: Slot },
    /// Written, but it could not be read back.
    Unverified { code: String, message: String },
    /// Not sent: the run was interrupted first.
    NotApplied,
}

impl Outcome {
    /// `applied`, `failed`, `mismatch`, `unverified`, `not_applied`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Failed { .. } => "failed",
            Outcome::Mismatch { .. } => "mismatch",
            Outcome::Unverified { .. } => "unverified",
            Outcome::NotApplied => "not_applied",
        }
    }

    /// Why, for anything but `applied` and `not_applied`.
    pub fn detail(&self) -> Option<String> {
        match self {
            Outcome::Failed { code, message } | Outcome::Unverified { code, message } => {
                Some(format!("{code}: {message}"))
            }
            Outcome::Mismatch { read } => Some(match read {
                Slot::Registered(_) => "read back a different contact".to_string(),
                _ => "read back without a contact".to_string(),
            }),
            Outcome::Applied | Outcome::NotApplied => None,
        }
    }
}

/// What an apply did.
#[derive(Debug, Clone)]
pub struct ApplyReport {
    /// The ARN of the caller (as the audit log names it).
    pub caller_arn: String,
    /// One per write of the plan: (index into `plan.items`, outcome), in plan order.
    pub outcomes: Vec<(usize, Outcome)>,
    /// Ctrl-C stopped it.
    pub interrupted: bool,
    /// The audit log could not be written: no write was started after that, and the writes
    /// from then on (listed in `outcomes`) are missing from the log.
    pub audit_error: Option<String>,
    /// PutAlternateContact attempts sent.
    pub requests: u64,
    /// Attempts answered with throttling.
    pub throttled: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// From the first write to the last answer.
    pub elapsed: Duration,
}

impl ApplyReport {
    /// Writes with this outcome.
    pub fn count(&self, outcome: &str) -> usize {
        self.outcomes
            .iter()
            .filter(|(_, o)| o.as_str() == outcome)
            .count()
    }

    /// Whether every write was applied and verified.
    pub fn complete(&self) -> bool {
        !self.interrupted
            && self.audit_error.is_none()
            && self.outcomes.iter().all(|(_, o)| *o == Outcome::Applied)
    }
}

/// Counters shared by the writers.
#[derive(Debug, Default)]
struct Stats {
    requests: AtomicU64,
    throttled: AtomicU64,
    retries: AtomicU64,
}

/// How one account is written.
enum How {
    /// With the caller's client (and buckets), naming the member or (`None`) itself.
    Caller { account_id: Option<String> },
    /// Assume this role first, then write in the member's own context.
    AssumeRole { role_arn: String },
}

/// Writes one account in one calling context.
#[derive(Clone)]
struct Writer {
    client: aws_sdk_account::Client,
    put_bucket: Arc<TokenBucket>,
    read_bucket: Arc<TokenBucket>,
    account_id: Option<String>,
    retry: RetryPolicy,
    stats: Arc<Stats>,
}

/// A finished write, sent to the loop that logs it.
struct Done {
    item: usize,
    outcome: Outcome,
}

/// Applies the changes of `plan` (made from `inventory`), recording each write in `audit`;
/// stops cleanly when `interrupt` completes. A plan with refusals is never applied.
pub async fn apply(
    config: &SdkConfig,
    inventory: &Inventory,
    plan: &Plan,
    options: &ApplyOptions,
    mut audit: Option<&mut AuditLog>,
    progress: &mut dyn Progress,
    interrupt: impl Future<Output = ()>,
) -> Result<ApplyReport> {
    if let Some(refusal) = plan.refusals.first() {
        return Err(InputError::new(
            "contactscan fix",
            "",
            format!("the plan is refused: {refusal}"),
        )
        .into());
    }
    let region = Region::new(options.region.clone());
    let clients = Clients::new(config, &options.region, &options.retry);
    let caller = identity::caller(&clients.sts, None).await?;
    let stats = Arc::new(Stats::default());
    let caller_writer = Writer {
        client: clients.account.clone(),
        put_bucket: Arc::new(put_bucket(options)),
        read_bucket: Arc::new(TokenBucket::for_quota(READ_RATE)),
        account_id: None,
        retry: options.retry.clone(),
        stats: stats.clone(),
    };
    // The writes of each account, in plan order.
    let mut queue: VecDeque<(How, Vec<usize>)> = VecDeque::new();
    for (index, item) in plan.items.iter().enumerate() {
        if !item.action.writes() {
            continue;
        }
        let id = &inventory.accounts[item.account].id;
        match queue.back_mut() {
            Some((_, items)) if plan.items[items[0]].account == item.account => items.push(index),
            _ => {
                let how = if *id == caller.account_id {
                    How::Caller { account_id: None }
                } else if let Some(role) = &options.role_name {
                    How::AssumeRole {
                        role_arn: role_arn(&options.partition, id, role),
                    }
                } else {
                    How::Caller {
                        account_id: Some(id.clone()),
                    }
                };
                queue.push_back((how, vec![index]));
            }
        }
    }
    let total: usize = queue.iter().map(|(_, items)| items.len()).sum();
    let concurrency = if options.role_name.is_some() {
        ROLE_CONCURRENCY
    } else {
        CENTRAL_CONCURRENCY
    };
    progress.started(total as u64);
    let started = Instant::now();
    let (stop, stopped) = watch::channel(false);
    let (sender, mut receiver) = mpsc::unbounded_channel::<Done>();
    let mut tasks: JoinSet<()> = JoinSet::new();
    let mut outcomes: Vec<Option<Outcome>> = vec![None; plan.items.len()];
    let mut interrupted = false;
    let mut audit_failed = false;
    let mut audit_error = None;
    tokio::pin!(interrupt);
    loop {
        while !interrupted && !audit_failed && tasks.len() < concurrency {
            let Some((how, items)) = queue.pop_front() else {
                break;
            };
            let writes: Vec<(usize, AlternateContact)> = items
                .iter()
                .map(|&i| (i, plan.items[i].after.clone().unwrap_or_default()))
                .collect();
            let contact_types = items.iter().map(|&i| plan.items[i].contact_type).collect();
            let context = AccountContext {
                how,
                caller: caller_writer.clone(),
                config: config.clone(),
                region: region.clone(),
                sts: clients.sts.clone(),
                options: options.clone(),
                stopped: stopped.clone(),
                sender: sender.clone(),
            };
            tasks.spawn(write_account(context, writes, contact_types));
        }
        if tasks.is_empty() && (queue.is_empty() || interrupted || audit_failed) {
            break;
        }
        tokio::select! {
            biased;
            () = &mut interrupt, if !interrupted => {
                interrupted = true;
                let _ = stop.send(true);
            }
            Some(done) = receiver.recv() => {
                record(&mut audit, &mut audit_error, inventory, plan, &caller.arn, &done);
                progress.account_done();
                outcomes[done.item] = Some(done.outcome);
            }
            Some(joined) = tasks.join_next() => {
                if let Err(error) = joined {
                    if let Ok(panic) = error.try_into_panic() {
                        std::panic::resume_unwind(panic);
                    }
                }
            }
        }
        if audit_error.is_some() && !audit_failed {
            // Without a record, no further write may start.
            audit_failed = true;
            let _ = stop.send(true);
        }
    }
    while let Ok(done) = receiver.try_recv() {
        record(
            &mut audit,
            &mut audit_error,
            inventory,
            plan,
            &caller.arn,
            &done,
        );
        progress.account_done();
        outcomes[done.item] = Some(done.outcome);
    }
    progress.finished();
    let outcomes = plan
        .items
        .iter()
        .enumerate()
        .filter(|(_, item)| item.action.writes())
        .map(|(i, _)| (i, outcomes[i].take().unwrap_or(Outcome::NotApplied)))
        .collect();
    Ok(ApplyReport {
        caller_arn: caller.arn,
        outcomes,
        interrupted,
        audit_error: audit_error.map(|e| e.to_string()),
        requests: stats.requests.load(Ordering::Relaxed),
        throttled: stats.throttled.load(Ordering::Relaxed),
        retries: stats.retries.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    })
}

/// The bucket of PutAlternateContact for one calling identity: the quota's rate, and its
/// burst less one token of headroom (as [`TokenBucket::for_quota`] keeps for reads).
fn put_bucket(options: &ApplyOptions) -> TokenBucket {
    TokenBucket::new(options.put_rate, options.put_burst - 1.0)
}

/// Writes the audit line of a finished write (never for one that was not sent).
fn record(
    audit: &mut Option<&mut AuditLog>,
    error: &mut Option<Error>,
    inventory: &Inventory,
    plan: &Plan,
    caller: &str,
    done: &Done,
) {
    let (Some(audit), None) = (audit.as_deref_mut(), error.as_ref()) else {
        return;
    };
    if done.outcome == Outcome::NotApplied {
        return;
    }
    let item: &Item = &plan.items[done.item];
    let Some(after) = &item.after else {
        return;
    };
    let time = clock::now().map_or_else(|_| String::new(), clock::rfc3339);
    let detail = done.outcome.detail();
    let read_back = match &done.outcome {
        Outcome::Mismatch {
            read: Slot::Registered(contact),
        } => Some(Some(contact)),
        Outcome::Mismatch { .. } => Some(None),
        _ => None,
    };
    let entry = Entry {
        time: &time,
        caller,
        account: &inventory.accounts[item.account].id,
        contact_type: item.contact_type,
        before: item.before.as_ref(),
        after,
        outcome: done.outcome.as_str(),
        error: detail.as_deref(),
        read_back,
    };
    if let Err(e) = audit.record(&entry) {
        *error = Some(e);
    }
}

/// What a task writing one account needs.
struct AccountContext {
    how: How,
    caller: Writer,
    config: SdkConfig,
    region: Region,
    sts: aws_sdk_sts::Client,
    options: ApplyOptions,
    stopped: watch::Receiver<bool>,
    sender: mpsc::UnboundedSender<Done>,
}

/// Writes the slots of one account, each concurrently, sending each outcome as it comes.
async fn write_account(
    context: AccountContext,
    writes: Vec<(usize, AlternateContact)>,
    contact_types: Vec<ContactType>,
) {
    let send = |item: usize, outcome: Outcome| {
        let _ = context.sender.send(Done { item, outcome });
    };
    let writer = match &context.how {
        How::Caller { account_id } => Writer {
            account_id: account_id.clone(),
            ..context.caller.clone()
        },
        How::AssumeRole { role_arn } => {
            if *context.stopped.borrow() {
                writes
                    .iter()
                    .for_each(|(item, _)| send(*item, Outcome::NotApplied));
                return;
            }
            match roles::assume(&context.sts, role_arn, "to write this account").await {
                Ok(credentials) => Writer {
                    client: account_client(
                        &context.config,
                        &context.region,
                        Some(credentials),
                        context.options.retry.attempt_timeout,
                    ),
                    put_bucket: Arc::new(put_bucket(&context.options)),
                    read_bucket: Arc::new(TokenBucket::for_quota(READ_RATE)),
                    account_id: None,
                    ..context.caller.clone()
                },
                Err(refused) => {
                    for (item, _) in &writes {
                        send(
                            *item,
                            Outcome::Failed {
                                code: refused.code.clone(),
                                message: refused.message.clone(),
                            },
                        );
                    }
                    return;
                }
            }
        }
    };
    let mut slots = JoinSet::new();
    for ((item, contact), contact_type) in writes.into_iter().zip(contact_types) {
        let writer = writer.clone();
        let stopped = context.stopped.clone();
        let sender = context.sender.clone();
        slots.spawn(async move {
            let outcome = writer.write(contact_type, &contact, stopped).await;
            let _ = sender.send(Done { item, outcome });
        });
    }
    while let Some(joined) = slots.join_next().await {
        if let Err(error) = joined {
            if let Ok(panic) = error.try_into_panic() {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

impl Writer {
    /// Writes one slot and reads it back. Once `stopped` says so, nothing more is sent: a
    /// write not yet sent is not applied, a failed one is not retried.
    async fn write(
        &self,
        contact_type: ContactType,
        contact: &AlternateContact,
        mut stopped: watch::Receiver<bool>,
    ) -> Outcome {
        let attempts = self.retry.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            if *stopped.borrow() {
                return Outcome::NotApplied;
            }
            tokio::select! {
                biased;
                _ = stopped.wait_for(|stop| *stop) => return Outcome::NotApplied,
                () = self.put_bucket.acquire() => {}
            }
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let result = self
                .client
                .put_alternate_contact()
                .set_account_id(self.account_id.clone())
                .alternate_contact_type(AlternateContactType::from(contact_type.as_str()))
                .name(&contact.name)
                .title(&contact.title)
                .email_address(&contact.email_address)
                .phone_number(&contact.phone_number)
                .send()
                .await;
            let error = match result {
                Ok(_) => break,
                Err(error) => error,
            };
            let (code, message) = match retry::classify(&error) {
                Failure::Permanent { code, message } => return Outcome::Failed { code, message },
                Failure::Transient {
                    code,
                    message,
                    throttled,
                } => {
                    if throttled {
                        self.stats.throttled.fetch_add(1, Ordering::Relaxed);
                        self.put_bucket.penalize();
                    }
                    (code, message)
                }
            };
            if attempt >= attempts {
                return Outcome::Failed {
                    code,
                    message: format!("{message} (gave up after {attempt} attempts)"),
                };
            }
            if *stopped.borrow() {
                return Outcome::Failed {
                    code,
                    message: format!("{message} (not retried: interrupted)"),
                };
            }
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            tokio::select! {
                biased;
                _ = stopped.wait_for(|stop| *stop) => return Outcome::Failed {
                    code,
                    message: format!("{message} (not retried: interrupted)"),
                },
                () = tokio::time::sleep(retry::backoff(&self.retry, attempt)) => {}
            }
        }
        let reader = Reader {
            client: self.client.clone(),
            bucket: self.read_bucket.clone(),
            account_id: self.account_id.clone(),
            retry: self.retry.clone(),
            counters: Arc::new(Counters::default()),
            hint: None,
        };
        match reader.read(contact_type).await {
            Slot::Registered(read) if read == *contact => Outcome::Applied,
            Slot::Unreadable { code, message } => Outcome::Unverified { code, message },
            read => Outcome::Mismatch { read },
        }
    }
}
