//! `parapet user`: add users from the command line, working on the data folder directly
//! (also while a server runs on it).

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use parapet_model::Role;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user. The password comes from PARAPET_PASSWORD, or is asked for.
    Add(AddArgs),
    /// List users.
    List(super::DataArgs),
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// The new user's name.
    name: String,
    /// admin, analyst, publisher or auditor.
    #[arg(long)]
    role: String,
    #[command(flatten)]
    data: super::DataArgs,
}

pub fn run(command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Add(args) => add(args),
        UserCommand::List(data) => super::block_on(async move {
            let settings = data.settings()?;
            let store = data.open(&settings).await?;
            for user in store.users().await? {
                println!("{}\t{}{}", user.name, user.role, if user.disabled { "\tdisabled" } else { "" });
            }
            Ok(ExitCode::SUCCESS)
        })?,
    }
}

fn add(args: AddArgs) -> anyhow::Result<ExitCode> {
    let role: Role =
        args.role.parse().map_err(|e: parapet_model::FieldError| anyhow::anyhow!("--role: {}", e.message))?;
    let password = match std::env::var("PARAPET_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let first = rpassword::prompt_password(format!("Password for {}: ", args.name))
                .context("cannot read the password")?;
            let second = rpassword::prompt_password("Repeat it: ").context("cannot read the password")?;
            if first != second {
                bail!("the passwords differ");
            }
            first
        }
    };
    super::block_on(async move {
        parapet_server::auth::check_password(&password).map_err(|e| anyhow::anyhow!("password: {}", e.message))?;
        let settings = args.data.settings()?;
        let store = args.data.open(&settings).await?;
        let hash = parapet_server::auth::hash_password(password).await.map_err(|e| anyhow::anyhow!(e.message))?;
        let user = store.create_user("cli", &args.name, role, Some(&hash)).await?;
        eprintln!("added {} ({})", user.name, user.role);
        Ok(ExitCode::SUCCESS)
    })?
}
