//! `parapet-agent`: the agent on every host. Parses the command line and hands off to one
//! function per subcommand in `cli`; maps errors to exit codes once.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("parapet-agent: {e:#}");
            ExitCode::from(1)
        }
    }
}
