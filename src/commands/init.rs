//! `contactscan init`: a commented starter config for the organization at hand.

use std::path::PathBuf;

use anyhow::bail;
use contactscan::clock;
use contactscan::engine::org::OrgFacts;
use contactscan::inventory::Inventory;

use crate::cli::InitArgs;
use crate::commands::staged::{input_key, Target};
use crate::commands::{live, output, ui};

pub fn run(args: InitArgs) -> anyhow::Result<u8> {
    if args.output.exists() && !args.force {
        bail!(
            "{} exists; pass --force to overwrite it, or --output another path",
            args.output.display()
        );
    }
    let inputs: Vec<PathBuf> = args
        .input
        .as_deref()
        .and_then(input_key)
        .into_iter()
        .collect();
    let target = Target::check("--output", &args.output, &inputs)?;
    let (inventory, source) = match &args.input {
        Some(path) => {
            let inventory = live::snapshot(path, &args.live)?;
            (inventory, format!("snapshot {}", path.display()))
        }
        None => {
            let live = live::read(&args.live)?;
            (live.inventory, live.source)
        }
    };
    let today = clock::now()?.date_naive();
    output::text_to_file(
        &starter_config(&inventory, &source, &today.to_string()),
        &target,
    )?;
    ui::note(&format!(
        "wrote {}; review it, then run `contactscan scan`",
        args.output.display()
    ));
    Ok(0)
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn starter_config(inventory: &Inventory, source: &str, today: &str) -> String {
    let org = OrgFacts::of(inventory);
    let dominant = org
        .security_emails
        .iter()
        .max_by_key(|(email, count)| (**count, std::cmp::Reverse(email.as_str())));
    let expected = match dominant {
        Some((email, count)) => format!(
            "# The SECURITY address {count} of {} active accounts use: every account should use it.\n\
             [rules.security-contact-consistent]\n\
             params = {{ approved_emails = [{}], approved_domains = [] }}\n",
            org.accounts,
            toml_string(email)
        ),
        None => "# No account has a SECURITY contact yet. Name the address every account should use:\n\
                 # [rules.security-contact-consistent]\n\
                 # params = { approved_emails = [\"security@your-domain\"], approved_domains = [] }\n"
            .to_string(),
    };
    let example_account = inventory
        .accounts
        .first()
        .map_or("123456789012", |a| a.id.as_str());
    format!(
        "# contactscan configuration, written by `contactscan init` from {source} on {today}.\n\
         # Every key is checked: a typo is an error, not a silent no-op. `contactscan rules list`\n\
         # shows the rule ids; `contactscan rules explain ID` their parameters.\n\
         \n\
         {expected}\
         \n\
         # Turn a rule off, or change its severity (critical, high, medium, low, info):\n\
         # [rules.contact-registered]\n\
         # enabled = false\n\
         # severity = \"info\"\n\
         \n\
         # A waiver turns an accepted FAIL into WAIVED, with a reason, an owner and a last day (UTC).\n\
         # Expired waivers stop applying; waivers that match nothing are reported as stale.\n\
         # [[waivers]]\n\
         # rules = [\"security-contact-shared-inbox\"]\n\
         # accounts = [\"{example_account}\"]\n\
         # contact_types = [\"SECURITY\"]\n\
         # reason = \"Sandbox owned by the platform team; security@ list pending (TICKET-123)\"\n\
         # owner = \"platform-team@your-domain\"\n\
         # expires = 2027-03-31\n"
    )
}
