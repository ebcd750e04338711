//! Live AWS: reads the caller's account, or sweeps its organization, into an [`Inventory`].
//!
//! - Credentials, region and endpoints come from the default AWS chain ([`crate::aws::config`]).
//! - An organization sweep first checks that it can work (`organization.rs`), then reads every
//!   ACTIVE account; accounts in other states are listed with their state and not read.
//! - GetAlternateContact requests are paced by a token bucket per calling identity
//!   ([`crate::aws::bucket`]) and retried with jittered backoff (`contacts.rs`); what cannot be read becomes
//!   an unreadable slot (an ERROR verdict), never a guess, and the sweep always finishes.
//! - With a role name, each member is read with its own credentials and its own bucket; the
//!   roles are assumed ahead of the reads (`sweep.rs`).
//! - The caller's interruption (Ctrl-C) stops the read with [`Interrupted`], naming what was
//!   not read.

pub(crate) mod contacts;
mod organization;
mod progress;
mod sweep;

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::{Region, SdkConfig};

use crate::aws::arn::role_arn;
use crate::aws::bucket::TokenBucket;
use crate::aws::config::{self, Clients};
use crate::aws::identity;
pub use crate::aws::retry::RetryPolicy;
use crate::clock;
use crate::error::{Error, InputError, Interrupted, Result};
use crate::inventory::{is_account_id, narrow, Account, Inventory, Organization, Slot, ACTIVE};
use contacts::{Counters, Reader};
pub use organization::placements;
use organization::CallerRole;
pub use progress::{NoProgress, Progress};
use sweep::{How, Target};

/// What to read and how.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Sweep the caller's organization instead of reading the caller's account alone.
    pub organization: bool,
    /// With `organization`: only these account ids (12 digits each); all when empty.
    pub accounts: Vec<String>,
    /// With `organization`: leave out these account ids.
    pub exclude_accounts: Vec<String>,
    /// With `organization`: assume this role in each member and read it in its own context.
    pub role_name: Option<String>,
    /// The AWS profile, else the default chain.
    pub profile: Option<String>,
    /// The AWS region, else the configuration's, else us-east-1.
    pub region: Option<String>,
    /// GetAlternateContact requests per second of each calling identity (burst 1.5 ×).
    pub max_rps: f64,
    /// Accounts read at once; `None` picks from the mode and `max_rps`.
    pub concurrency: Option<usize>,
    /// Retries and timeouts of the reads.
    pub retry: RetryPolicy,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            organization: false,
            accounts: Vec::new(),
            exclude_accounts: Vec::new(),
            role_name: None,
            profile: None,
            region: None,
            max_rps: DEFAULT_MAX_RPS,
            concurrency: None,
            retry: RetryPolicy::default(),
        }
    }
}

/// The GetAlternateContact quota of AWS: 10 requests per second per calling account.
pub const DEFAULT_MAX_RPS: f64 = 10.0;

/// Members read at once with a role name (each has its own quota).
const ROLE_CONCURRENCY: usize = 32;
/// Roles assumed at once, ahead of the reads.
const ASSUME_CONCURRENCY: usize = 8;

/// What a live read yields.
#[derive(Debug, Clone)]
pub struct LiveRead {
    /// The accounts read (and those listed but not ACTIVE, unread), with the organization.
    pub inventory: Inventory,
    /// `aws:account:<id>` or `aws:organization:<org id>`.
    pub source: String,
    /// The account whose credentials made the calls.
    pub caller_account_id: String,
    /// The region of the calls.
    pub region: String,
    /// `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: String,
    /// What the read took.
    pub stats: SweepStats,
    /// What the caller should be warned about (an excluded account that is not in the
    /// organization).
    pub warnings: Vec<String>,
}

/// Counts of a live read, as the closing summary shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepStats {
    /// Accounts whose contacts were read (or found unreadable).
    pub accounts_read: usize,
    /// Accounts listed but not read because they are not ACTIVE.
    pub skipped: usize,
    /// GetAlternateContact attempts.
    pub requests: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// Attempts answered with throttling.
    pub throttled: u64,
    /// Slots left unreadable.
    pub errors: u64,
    /// Roles assumed.
    pub roles_assumed: u64,
    /// Wall time from the first call to the last answer.
    pub elapsed: Duration,
}

