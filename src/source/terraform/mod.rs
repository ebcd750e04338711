//! The Terraform source (`scan --terraform`): the alternate contacts a configuration declares
//! (`aws_account_alternate_contact`) and the accounts it creates (`aws_organizations_account`),
//! from the HCL evaluated statically or from a plan's `terraform show -json`, each value
//! located where it is written.
//!
//! `hcl.rs` loads a module's files, `eval.rs` evaluates expressions (with `functions.rs`,
//! `vars.rs` for variable values), `modules.rs` walks module instances, `plan.rs` reads a plan,
//! and `inventory.rs` maps what was resolved to accounts.

mod eval;
mod functions;
mod hcl;
mod inventory;
mod modules;
mod plan;
mod value;
mod vars;

use std::path::{Path, PathBuf};

pub use self::vars::Given;
use crate::error::InputError;
use crate::inventory::{ContactField, ContactType, Inventory, Location};

/// The resource type of an alternate contact.
pub(crate) const CONTACT: &str = "aws_account_alternate_contact";

/// The functions static evaluation follows (any other makes the value unknown).
pub fn supported_functions() -> &'static [&'static str] {
    functions::SUPPORTED
}

/// What to scan.
#[derive(Debug, Clone)]
pub struct Request {
    /// A root module directory, or a plan from `terraform show -json`.
    pub path: PathBuf,
    /// With a plan: the configuration's root module, to locate values in the HCL.
    pub dir: Option<PathBuf>,
    /// Variable values (`--var-file`, `--var`).
    pub given: Given,
}

/// The account an alternate contact belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRef {
    /// `account_id` is known.
    Id(String),
    /// `account_id` is the id of an account the configuration creates: its resource address.
    Created(String),
    /// No `account_id`: the account of this provider configuration (`aws`, `aws.security`).
    Provider(String),
    /// `account_id` is not known before apply: why.
    Unknown(String),
}

/// A contact field's value, or why it is not known, and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The value, or why it is not known (naming the expression and what resolves it).
    pub value: Result<String, String>,
    /// Where the value is written.
    pub at: Option<Location>,
}

/// One `aws_account_alternate_contact` instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Its address, as Terraform writes it (`module.acct["prod"].aws_account_alternate_contact.security`).
    pub address: String,
    /// The account it belongs to.
    pub account: AccountRef,
    /// The type, or why it (or the resource's instances) is not known.
    pub contact_type: Result<ContactType, String>,
    /// By [`ContactField::index`].
    pub fields: [Field; 4],
    /// The resource block.
    pub declared_at: Option<Location>,
}

impl Contact {
    /// The value of a field, when known.
    pub fn value(&self, field: ContactField) -> Option<&str> {
        self.fields[field.index()].value.as_deref().ok()
    }
}

/// One `aws_organizations_account` instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedAccount {
    /// Its address (`aws_organizations_account.prod`), the account's id in findings.
    pub address: String,
    /// Its `name`, when known.
    pub name: Option<String>,
    /// Its `email` (the root email), when known.
    pub email: Option<String>,
    /// The resource block.
    pub at: Option<Location>,
    /// Why its instances are not known, when they are not.
    pub undetermined: Option<String>,
}

/// What a configuration or plan declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    /// Every contact resource instance, in the order declared.
    pub contacts: Vec<Contact>,
    /// Every account resource instance, in the order declared.
    pub accounts: Vec<CreatedAccount>,
    /// What was not scanned (remote modules), for stderr.
    pub warnings: Vec<String>,
}

/// Whether `path` is a plan in JSON (a file whose object has `format_version`) rather than a
/// directory of `.tf` files.
pub fn is_plan(path: &Path) -> bool {
    path.is_file()
}

/// Resolves the contacts and accounts of a configuration or a plan.
pub fn resolve(request: &Request) -> Result<Resolved, InputError> {
    if is_plan(&request.path) {
        let located = match &request.dir {
            Some(dir) => Some(modules::resolve(dir, &request.given)?),
            None => None,
        };
        plan::resolve(&request.path, located.as_ref())
    } else {
        if request.dir.is_some() {
            return Err(InputError::new(
                "--terraform-dir",
                "",
                "goes with a plan: --terraform plan.json --terraform-dir DIR; --terraform already names the directory",
            ));
        }
        modules::resolve(&request.path, &request.given)
    }
}

/// Reads a configuration or plan into an inventory, with the warnings to print.
pub fn read(request: &Request) -> Result<(Inventory, Vec<String>), InputError> {
    // Evaluation recurses along expressions and locals: a thread with the rules' stack holds
    // the deepest configuration the evaluator's limits let through.
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("contactscan-terraform".to_string())
            .stack_size(crate::engine::limits::RULE_STACK)
            .spawn_scoped(scope, || {
                let resolved = resolve(request)?;
                Ok((inventory::of(&resolved), resolved.warnings))
            })
            .map_err(|e| {
                InputError::new(
                    "--terraform",
                    "",
                    format!("cannot start the evaluator: {e}"),
                )
            })?
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
