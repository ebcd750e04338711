//! Building AWS state through the API with the real Rust SDK (never by reaching into moto):
//! organizations, accounts, trusted access, alternate contacts.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_account::config::Credentials;
use aws_sdk_account::types::AlternateContactType;
use aws_sdk_organizations::types::OrganizationFeatureSet;

use super::runtime;

/// The account moto answers as for any long-term test credentials.
pub const MANAGEMENT: &str = "123456789012";

/// The role moto creates in every account `CreateAccount` makes.
pub const MEMBER_ROLE: &str = "OrganizationAccountAccessRole";

/// SDK configuration for `endpoint` with the test credentials, in us-east-1, ignoring the
/// machine's AWS profiles.
pub fn sdk_config(endpoint: &str) -> SdkConfig {
    runtime().block_on(
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::from_static("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
            .load(),
    )
}

/// One alternate contact to register.
#[derive(Debug, Clone)]
pub struct Contact {
    pub contact_type: &'static str,
    pub name: String,
    pub title: String,
    pub email: String,
    pub phone: String,
}

impl Contact {
    /// A contact of `contact_type` with these fields.
    pub fn new(
        contact_type: &'static str,
        name: &str,
        title: &str,
        email: &str,
        phone: &str,
    ) -> Self {
        Contact {
            contact_type,
            name: name.to_string(),
            title: title.to_string(),
            email: email.to_string(),
            phone: phone.to_string(),
        }
    }

    /// A contact that passes every rule.
    pub fn good(contact_type: &'static str) -> Self {
        let (name, email) = match contact_type {
            "SECURITY" => ("Security Operations", "security@acmecorp.io"),
            "BILLING" => ("Accounts Payable", "billing@acmecorp.io"),
            _ => ("Cloud Operations", "cloud-ops@acmecorp.io"),
        };
        Contact::new(contact_type, name, "Team", email, "+1 206 266 1000")
    }
}

/// AWS as the test's caller (the management account once it creates an organization).
pub struct Aws {
    pub config: SdkConfig,
    organizations: aws_sdk_organizations::Client,
    account: aws_sdk_account::Client,
}

impl Aws {
    /// Clients for `endpoint`.
    pub fn new(endpoint: &str) -> Aws {
        let config = sdk_config(endpoint);
        Aws {
            organizations: aws_sdk_organizations::Client::new(&config),
            account: aws_sdk_account::Client::new(&config),
            config,
        }
    }

    /// Creates an organization with all features; returns its id.
    pub fn create_organization(&self) -> String {
        let output = runtime()
            .block_on(
                self.organizations
                    .create_organization()
                    .feature_set(OrganizationFeatureSet::All)
                    .send(),
            )
            .expect("CreateOrganization");
        output
            .organization()
            .and_then(|o| o.id())
            .expect("organization id")
            .to_string()
    }

    /// Creates a member account; returns its id.
    pub fn create_account(&self, name: &str) -> String {
        let output = runtime()
            .block_on(
                self.organizations
                    .create_account()
                    .account_name(name)
                    .email(format!("aws-root+{name}@acmecorp.io"))
                    .send(),
            )
            .expect("CreateAccount");
        output
            .create_account_status()
            .and_then(|s| s.account_id())
            .expect("account id of a created account")
            .to_string()
    }

    /// Closes a member (moto makes it SUSPENDED at once).
    pub fn close_account(&self, id: &str) {
        runtime()
            .block_on(self.organizations.close_account().account_id(id).send())
            .expect("CloseAccount");
    }

    /// Turns on trusted access for account.amazonaws.com.
    pub fn enable_account_trusted_access(&self) {
        runtime()
            .block_on(
                self.organizations
                    .enable_aws_service_access()
                    .service_principal("account.amazonaws.com")
                    .send(),
            )
            .expect("EnableAWSServiceAccess");
    }

    /// Registers `contact` in `account` (`None`: the caller's own account).
    pub fn put_contact(&self, account: Option<&str>, contact: &Contact) {
        runtime()
            .block_on(
                self.account
                    .put_alternate_contact()
                    .set_account_id(account.map(str::to_string))
                    .alternate_contact_type(AlternateContactType::from(contact.contact_type))
                    .name(&contact.name)
                    .title(&contact.title)
                    .email_address(&contact.email)
                    .phone_number(&contact.phone)
                    .send(),
            )
            .expect("PutAlternateContact");
    }
}

impl Aws {
    /// The id of the organization's root.
    pub fn root_id(&self) -> String {
        let output = runtime()
            .block_on(self.organizations.list_roots().send())
            .expect("ListRoots");
        output.roots()[0].id().expect("root id").to_string()
    }

    /// Creates an organizational unit under `parent`; returns its id.
    pub fn create_ou(&self, parent: &str, name: &str) -> String {
        let output = runtime()
            .block_on(
                self.organizations
                    .create_organizational_unit()
                    .parent_id(parent)
                    .name(name)
                    .send(),
            )
            .expect("CreateOrganizationalUnit");
        output
            .organizational_unit()
            .and_then(|u| u.id())
            .expect("OU id")
            .to_string()
    }

    /// Moves `account` from the OU (or root) `from` to `to`.
    pub fn move_account(&self, account: &str, from: &str, to: &str) {
        runtime()
            .block_on(
                self.organizations
                    .move_account()
                    .account_id(account)
                    .source_parent_id(from)
                    .destination_parent_id(to)
                    .send(),
            )
            .expect("MoveAccount");
    }

    /// The contact of `contact_type` in `account` (`None`: the caller's own account); `None`
    /// when none is registered.
    pub fn get_contact(
        &self,
        account: Option<&str>,
        contact_type: &'static str,
    ) -> Option<Contact> {
        let output = runtime().block_on(
            self.account
                .get_alternate_contact()
                .set_account_id(account.map(str::to_string))
                .alternate_contact_type(AlternateContactType::from(contact_type))
                .send(),
        );
        let output = match output {
            Ok(output) => output,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return None
            }
            Err(error) => panic!("GetAlternateContact: {error:?}"),
        };
        let contact = output.alternate_contact()?;
        Some(Contact::new(
            contact_type,
            contact.name().unwrap_or_default(),
            contact.title().unwrap_or_default(),
            contact.email_address().unwrap_or_default(),
            contact.phone_number().unwrap_or_default(),
        ))
    }
}

