//! `parapet token`: create API tokens from the command line.

use anyhow::Context;
use clap::{Args, Subcommand};
use parapet_model::Scope;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token for a user and print it (only the token, on stdout). It is not shown again.
    Create(CreateArgs),
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The user the token acts as.
    #[arg(long)]
    user: String,
    /// A name to recognise the token by.
    #[arg(long, default_value = "cli")]
    name: String,
    /// Comma-separated scopes: read, write.
    #[arg(long, default_value = "read,write")]
    scopes: String,
    #[command(flatten)]
    data: super::DataArgs,
}

pub fn run(command: TokenCommand) -> anyhow::Result<ExitCode> {
    let TokenCommand::Create(args) = command;
    let scopes = Scope::parse_list(&args.scopes).map_err(|e| anyhow::anyhow!("--scopes: {}", e.message))?;
    super::block_on(async move {
        let settings = args.data.settings()?;
        let store = args.data.open(&settings).await?;
        let user =
            store.user_by_name(&args.user).await?.with_context(|| format!("there is no user {:?}", args.user))?;
        let secret = parapet_server::auth::new_api_token();
        store.create_token("cli", user.id, &args.name, &parapet_server::auth::digest(&secret), &scopes).await?;
        println!("{secret}");
        Ok(ExitCode::SUCCESS)
    })?
}
