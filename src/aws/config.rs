//! AWS configuration: credentials, region and endpoints from the default chain, and the SDK
//! clients built on it with the retry and timeout settings of a sweep.

use std::time::Duration;

use aws_config::meta::region::ProvideRegion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_account::config::Credentials;

use crate::aws::retry::RetryPolicy;

/// The region used when neither `--region` nor the AWS configuration names one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Attempts of Organizations and STS calls (the SDK's standard retry mode retries throttling,
/// 5xx, timeouts and connection errors with jittered exponential backoff).
const CONTROL_PLANE_ATTEMPTS: u32 = 5;

/// Loads the default AWS configuration (environment, profiles, SSO, web identity, IMDS;
/// `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`), with `profile` and `region` overriding
/// it, and us-east-1 when no region is configured at all.
pub async fn load(profile: Option<&str>, region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    let config = loader.load().await;
    if config.region().is_some() {
        config
    } else {
        config
            .to_builder()
            .region(Region::from_static(DEFAULT_REGION))
            .build()
    }
}

/// The region the AWS configuration names, without reaching the network (for snapshot scans,
/// which call no AWS API unless they import): `AWS_REGION` or `AWS_DEFAULT_REGION`, else the
/// `region` of the profile (`profile`, else `AWS_PROFILE`, else `default`) in the shared config
/// file.
pub fn configured_region(profile: Option<&str>) -> Option<String> {
    let from_env = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|region| !region.trim().is_empty());
    if from_env.is_some() {
        return from_env;
    }
    let mut builder = aws_config::profile::ProfileFileRegionProvider::builder();
    if let Some(profile) = profile {
        builder = builder.profile_name(profile);
    }
    let provider = builder.build();
    let runtime = tokio::runtime::Builder::new_current_thread().build().ok()?;
    runtime
        .block_on(provider.region())
        .map(|region| region.as_ref().to_string())
}

/// The region of `config`, else us-east-1.
pub fn region_of(config: &SdkConfig) -> String {
    config
        .region()
        .map(|r| r.as_ref().to_string())
        .unwrap_or_else(|| DEFAULT_REGION.to_string())
}

/// The AWS partition a region belongs to: `aws-cn` for `cn-*`, `aws-us-gov` for `us-gov-*`,
/// `aws` otherwise.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The clients of the caller's identity.
#[derive(Clone)]
pub struct Clients {
    pub sts: aws_sdk_sts::Client,
    pub organizations: aws_sdk_organizations::Client,
    /// Account Management API with the SDK's own retries off: our loop retries, so that every
    /// attempt waits on the token bucket.
    pub account: aws_sdk_account::Client,
}

impl Clients {
    /// Builds the caller's clients on `config`, in `region`.
    pub fn new(config: &SdkConfig, region: &str, retry: &RetryPolicy) -> Clients {
        let region = Region::new(region.to_string());
        let control_retry = RetryConfig::standard().with_max_attempts(CONTROL_PLANE_ATTEMPTS);
        let control_timeout = TimeoutConfig::builder()
            .operation_attempt_timeout(retry.attempt_timeout)
            .build();
        let sts = aws_sdk_sts::config::Builder::from(config)
            .region(region.clone())
            .retry_config(control_retry.clone())
            .timeout_config(control_timeout.clone())
            .build();
        let organizations = aws_sdk_organizations::config::Builder::from(config)
            .region(region.clone())
            .retry_config(control_retry)
            .timeout_config(control_timeout)
            .build();
        Clients {
            sts: aws_sdk_sts::Client::from_conf(sts),
            organizations: aws_sdk_organizations::Client::from_conf(organizations),
            account: account_client(config, &region, None, retry.attempt_timeout),
        }
    }
}

/// An Account Management API client without SDK retries, with an attempt timeout, signing with
/// `credentials` when given (an assumed role) or the configuration's credentials.
pub fn account_client(
    config: &SdkConfig,
    region: &Region,
    credentials: Option<Credentials>,
    attempt_timeout: Duration,
) -> aws_sdk_account::Client {
    let mut builder = aws_sdk_account::config::Builder::from(config)
        .region(region.clone())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(attempt_timeout)
                .build(),
        );
    if let Some(credentials) = credentials {
        builder = builder.credentials_provider(credentials);
    }
    aws_sdk_account::Client::from_conf(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition_of("us-east-1"), "aws");
        assert_eq!(partition_of("eu-west-3"), "aws");
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("cn-northwest-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("us-gov-east-1"), "aws-us-gov");
    }

    #[test]
    fn a_config_without_region_reads_as_us_east_1() {
        let config = SdkConfig::builder().build();
        assert_eq!(region_of(&config), "us-east-1");
        let config = SdkConfig::builder()
            .region(Region::from_static("eu-central-1"))
            .build();
        assert_eq!(region_of(&config), "eu-central-1");
    }
}