/// An organization built for a test.
pub struct Org {
    pub id: String,
    /// Members in creation order (the management account is [`MANAGEMENT`]).
    pub members: Vec<String>,
    /// Members closed, so SUSPENDED.
    pub suspended: Vec<String>,
}

/// The contacts member `i` gets: a mix of complete, missing and faulty contacts, the same for
/// the same `i` in every run.
pub fn contacts_of(i: usize) -> Vec<Contact> {
    let good = Contact::good;
    match i % 7 {
        0 => vec![good("SECURITY"), good("BILLING"), good("OPERATIONS")],
        // No SECURITY contact (Security Hub Account.1 fails).
        1 => vec![good("BILLING"), good("OPERATIONS")],
        // Only SECURITY.
        2 => vec![good("SECURITY")],
        3 => vec![
            Contact::new(
                "SECURITY",
                "Security",
                "SecOps",
                "security@example.com",
                "+1 206 266 1000",
            ),
            good("BILLING"),
            good("OPERATIONS"),
        ],
        4 => vec![
            Contact::new(
                "SECURITY",
                "John Doe",
                "Engineer",
                "john.doe@gmail.com",
                "+1 206 266 1000",
            ),
            good("OPERATIONS"),
        ],
        5 => vec![
            good("SECURITY"),
            Contact::new(
                "BILLING",
                "Billing",
                "Finance",
                "billing@acmecorp.io",
                "555-0100",
            ),
            good("OPERATIONS"),
        ],
        // Nothing registered.
        _ => vec![],
    }
}

/// Creates an organization with `members` members whose contacts follow [`contacts_of`], the
/// management account with complete contacts, the last `suspended` members closed, and trusted
/// access for account.amazonaws.com on when `trusted_access`.
pub fn build_org(aws: &Aws, members: usize, suspended: usize, trusted_access: bool) -> Org {
    let id = aws.create_organization();
    for contact_type in ["SECURITY", "BILLING", "OPERATIONS"] {
        aws.put_contact(None, &Contact::good(contact_type));
    }
    let member_ids: Vec<String> = (0..members)
        .map(|i| aws.create_account(&format!("member-{i:04}")))
        .collect();
    for (i, member) in member_ids.iter().enumerate() {
        for contact in contacts_of(i) {
            aws.put_contact(Some(member), &contact);
        }
    }
    let suspended: Vec<String> = member_ids[members.saturating_sub(suspended)..].to_vec();
    for member in &suspended {
        aws.close_account(member);
    }
    if trusted_access {
        aws.enable_account_trusted_access();
    }
    Org {
        id,
        members: member_ids,
        suspended,
    }
}
