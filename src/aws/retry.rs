//! Retries of AWS calls that this tool paces itself (GetAlternateContact, PutAlternateContact):
//! which failures are worth another attempt, and how long to wait before it.

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use aws_sdk_account::config::http::HttpResponse;
use aws_sdk_account::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::aws::error;

/// How paced calls are retried: throttling (429), 5xx, timeouts and connection errors get
/// another attempt after a jittered exponential backoff; every attempt waits on the token
/// bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per call, the first included.
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

/// A failed attempt, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth another attempt; `throttled` when the server said we were too fast.
    Transient {
        code: String,
        message: String,
        throttled: bool,
    },
    /// Another attempt would fail the same way (access denied, a bad request...).
    Permanent { code: String, message: String },
}

/// Sorts the error of one attempt: throttling, 5xx, timeouts, connection and response errors
/// are transient; everything else is permanent.
pub fn classify<E>(error: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let transient = |code: &str, message: String, throttled: bool| Failure::Transient {
        code: code.to_string(),
        message,
        throttled,
    };
    match error {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let service_error = context.err();
            let code = service_error.code().unwrap_or("UnknownError").to_string();
            let message = service_error
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| format!("HTTP status {status}"));
            if status == 429
                || matches!(
                    code.as_str(),
                    "TooManyRequestsException"
                        | "ThrottlingException"
                        | "Throttling"
                        | "RequestLimitExceeded"
                )
            {
                transient(&code, message, true)
            } else if status >= 500 || code == "InternalServerException" {
                transient(&code, message, false)
            } else {
                Failure::Permanent { code, message }
            }
        }
        SdkError::TimeoutError(_) => transient(
            "RequestTimeout",
            "no answer within the attempt timeout".to_string(),
            false,
        ),
        SdkError::DispatchFailure(failure) if !failure.is_user() => {
            transient("ConnectionError", describe(error), false)
        }
        SdkError::ResponseError(_) => transient("ResponseError", describe(error), false),
        _ => Failure::Permanent {
            code: "ClientError".to_string(),
            message: describe(error),
        },
    }
}

/// A client-side failure in one line (never the SDK's `Debug` dump).
fn describe<E>(failure: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    error::classify(failure, None).describe("the call")
}

/// The wait before retry number `attempt` (1-based): exponential from the initial backoff,
/// capped, with "equal jitter" (half fixed, half random) so that callers throttled together do
/// not come back together.
pub fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
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
