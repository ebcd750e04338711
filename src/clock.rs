//! "Now": the wall clock, or `SOURCE_DATE_EPOCH` when set (reproducible output).

use chrono::{DateTime, SecondsFormat, Utc};

use crate::error::InputError;

/// The current time, or the time `SOURCE_DATE_EPOCH` (seconds since 1970) names.
pub fn now() -> Result<DateTime<Utc>, InputError> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => value
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
            .ok_or_else(|| {
                InputError::new(
                    "SOURCE_DATE_EPOCH",
                    "",
                    format!("{value:?} is not a number of seconds since 1970-01-01"),
                )
            }),
        Err(_) => Ok(Utc::now()),
    }
}

/// RFC 3339 with seconds and a `Z`, as reports write times.
pub fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}
