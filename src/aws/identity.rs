//! Who is calling: STS GetCallerIdentity.

use crate::aws::error::summarize;
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

/// Asks STS who the caller is; `profile` is the profile asked for, to name it when its
/// credentials cannot be found.
pub async fn caller(sts: &aws_sdk_sts::Client, profile: Option<&str>) -> Result<Caller> {
    let identity = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|error| Error::aws(summarize(&error, "sts:GetCallerIdentity", profile)))?;
    let account_id = identity
        .account()
        .filter(|id| is_account_id(id))
        .ok_or_else(|| Error::aws("STS GetCallerIdentity answered without an account id"))?;
    Ok(Caller {
        account_id: account_id.to_string(),
        arn: identity.arn().unwrap_or_default().to_string(),
    })
}