/// Reads live AWS with the default configuration (`options.profile`, `options.region`),
/// telling `progress` how far it got; stops with [`Interrupted`] when `interrupt` completes
/// (the caller's Ctrl-C).
pub async fn read(
    options: &LiveOptions,
    progress: &mut dyn Progress,
    interrupt: impl Future<Output = ()>,
) -> Result<LiveRead> {
    validate(options)?;
    tokio::pin!(interrupt);
    let config = tokio::select! {
        biased;
        () = &mut interrupt => return Err(not_started()),
        config = config::load(options.profile.as_deref(), options.region.as_deref()) => config,
    };
    read_with(&config, options, progress, interrupt).await
}

/// Reads live AWS with `config` (its region, else us-east-1); stops with [`Interrupted`] when
/// `interrupt` completes. `options.profile` and `options.region` are not used: they are part of
/// `config`.
pub async fn read_with(
    config: &SdkConfig,
    options: &LiveOptions,
    progress: &mut dyn Progress,
    interrupt: impl Future<Output = ()>,
) -> Result<LiveRead> {
    validate(options)?;
    let started = Instant::now();
    let collected_at = clock::rfc3339(clock::now()?);
    let region = config::region_of(config);
    let partition = config::partition_of(&region).to_string();
    let clients = Clients::new(config, &region, &options.retry);
    let counters = Arc::new(Counters::default());
    tokio::pin!(interrupt);
    let plan = tokio::select! {
        biased;
        () = &mut interrupt => return Err(not_started()),
        plan = plan(&clients, options, &partition, &counters) => plan?,
    };
    let Plan {
        caller,
        organization,
        mut accounts,
        targets,
        source,
        warnings,
    } = plan;
    let accounts_read = targets.len();
    progress.started(accounts_read as u64);
    let context = sweep::Context {
        config: Arc::new(config.clone()),
        region: Region::new(region.clone()),
        sts: clients.sts.clone(),
        retry: options.retry.clone(),
        counters: counters.clone(),
        max_rps: options.max_rps,
        concurrency: options
            .concurrency
            .unwrap_or_else(|| default_concurrency(options)),
        assume_concurrency: ASSUME_CONCURRENCY,
    };
    let swept = sweep::sweep(&mut accounts, targets, &context, progress, interrupt).await;
    progress.finished();
    swept?;
    let stats = SweepStats {
        accounts_read,
        skipped: accounts.iter().filter(|a| !a.is_active()).count(),
        requests: counters.requests.load(Ordering::Relaxed),
        retries: counters.retries.load(Ordering::Relaxed),
        throttled: counters.throttled.load(Ordering::Relaxed),
        errors: counters.errors.load(Ordering::Relaxed),
        roles_assumed: counters.roles_assumed.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    };
    Ok(LiveRead {
        inventory: Inventory {
            collected_at,
            organization,
            accounts,
        },
        source,
        caller_account_id: caller,
        region,
        partition,
        stats,
        warnings,
    })
}

fn validate(options: &LiveOptions) -> Result<()> {
    if !(options.max_rps.is_finite() && options.max_rps > 0.0) {
        return Err(Error::aws(format!(
            "--max-rps: {} is not a positive number of requests per second (AWS allows 10)",
            options.max_rps
        )));
    }
    for (flag, ids) in [
        ("--accounts", &options.accounts),
        ("--exclude-accounts", &options.exclude_accounts),
    ] {
        if !options.organization && !ids.is_empty() {
            return Err(InputError::new(flag, "", "needs --org").into());
        }
        if let Some(bad) = ids.iter().find(|id| !is_account_id(id)) {
            return Err(InputError::new(
                flag,
                "",
                format!("{bad:?} is not an AWS account id; expected 12 digits"),
            )
            .into());
        }
    }
    match &options.role_name {
        Some(_) if !options.organization => {
            Err(InputError::new("--role-name", "", "needs --org").into())
        }
        Some(role) if role.trim().is_empty() => {
            Err(InputError::new("--role-name", "", "the role name is empty").into())
        }
        _ => Ok(()),
    }
}

fn default_concurrency(options: &LiveOptions) -> usize {
    if options.role_name.is_some() {
        ROLE_CONCURRENCY
    } else {
        // Enough accounts in flight (three reads each) to keep the bucket busy.
        (options.max_rps.ceil() as usize).clamp(4, 64)
    }
}

