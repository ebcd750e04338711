//! The hub that receives an account's findings: the caller's own, or a member's through its
//! role, checked before anything is sent.

use aws_config::SdkConfig;
use aws_sdk_securityhub::error::ProvideErrorMetadata;
use aws_sdk_securityhub::Client;

use crate::aws::arn::role_arn;
use crate::aws::error::summarize;
use crate::aws::{identity, roles};
use crate::error::{Error, Result};

/// The configuration whose credentials import findings of `account`: the caller's own, or, when
/// `account` is another account and a role name is given, that role's in it.
pub(crate) async fn config_for(
    config: &SdkConfig,
    account: &str,
    caller: &str,
    role_name: Option<&str>,
    partition: &str,
) -> Result<SdkConfig> {
    if account == caller {
        return Ok(config.clone());
    }
    let Some(role) = role_name else {
        return Err(Error::aws(format!(
            "findings of account {account} cannot be imported with the credentials of {caller}: \
             import with credentials of {account} (for snapshot scans, add \
             \"Organization\": {{\"ManagementAccountId\": \"<id>\"}} to the snapshot so that the \
             management account imports every finding), or give --role-name"
        )));
    };
    let sts = aws_sdk_sts::Client::new(config);
    let credentials = roles::assume(
        &sts,
        &role_arn(partition, account, role),
        "to import into this account's Security Hub",
    )
    .await
    .map_err(|refused| Error::aws(refused.message))?;
    Ok(roles::with_credentials(config, credentials))
}

/// Checks that Security Hub is enabled in the region for the account `config` signs for, and
/// that this account is `importer_account_id`, the one the findings belong to. A failure is a
/// pre-flight error (exit status 2).
pub(crate) async fn preflight(
    config: &SdkConfig,
    region: &str,
    importer_account_id: &str,
) -> Result<Client> {
    let client = Client::new(config);
    let caller = identity::caller(&aws_sdk_sts::Client::new(config), None)
        .await?
        .account_id;
    if caller != importer_account_id {
        return Err(Error::aws(format!(
            "the findings belong to account {importer_account_id}'s Security Hub, but the \
             credentials are of account {caller}: import with credentials of \
             {importer_account_id} (for snapshot scans, the organization's management account)"
        )));
    }
    if let Err(e) = client.describe_hub().send().await {
        let code = e.code().unwrap_or("");
        if matches!(code, "InvalidAccessException" | "ResourceNotFoundException") {
            return Err(Error::aws(format!(
                "Security Hub is not enabled in {region} for account {caller}: run `aws \
                 securityhub enable-security-hub --region {region}` (or enable it from the \
                 organization's Security Hub administrator), then import again"
            )));
        }
        return Err(Error::aws(format!(
            "cannot check Security Hub in {region}: {}",
            summarize(&e, "securityhub:DescribeHub", None)
        )));
    }
    Ok(client)
}
