//! Who is calling: STS GetCallerIdentity.

use aws_sdk_sts::error::DisplayErrorContext;

use crate::error::{Error, Result};
use crate::inventory::is_account_id;

/// The identity whose credentials sign the calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The 12-digit account id.
    pub account_id: String,
    /// The ARN of the user or role session.
    pub arn: String,
}

/// Asks STS who the caller is; `purpose` says what for, in the error.
pub async fn caller(sts: &aws_sdk_sts::Client, purpose: &str) -> Result<Caller> {
    let identity = sts.get_caller_identity().send().await.map_err(|error| {
        Error::aws(format!(
            "cannot identify the caller {purpose} (sts:GetCallerIdentity): {}; configure AWS \
             credentials (environment variables, --profile, `aws sso login`, an instance role)",
            DisplayErrorContext(&error)
        ))
    })?;
    let account_id = identity
        .account()
        .filter(|id| is_account_id(id))
        .ok_or_else(|| Error::aws("STS GetCallerIdentity answered without an account id"))?;
    Ok(Caller {
        account_id: account_id.to_string(),
        arn: identity.arn().unwrap_or_default().to_string(),
    })
}
