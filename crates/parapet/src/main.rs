//! `parapet`: the one binary. Parses the command line and hands off to one module per
//! subcommand; maps errors to exit codes once.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("parapet: {e:#}");
            ExitCode::from(2)
        }
    }
}
