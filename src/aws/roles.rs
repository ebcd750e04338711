//! `--role-name`: STS AssumeRole into a member, so that it is read (and its Security Hub
//! written) with its own credentials and its own quotas.

use std::time::SystemTime;

use aws_config::SdkConfig;
use aws_sdk_account::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_sts::error::ProvideErrorMetadata;

use crate::aws::error::summarize;

/// The session name members see in CloudTrail.
const SESSION_NAME: &str = "contactscan";

/// Why a role could not be assumed: the STS error code and a message naming the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeError {
    pub code: String,
    pub message: String,
}

/// Assumes `role_arn` with the caller's credentials; `purpose` ends the error message
/// ("to read this account").
pub async fn assume(
    sts: &aws_sdk_sts::Client,
    role_arn: &str,
    purpose: &str,
) -> Result<Credentials, AssumeError> {
    let refused = |code: &str, detail: String| AssumeError {
        code: code.to_string(),
        message: format!("cannot assume role {role_arn} {purpose}: {detail}"),
    };
    let output = sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name(SESSION_NAME)
        .send()
        .await
        .map_err(|error| {
            let code = error.code().unwrap_or("AssumeRoleFailed").to_string();
            let detail = summarize(&error, "sts:AssumeRole", None);
            refused(&code, detail)
        })?;
    let credentials = output.credentials().ok_or_else(|| {
        refused(
            "AssumeRoleFailed",
            "STS answered without credentials".to_string(),
        )
    })?;
    Ok(Credentials::new(
        credentials.access_key_id(),
        credentials.secret_access_key(),
        Some(credentials.session_token().to_string()),
        SystemTime::try_from(*credentials.expiration()).ok(),
        "contactscan-assume-role",
    ))
}

/// `config` with `credentials` (an assumed role) in place of its own.
pub fn with_credentials(config: &SdkConfig, credentials: Credentials) -> SdkConfig {
    config
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build()
}
