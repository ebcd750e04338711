//! Live AWS: reads the caller's account, or sweeps its organization, into an [`Inventory`].
//!
//! - Credentials, region and endpoints come from the default AWS chain ([`config`]).
//! - An organization sweep first checks that it can work (`organization.rs`), then reads every
//!   ACTIVE account; accounts in other states are listed with their state and not read.
//! - GetAlternateContact requests are paced by a token bucket per calling identity
//!   ([`bucket`]) and retried with jittered backoff (`contacts.rs`); what cannot be read becomes
//!   an unreadable slot (an ERROR verdict), never a guess, and the sweep always finishes.
//! - With a role name, each member is read with its own credentials and its own bucket; the
//!   roles are assumed ahead of the reads (`sweep.rs`).
//! - Ctrl-C stops the read with [`Interrupted`], naming what was not read.

pub mod bucket;
pub mod config;
mod contacts;
mod organization;
mod progress;
mod roles;
mod sweep;

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use aws_config::{Region, SdkConfig};
use aws_sdk_sts::error::DisplayErrorContext;

use crate::clock;
use crate::error::Interrupted;
use crate::inventory::{is_account_id, Account, Inventory, Organization, Slot, ACTIVE};
use bucket::TokenBucket;
use config::Clients;
use contacts::{Counters, Reader};
use organization::CallerRole;
use progress::Progress;
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
    /// Show progress, warnings and the closing summary on stderr.
    pub progress: bool,
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
            progress: false,
        }
    }
}

/// The GetAlternateContact quota of AWS: 10 requests per second per calling account.
pub const DEFAULT_MAX_RPS: f64 = 10.0;

/// Members read at once with a role name (each has its own quota).
const ROLE_CONCURRENCY: usize = 32;
/// Roles assumed at once, ahead of the reads.
const ASSUME_CONCURRENCY: usize = 8;

/// How GetAlternateContact reads are retried: throttling (429), 5xx, timeouts and connection
/// errors get another attempt after a jittered exponential backoff; every attempt waits on the
/// token bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per read, the first included.
    pub max_attempts: u32,
    /// Backoff ceiling before the first retry; it doubles with each retry.
    pub initial_backoff: Duration,
    /// Largest backoff.
    pub max_backoff: Duration,
    /// Timeout of one attempt (of any AWS call).
    pub attempt_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(10),
        }
    }
}

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

/// Reads live AWS with the default configuration (`options.profile`, `options.region`);
/// Ctrl-C interrupts it with [`Interrupted`].
pub async fn read(options: &LiveOptions) -> anyhow::Result<LiveRead> {
    validate(options)?;
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No signal handling here: never interrupt.
            std::future::pending::<()>().await;
        }
    };
    tokio::pin!(interrupt);
    let config = tokio::select! {
        biased;
        () = &mut interrupt => return Err(not_started()),
        config = config::load(options.profile.as_deref(), options.region.as_deref()) => config,
    };
    read_with(&config, options, interrupt).await
}

/// Reads live AWS with `config` (its region, else us-east-1); stops with [`Interrupted`] when
/// `interrupt` completes. `options.profile` and `options.region` are not used: they are part of
/// `config`.
pub async fn read_with(
    config: &SdkConfig,
    options: &LiveOptions,
    interrupt: impl Future<Output = ()>,
) -> anyhow::Result<LiveRead> {
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
    } = plan;
    let accounts_read = targets.len();
    let mut progress = Progress::new(
        options.progress && options.organization,
        accounts_read as u64,
    );
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
    sweep::sweep(&mut accounts, targets, &context, &mut progress, interrupt).await?;
    progress.clear();
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
    if options.progress {
        eprintln!("{}", progress::summary_line(&stats));
    }
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
    })
}

fn validate(options: &LiveOptions) -> anyhow::Result<()> {
    if !(options.max_rps.is_finite() && options.max_rps > 0.0) {
        bail!(
            "--max-rps: {} is not a positive number of requests per second (AWS allows 10)",
            options.max_rps
        );
    }
    for (flag, ids) in [
        ("--accounts", &options.accounts),
        ("--exclude-accounts", &options.exclude_accounts),
    ] {
        if !options.organization && !ids.is_empty() {
            bail!("{flag} needs --org");
        }
        if let Some(bad) = ids.iter().find(|id| !is_account_id(id)) {
            bail!("{flag}: {bad:?} is not an AWS account id; expected 12 digits");
        }
    }
    match &options.role_name {
        Some(_) if !options.organization => bail!("--role-name needs --org"),
        Some(role) if role.trim().is_empty() => bail!("--role-name: the role name is empty"),
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

fn not_started() -> anyhow::Error {
    anyhow::Error::new(Interrupted {
        unread: "every account (interrupted before the reads began)".to_string(),
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
}

async fn plan(
    clients: &Clients,
    options: &LiveOptions,
    partition: &str,
    counters: &Arc<Counters>,
) -> anyhow::Result<Plan> {
    let caller = caller_identity(&clients.sts).await?;
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
            .unwrap_or_else(|| Account {
                id: caller.clone(),
                name: String::new(),
                email: String::new(),
                state: ACTIVE.to_string(),
                slots: [Slot::Missing, Slot::Missing, Slot::Missing],
            });
        return Ok(Plan {
            source: format!("aws:account:{caller}"),
            organization: None,
            accounts: vec![account],
            targets: vec![Target {
                index: 0,
                how: How::Ready(reader(None, None)),
            }],
            caller,
        });
    }
    let central = options.role_name.is_none();
    let preflight = organization::preflight(&clients.organizations, &caller, central).await?;
    let listed = organization::list_accounts(&clients.organizations).await?;
    let (accounts, warnings) =
        organization::narrow(listed, &options.accounts, &options.exclude_accounts)?;
    if options.progress {
        for warning in warnings {
            eprintln!("contactscan: warning: {warning}");
        }
    }
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
                    role_arn: roles::role_arn(partition, &account.id, role),
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
    })
}

async fn caller_identity(sts: &aws_sdk_sts::Client) -> anyhow::Result<String> {
    let identity = sts.get_caller_identity().send().await.map_err(|error| {
        anyhow!(
            "cannot identify the caller with STS GetCallerIdentity: {}; configure AWS credentials \
             (environment variables, --profile, `aws sso login`, an instance role)",
            DisplayErrorContext(&error)
        )
    })?;
    identity
        .account()
        .filter(|id| is_account_id(id))
        .map(str::to_string)
        .ok_or_else(|| anyhow!("STS GetCallerIdentity answered without an account id"))
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
