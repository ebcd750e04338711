//! AWS Organizations: the pre-flight checks of an organization sweep, the account list, and
//! where accounts sit in the tree of organizational units.

use std::collections::HashMap;

use aws_sdk_organizations::error::ProvideErrorMetadata;
use aws_sdk_organizations::types::OrganizationFeatureSet;

use crate::aws::error::summarize;
use crate::error::{Error, Result};
use crate::fix::desired::{OrganizationalUnit, Placement};
use crate::inventory::{Account, Organization, Slot, ACTIVE};

/// The service principal of the Account Management API.
pub(crate) const ACCOUNT_SERVICE_PRINCIPAL: &str = "account.amazonaws.com";

/// How the caller relates to the organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallerRole {
    /// The caller is the management account.
    Management,
    /// The caller is a delegated administrator for account.amazonaws.com.
    DelegatedAdministrator,
}

/// What the pre-flight found out.
#[derive(Debug, Clone)]
pub(crate) struct Preflight {
    pub organization: Organization,
    pub caller_role: CallerRole,
}

/// Checks that an organization sweep can work before reading anything: the caller is in an
/// organization with all features, is its management account or a delegated administrator for
/// the Account Management API and, when members are read through Organizations
/// (`central_reads`), trusted access for account.amazonaws.com is on. Every failure says what to
/// do.
pub(crate) async fn preflight(
    client: &aws_sdk_organizations::Client,
    caller: &str,
    central_reads: bool,
) -> Result<Preflight> {
    let described = match client.describe_organization().send().await {
        Ok(output) => output,
        Err(error) if error.code() == Some("AWSOrganizationsNotInUseException") => {
            return Err(Error::aws(format!(
                "account {caller} is not a member of an AWS Organization, so --org has nothing to \
             sweep; drop --org to scan this account alone"
            )))
        }
        Err(error) => {
            return Err(Error::aws(format!(
                "cannot describe the organization of account {caller}: {}",
                summarize(&error, "organizations:DescribeOrganization", None)
            )))
        }
    };
    let org = described
        .organization()
        .ok_or_else(|| Error::aws("DescribeOrganization answered without an organization"))?;
    let id = org.id().unwrap_or_default().to_string();
    let management_account_id = org.master_account_id().unwrap_or_default().to_string();
    if central_reads && org.feature_set() != Some(&OrganizationFeatureSet::All) {
        return Err(Error::aws(format!(
            "organization {id} does not have all features enabled (feature set {}); the Account \
             Management API reads members only with all features: run \
             `aws organizations enable-all-features` from the management account, or read each \
             member with its own role (--role-name)",
            org.feature_set().map(|f| f.as_str()).unwrap_or("unknown")
        )));
    }
    let caller_role = if caller == management_account_id {
        CallerRole::Management
    } else if is_delegated_administrator(client, caller).await {
        CallerRole::DelegatedAdministrator
    } else {
        return Err(Error::aws(format!(
            "account {caller} is neither the management account of organization {id} \
             ({management_account_id}) nor a delegated administrator for \
             {ACCOUNT_SERVICE_PRINCIPAL}; run from the management account, or register this \
             account there with `aws organizations register-delegated-administrator \
             --account-id {caller} --service-principal {ACCOUNT_SERVICE_PRINCIPAL}`"
        )));
    };
    if central_reads && !trusted_access_enabled(client, &id).await? {
        return Err(Error::aws(format!(
            "trusted access for {ACCOUNT_SERVICE_PRINCIPAL} is not enabled in organization {id}, \
             so the Account Management API cannot read member accounts; enable it from the \
             management account with `aws organizations enable-aws-service-access \
             --service-principal {ACCOUNT_SERVICE_PRINCIPAL}`, or read each member with its own \
             role (--role-name)"
        )));
    }
    Ok(Preflight {
        organization: Organization {
            id,
            management_account_id,
        },
        caller_role,
    })
}

