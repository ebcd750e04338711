//! One module per subcommand; each returns the process exit status.

mod collect;
mod fix;
mod import;
mod init;
mod interrupt;
mod live;
mod output;
mod progress;
mod rules;
mod scan;
mod staged;
pub mod ui;

use clap::CommandFactory;

use crate::cli::{Cli, Command, RulesCommand};

/// Runs the parsed command line; an `Err` is bad input or usage (exit status 2).
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    interrupt::watch();
    ui::init(cli.quiet, cli.verbose, cli.color, cli.no_progress);
    match cli.command {
        Command::Scan(args) => scan::run(*args),
        Command::Collect(args) => collect::run(args),
        Command::Init(args) => init::run(args),
        Command::Fix(args) => fix::run(args),
        Command::Rules { command } => match command {
            RulesCommand::List { rules } => rules::list(&rules),
            RulesCommand::Explain { id, rules } => rules::explain(id.as_deref(), &rules),
            RulesCommand::Test { dir } => rules::test(dir.as_deref()),
        },
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "contactscan", &mut std::io::stdout());
            Ok(0)
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(0)
        }
    }
}