fn not_started() -> Error {
    Error::Interrupted(Interrupted {
        not_done: "not read: every account (interrupted before the reads began)".to_string(),
    })
}

/// What to read, once the caller and (with an organization) the accounts are known.
struct Plan {
    caller: String,
    organization: Option<Organization>,
    /// Every account of the inventory, slots not yet read.
    accounts: Vec<Account>,
    /// The ACTIVE accounts to read.
    targets: Vec<Target>,
    source: String,
    warnings: Vec<String>,
}

async fn plan(
    clients: &Clients,
    options: &LiveOptions,
    partition: &str,
    counters: &Arc<Counters>,
) -> Result<Plan> {
    let caller = identity::caller(&clients.sts, options.profile.as_deref())
        .await?
        .account_id;
    let caller_bucket = Arc::new(TokenBucket::for_quota(options.max_rps));
    let reader = |account_id: Option<String>, hint: Option<String>| Reader {
        client: clients.account.clone(),
        bucket: caller_bucket.clone(),
        account_id,
        retry: options.retry.clone(),
        counters: counters.clone(),
        hint,
    };
    if !options.organization {
        let account = organization::describe_account(&clients.organizations, &caller)
            .await
            .unwrap_or_else(|| Account::new(&caller, ACTIVE, Slot::Missing));
        return Ok(Plan {
            source: format!("aws:account:{caller}"),
            organization: None,
            accounts: vec![account],
            targets: vec![Target {
                index: 0,
                how: How::Ready(reader(None, None)),
            }],
            caller,
            warnings: Vec::new(),
        });
    }
    let central = options.role_name.is_none();
    let preflight = organization::preflight(&clients.organizations, &caller, central).await?;
    let listed = organization::list_accounts(&clients.organizations).await?;
    let (accounts, warnings) = narrow(
        listed,
        &options.accounts,
        &options.exclude_accounts,
        "the organization",
    )?;
    let management = &preflight.organization.management_account_id;
    let targets = accounts
        .iter()
        .enumerate()
        .filter(|(_, account)| account.is_active())
        .map(|(index, account)| {
            let how = if account.id == caller {
                // The management account cannot name itself: read in its own context.
                How::Ready(reader(None, None))
            } else if let Some(role) = &options.role_name {
                How::AssumeRole {
                    role_arn: role_arn(partition, &account.id, role),
                }
            } else {
                let hint = (preflight.caller_role == CallerRole::DelegatedAdministrator
                    && &account.id == management)
                    .then(|| {
                        "a delegated administrator may not read the management account: read it \
                         with --role-name, or run from the management account"
                            .to_string()
                    });
                How::Ready(reader(Some(account.id.clone()), hint))
            };
            Target { index, how }
        })
        .collect();
    Ok(Plan {
        source: format!("aws:organization:{}", preflight.organization.id),
        organization: Some(preflight.organization),
        accounts,
        targets,
        caller,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked_before_any_call() {
        let org = |f: fn(&mut LiveOptions)| {
            let mut options = LiveOptions {
                organization: true,
                ..LiveOptions::default()
            };
            f(&mut options);
            validate(&options)
        };
        assert!(org(|_| {}).is_ok());
        assert!(org(|o| o.max_rps = 0.0).is_err());
        assert!(org(|o| o.max_rps = f64::INFINITY).is_err());
        let error = org(|o| o.accounts = vec!["12345".to_string()]).unwrap_err();
        assert!(error.to_string().contains("12 digits"), "{error}");
        assert!(org(|o| o.exclude_accounts = vec!["abcdefghijkl".to_string()]).is_err());
        assert!(org(|o| o.role_name = Some(" ".to_string())).is_err());
        let standalone = LiveOptions {
            accounts: vec!["111111111111".to_string()],
            ..LiveOptions::default()
        };
        assert!(validate(&standalone).is_err());
    }

    #[test]
    fn concurrency_follows_the_mode() {
        let central = LiveOptions::default();
        assert_eq!(default_concurrency(&central), 10);
        let roles = LiveOptions {
            organization: true,
            role_name: Some("R".to_string()),
            ..LiveOptions::default()
        };
        assert_eq!(default_concurrency(&roles), ROLE_CONCURRENCY);
    }
}
