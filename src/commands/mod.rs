//! One module per subcommand; each returns the process exit status.

mod collect;
mod fix;
mod import;
mod init;
mod live;
mod output;
mod progress;
mod rules;
mod scan;

use crate::cli::{Cli, Command, RulesCommand};

/// Runs the parsed command line; an `Err` is bad input or usage (exit status 2).
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Collect(args) => collect::run(args),
        Command::Init(args) => init::run(args),
        Command::Fix(args) => fix::run(args),
        Command::Rules { command } => match command {
            RulesCommand::List { rules } => rules::list(&rules),
            RulesCommand::Explain { id, rules } => rules::explain(id.as_deref(), &rules),
            RulesCommand::Test { dir } => rules::test(dir.as_deref()),
        },
    }
}