/// Whether `caller` is a delegated administrator for account.amazonaws.com. A refusal of the
/// question (a member without Organizations permissions, or a service that rejects the
/// principal) counts as "no".
async fn is_delegated_administrator(client: &aws_sdk_organizations::Client, caller: &str) -> bool {
    let mut pages = client
        .list_delegated_administrators()
        .service_principal(ACCOUNT_SERVICE_PRINCIPAL)
        .into_paginator()
        .items()
        .send();
    while let Some(item) = pages.next().await {
        match item {
            Ok(admin) if admin.id() == Some(caller) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

async fn trusted_access_enabled(
    client: &aws_sdk_organizations::Client,
    organization_id: &str,
) -> Result<bool> {
    let mut pages = client
        .list_aws_service_access_for_organization()
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| {
            Error::aws(format!(
                "cannot check trusted access for {ACCOUNT_SERVICE_PRINCIPAL} in organization \
                 {organization_id}: {}",
                summarize(
                    &error,
                    "organizations:ListAWSServiceAccessForOrganization",
                    None
                )
            ))
        })?;
        if page
            .enabled_service_principals()
            .iter()
            .any(|service| service.service_principal() == Some(ACCOUNT_SERVICE_PRINCIPAL))
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Every account of the organization, in listing order, with slots not yet read.
pub(crate) async fn list_accounts(client: &aws_sdk_organizations::Client) -> Result<Vec<Account>> {
    let mut accounts = Vec::new();
    let mut pages = client.list_accounts().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| {
            Error::aws(format!(
                "cannot list the accounts of the organization: {}",
                summarize(&error, "organizations:ListAccounts", None)
            ))
        })?;
        for account in page.accounts() {
            let Some(id) = account.id() else { continue };
            accounts.push(unread_account(
                id,
                account.name(),
                account.email(),
                state_of(account),
            ));
        }
    }
    Ok(accounts)
}

/// Accounts whose parents are asked for at once.
const PLACEMENT_CONCURRENCY: usize = 8;

/// Where each of `account_ids` sits: the root and the OUs down to its parent, by ListParents
/// (for each account, then up from each OU) and DescribeOrganizationalUnit (for names). Each OU
/// is read once per call.
pub async fn placements(
    client: &aws_sdk_organizations::Client,
    account_ids: &[String],
) -> Result<HashMap<String, Placement>> {
    let mut parents: HashMap<String, String> = HashMap::new();
    let mut pending = account_ids.iter();
    let mut asking = tokio::task::JoinSet::new();
    loop {
        while asking.len() < PLACEMENT_CONCURRENCY {
            let Some(id) = pending.next() else { break };
            let (client, id) = (client.clone(), id.clone());
            asking.spawn(async move {
                let parent = parent_of(&client, &id).await;
                (id, parent)
            });
        }
        let Some(joined) = asking.join_next().await else {
            break;
        };
        let (id, parent) =
            joined.map_err(|e| Error::aws(format!("an Organizations lookup failed: {e}")))?;
        parents.insert(id, parent?);
    }
    let mut chains: HashMap<String, Vec<OrganizationalUnit>> = HashMap::new();
    let mut placements = HashMap::new();
    for id in account_ids {
        let ancestors = chain(client, &parents[id], &mut chains).await?;
        placements.insert(id.clone(), Placement { ancestors });
    }
    Ok(placements)
}

/// The id of the parent of an account or OU (the root's starts with `r-`).
async fn parent_of(client: &aws_sdk_organizations::Client, child: &str) -> Result<String> {
    let output = client
        .list_parents()
        .child_id(child)
        .send()
        .await
        .map_err(|error| {
            Error::aws(format!(
                "cannot read the parent of {child} (needed for the `ous` selectors of \
                 [[contacts.overrides]]): {}",
                summarize(&error, "organizations:ListParents", None)
            ))
        })?;
    let parent = output
        .parents()
        .first()
        .and_then(|p| p.id())
        .map(str::to_string)
        .ok_or_else(|| Error::aws(format!("ListParents answered no parent for {child}")))?;
    Ok(parent)
}

/// The root and OUs from the top down to `unit` (included), cached in `chains`.
async fn chain(
    client: &aws_sdk_organizations::Client,
    unit: &str,
    chains: &mut HashMap<String, Vec<OrganizationalUnit>>,
) -> Result<Vec<OrganizationalUnit>> {
    // Walk up to a unit already known (or the root), then down again naming each.
    let mut path_up: Vec<String> = Vec::new();
    let mut current = unit.to_string();
    let mut top = loop {
        if let Some(known) = chains.get(&current) {
            break known.clone();
        }
        if current.starts_with("r-") {
            break vec![OrganizationalUnit {
                id: current.clone(),
                path: "Root".to_string(),
            }];
        }
        path_up.push(current.clone());
        current = parent_of(client, &current).await?;
    };
    chains.entry(current).or_insert_with(|| top.clone());
    for id in path_up.into_iter().rev() {
        let name = describe_unit(client, &id).await?;
        let parent_path = top.last().map_or("Root".to_string(), |u| u.path.clone());
        top.push(OrganizationalUnit {
            path: format!("{parent_path}/{name}"),
            id: id.clone(),
        });
        chains.insert(id, top.clone());
    }
    Ok(top)
}

async fn describe_unit(client: &aws_sdk_organizations::Client, id: &str) -> Result<String> {
    let output = client
        .describe_organizational_unit()
        .organizational_unit_id(id)
        .send()
        .await
        .map_err(|error| {
            Error::aws(format!(
                "cannot describe organizational unit {id}: {}",
                summarize(&error, "organizations:DescribeOrganizationalUnit", None)
            ))
        })?;
    output
        .organizational_unit()
        .and_then(|u| u.name())
        .map(str::to_string)
        .ok_or_else(|| {
            Error::aws(format!(
                "DescribeOrganizationalUnit answered no name for {id}"
            ))
        })
}

/// Name, root email and state of one account, when Organizations answers.
pub(crate) async fn describe_account(
    client: &aws_sdk_organizations::Client,
    id: &str,
) -> Option<Account> {
    let output = client.describe_account().account_id(id).send().await.ok()?;
    let account = output.account()?;
    Some(unread_account(
        id,
        account.name(),
        account.email(),
        state_of(account),
    ))
}

/// `State`, else the retired `Status`, else ACTIVE.
#[allow(deprecated)] // `Status` is read only as the fallback AWS documents for `State`.
fn state_of(account: &aws_sdk_organizations::types::Account) -> String {
    account
        .state()
        .map(|s| s.as_str().to_string())
        .or_else(|| account.status().map(|s| s.as_str().to_string()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| ACTIVE.to_string())
}

fn unread_account(id: &str, name: Option<&str>, email: Option<&str>, state: String) -> Account {
    Account {
        name: name.unwrap_or_default().to_string(),
        email: email.unwrap_or_default().to_string(),
        ..Account::new(id, state, Slot::Missing)
    }
}
