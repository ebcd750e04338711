//! Reading the three alternate contacts of one account: GetAlternateContact, paced by the
//! identity's token bucket, retried with jittered exponential backoff, and turned into slots.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_account::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_account::operation::get_alternate_contact::{
    GetAlternateContactError, GetAlternateContactOutput,
};
use aws_sdk_account::types::AlternateContactType;

use super::bucket::TokenBucket;
use super::RetryPolicy;
use crate::inventory::{AlternateContact, ContactType, Slot};

/// Counters of a sweep, shared by every reader.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// GetAlternateContact attempts sent.
    pub requests: AtomicU64,
    /// Attempts that were retries.
    pub retries: AtomicU64,
    /// Attempts answered with throttling.
    pub throttled: AtomicU64,
    /// Slots left unreadable.
    pub errors: AtomicU64,
    /// Roles assumed with `--role-name`.
    pub roles_assumed: AtomicU64,
}

/// Reads the contacts of one account in one calling context.
#[derive(Clone)]
pub(crate) struct Reader {
    pub client: aws_sdk_account::Client,
    /// The bucket of the identity that signs the requests.
    pub bucket: Arc<TokenBucket>,
    /// `Some(id)` to read a member through Organizations; `None` for the caller's own account.
    pub account_id: Option<String>,
    pub retry: RetryPolicy,
    pub counters: Arc<Counters>,
    /// Appended to the message of an unreadable slot (what to do about it).
    pub hint: Option<String>,
}

/// What one attempt tells us.
enum Attempt {
    Done(Slot),
    /// Worth another attempt; `throttled` when the server said we were too fast.
    Retry {
        code: String,
        message: String,
        throttled: bool,
    },
}

impl Reader {
    /// Reads the three slots concurrently (each waits on the bucket).
    pub async fn read_all(&self) -> [Slot; 3] {
        let (security, billing, operations) = tokio::join!(
            self.read(ContactType::Security),
            self.read(ContactType::Billing),
            self.read(ContactType::Operations),
        );
        [security, billing, operations]
    }

    /// Reads one slot; never fails: what cannot be read becomes [`Slot::Unreadable`].
    pub async fn read(&self, contact_type: ContactType) -> Slot {
        let attempts = self.retry.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.bucket.acquire().await;
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let result = self
                .client
                .get_alternate_contact()
                .alternate_contact_type(AlternateContactType::from(contact_type.as_str()))
                .set_account_id(self.account_id.clone())
                .send()
                .await;
            let (code, message) = match classify(result) {
                Attempt::Done(slot) => return self.finish(slot),
                Attempt::Retry {
                    code,
                    message,
                    throttled,
                } => {
                    if throttled {
                        self.counters.throttled.fetch_add(1, Ordering::Relaxed);
                        self.bucket.penalize();
                    }
                    (code, message)
                }
            };
            if attempt >= attempts {
                let message = format!("{message} (gave up after {attempt} attempts)");
                return self.finish(Slot::Unreadable { code, message });
            }
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(backoff(&self.retry, attempt)).await;
        }
    }

    fn finish(&self, slot: Slot) -> Slot {
        match slot {
            Slot::Unreadable { code, message } => {
                self.counters.errors.fetch_add(1, Ordering::Relaxed);
                let message = match &self.hint {
                    Some(hint) => format!("{message}; {hint}"),
                    None => message,
                };
                Slot::Unreadable { code, message }
            }
            other => other,
        }
    }
}

/// Sorts the answer of one attempt into a slot or a reason to retry.
fn classify(
    result: Result<GetAlternateContactOutput, SdkError<GetAlternateContactError>>,
) -> Attempt {
    let error = match result {
        Ok(output) => {
            let contact = output.alternate_contact();
            let field = |f: fn(&aws_sdk_account::types::AlternateContact) -> Option<&str>| {
                contact.and_then(f).unwrap_or_default().to_string()
            };
            return Attempt::Done(Slot::Registered(AlternateContact {
                name: field(|c| c.name()),
                title: field(|c| c.title()),
                email_address: field(|c| c.email_address()),
                phone_number: field(|c| c.phone_number()),
            }));
        }
        Err(error) => error,
    };
    let retry = |code: &str, message: String, throttled: bool| Attempt::Retry {
        code: code.to_string(),
        message,
        throttled,
    };
    match &error {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let service_error = context.err();
            let code = service_error.code().unwrap_or("UnknownError").to_string();
            let message = service_error
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| format!("HTTP status {status}"));
            if service_error.is_resource_not_found_exception() {
                Attempt::Done(Slot::Missing)
            } else if service_error.is_too_many_requests_exception()
                || status == 429
                || matches!(
                    code.as_str(),
                    "ThrottlingException" | "Throttling" | "RequestLimitExceeded"
                )
            {
                retry(&code, message, true)
            } else if service_error.is_internal_server_exception() || status >= 500 {
                retry(&code, message, false)
            } else {
                Attempt::Done(Slot::Unreadable { code, message })
            }
        }
        SdkError::TimeoutError(_) => retry(
            "RequestTimeout",
            "no answer within the attempt timeout".to_string(),
            false,
        ),
        SdkError::DispatchFailure(failure) if !failure.is_user() => retry(
            "ConnectionError",
            DisplayErrorContext(&error).to_string(),
            false,
        ),
        SdkError::ResponseError(_) => retry(
            "ResponseError",
            DisplayErrorContext(&error).to_string(),
            false,
        ),
        _ => Attempt::Done(Slot::Unreadable {
            code: "ClientError".to_string(),
            message: DisplayErrorContext(&error).to_string(),
        }),
    }
}

/// The wait before retry number `attempt` (1-based): exponential from the initial backoff,
/// capped, with "equal jitter" (half fixed, half random) so that readers throttled together do
/// not come back together.
pub(crate) fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(30);
    let ceiling = policy
        .initial_backoff
        .saturating_mul(1u32 << exponent)
        .min(policy.max_backoff);
    let half = ceiling / 2;
    half + half.mul_f64(random_fraction())
}

/// A number in [0, 1) from the standard library's randomly keyed hasher.
fn random_fraction() -> f64 {
    let bits = RandomState::new().hash_one(std::time::Instant::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_within_the_cap_with_jitter() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for (attempt, ceiling) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (40, 1000),
        ] {
            for _ in 0..50 {
                let wait = backoff(&policy, attempt).as_millis();
                assert!(
                    wait >= ceiling / 2 && wait <= ceiling,
                    "attempt {attempt}: {wait} ms outside {}..={ceiling}",
                    ceiling / 2
                );
            }
        }
    }

    #[test]
    fn random_fractions_stay_in_the_unit_interval() {
        for _ in 0..1000 {
            let x = random_fraction();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
