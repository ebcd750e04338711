//! Reading the three alternate contacts of one account: GetAlternateContact, paced by the
//! identity's token bucket, retried with jittered exponential backoff, and turned into slots.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_account::error::SdkError;
use aws_sdk_account::operation::get_alternate_contact::{
    GetAlternateContactError, GetAlternateContactOutput,
};
use aws_sdk_account::types::AlternateContactType;

use crate::aws::bucket::TokenBucket;
use crate::aws::retry::{self, Failure, RetryPolicy};
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
    /// Attempts in a row, across the sweep, that reached no endpoint (connection refused or
    /// reset, timed out) since the last answer of any kind.
    pub unanswered_in_a_row: AtomicU64,
    /// The last of those failures, to name it.
    pub last_unanswered: Mutex<String>,
}

/// Attempts in a row without any answer after which the endpoint counts as gone: more than a
/// whole read's retries, across the sweep, with nothing answered in between.
pub(crate) const DEAD_ENDPOINT_ATTEMPTS: u64 = 24;

impl Counters {
    /// The failure that shows the endpoint is gone, once enough attempts in a row got no answer.
    pub fn dead_endpoint(&self) -> Option<String> {
        (self.unanswered_in_a_row.load(Ordering::Relaxed) >= DEAD_ENDPOINT_ATTEMPTS).then(|| {
            self.last_unanswered
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        })
    }
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
            if let Some(failure) = self.counters.dead_endpoint() {
                // The sweep stops; this slot is not read.
                return self.finish(Slot::Unreadable {
                    code: "EndpointUnreachable".to_string(),
                    message: failure,
                });
            }
            self.bucket.acquire().await;
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let result = self
                .client
                .get_alternate_contact()
                .alternate_contact_type(AlternateContactType::from(contact_type.as_str()))
                .set_account_id(self.account_id.clone())
                .send()
                .await;
            let answered = match &result {
                Err(SdkError::DispatchFailure(failure)) => {
                    !(failure.is_io() || failure.is_timeout())
                }
                Err(SdkError::TimeoutError(_)) => false,
                _ => true,
            };
            if answered {
                self.counters
                    .unanswered_in_a_row
                    .store(0, Ordering::Relaxed);
            }
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
                    if !answered {
                        self.counters
                            .unanswered_in_a_row
                            .fetch_add(1, Ordering::Relaxed);
                        *self
                            .counters
                            .last_unanswered
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner) = message.clone();
                    }
                    (code, message)
                }
            };
            if attempt >= attempts {
                let message = format!("{message} (gave up after {attempt} attempts)");
                return self.finish(Slot::Unreadable { code, message });
            }
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(retry::backoff(&self.retry, attempt)).await;
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
    if let SdkError::ServiceError(context) = &error {
        if context.err().is_resource_not_found_exception() {
            return Attempt::Done(Slot::Missing);
        }
    }
    match retry::classify(&error) {
        Failure::Transient {
            code,
            message,
            throttled,
        } => Attempt::Retry {
            code,
            message,
            throttled,
        },
        Failure::Permanent { code, message } => Attempt::Done(Slot::Unreadable { code, message }),
    }
}
