//! `parapet config`: print the commented default configuration, or the effective one.

use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print a commented example configuration with every setting at its default.
    Default,
    /// Check the configuration (file and PARAPET_* variables) and report the first problem.
    Check(super::DataArgs),
}

pub fn run(command: ConfigCommand) -> anyhow::Result<ExitCode> {
    match command {
        ConfigCommand::Default => {
            print!("{}", parapet_server::config::DEFAULT_TOML);
        }
        ConfigCommand::Check(data) => {
            data.settings()?;
            println!("configuration is valid");
        }
    }
    Ok(ExitCode::SUCCESS)
}
