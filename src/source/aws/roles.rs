//! `--role-name`: STS AssumeRole into a member, so it is read with its own credentials (and
//! its own GetAlternateContact quota).

use std::time::SystemTime;

use aws_sdk_account::config::Credentials;
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata};

/// The session name members see in CloudTrail.
const SESSION_NAME: &str = "contactscan";

/// `arn:<partition>:iam::<account>:role/<role>`; `role` may carry a path (`path/Role`).
pub(crate) fn role_arn(partition: &str, account_id: &str, role: &str) -> String {
    format!(
        "arn:{partition}:iam::{account_id}:role/{}",
        role.trim_start_matches('/')
    )
}

/// Why a role could not be assumed: the STS error code and a message naming the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AssumeError {
    pub code: String,
    pub message: String,
}

/// Assumes `role_arn` with the caller's credentials.
pub(crate) async fn assume(
    sts: &aws_sdk_sts::Client,
    role_arn: &str,
) -> Result<Credentials, AssumeError> {
    let refused = |code: &str, detail: String| AssumeError {
        code: code.to_string(),
        message: format!("cannot assume role {role_arn} to read this account: {detail}"),
    };
    let output = sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name(SESSION_NAME)
        .send()
        .await
        .map_err(|error| {
            let code = error.code().unwrap_or("AssumeRoleFailed").to_string();
            let detail = error
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| DisplayErrorContext(&error).to_string());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_carry_the_partition_and_the_path() {
        assert_eq!(
            role_arn("aws", "123456789012", "OrganizationAccountAccessRole"),
            "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"
        );
        assert_eq!(
            role_arn("aws-cn", "123456789012", "/audit/ContactReader"),
            "arn:aws-cn:iam::123456789012:role/audit/ContactReader"
        );
    }
}
