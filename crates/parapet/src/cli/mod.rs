//! The command line: flags are defined once here, each subcommand lives in its own module.

mod catalog;
mod config;
mod csaf;
mod document;
mod harden;
mod malware;
mod progress;
mod scan;
mod serve;
mod source;
mod token;
mod user;
mod version;

use anyhow::Context;
use clap::{Args, CommandFactory, Parser, Subcommand};
use parapet_server::Settings;
use parapet_store::Store;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXAMPLES: &str = "Examples:
  # Start on ./parapet-data (embedded SQLite) at http://127.0.0.1:8080
  parapet serve
  # One of several servers sharing PostgreSQL
  PARAPET_DATABASE_URL=postgres://user:pass@db/parapet parapet serve --listen 0.0.0.0:8080
  # Add an analyst and give them an API token
  PARAPET_PASSWORD=... parapet user add alice --role analyst
  parapet token create --user alice
  # Every setting, commented
  parapet config default > parapet-data/parapet.toml
  # Write a bulletin, check it, and publish it on the next monthly release day
  export PARAPET_TOKEN=ppt_...
  parapet bulletin create bulletin.json
  parapet bulletin preview PSB-2026-001
  parapet bulletin schedule PSB-2026-001 --at next-release
  # Move an existing CSAF archive into the trusted provider directory
  parapet csaf import old-advisories/
  # Keep a catalog of upstream advisories, and scan against it
  parapet source add rustsec --kind osv --url https://osv-vulnerabilities.storage.googleapis.com/crates.io/all.zip
  parapet source sync rustsec
  parapet catalog export --out catalog.ppc && parapet scan --catalog catalog.ppc .

Exit codes: 0 success, 1 a check you asked about failed, 2 usage or runtime error.";

/// Parapet: an open-source security response center.
///
/// Receive vulnerability reports, triage and score them, track fixes and plan disclosure,
/// from one binary on an embedded database (or PostgreSQL for several servers).
#[derive(Parser, Debug)]
#[command(name = "parapet", version, about, long_about, propagate_version = true, after_long_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server: API, web console and researcher intake.
    ///
    /// On an empty data folder this creates the database. The first administrator is `admin`
    /// with the password in PARAPET_ADMIN_PASSWORD if it is set; otherwise a one-time setup link
    /// is printed.
    Serve(serve::ServeArgs),
    /// Manage users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Show configuration.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Find missing security updates, vulnerable packages and misconfigurations.
    ///
    /// Scans the live host, a root folder (--root), project folders, lockfiles or SBOMs,
    /// offline against a catalog file.
    Scan(scan::ScanArgs),
    /// Build and inspect the offline vulnerability catalog that `parapet scan` reads.
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    /// Sources the server's catalog is synced from: CSAF providers, OSV databases, apt
    /// repositories, Debian and Alpine lists, other Parapet servers.
    #[command(subcommand)]
    Source(source::SourceCommand),
    /// Check CSAF 2.0 documents against the specification's tests, and import them.
    #[command(subcommand)]
    Csaf(csaf::CsafCommand),
    /// Write, preview, schedule and publish security bulletins (the fixes for vulnerabilities),
    /// through a server's API.
    Bulletin(document::DocumentArgs),
    /// Write, preview, schedule and publish security advisories (guidance), through a server's API.
    Advisory(document::DocumentArgs),
    /// Find and remove malicious software with monthly signature packs: scan, quarantine,
    /// restore, and build packs.
    #[command(subcommand)]
    Malware(malware::MalwareCommand),
    /// The security configuration wizard: from the roles a server plays to a default-deny
    /// firewall and only the services they need, applied with confirm-or-revert and rollback.
    #[command(subcommand)]
    Harden(harden::HardenCommand),
    /// Compare versions in a packaging ecosystem's scheme.
    #[command(subcommand)]
    Version(version::VersionCommand),
    /// Print shell completions for bash, zsh, fish, elvish or powershell.
    Completions { shell: clap_complete::Shell },
}

/// Where the data lives and how it is configured; shared by every command that opens the store.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// The data folder: the SQLite database and anything else the server keeps.
    #[arg(long, env = "PARAPET_DATA", default_value = "./parapet-data", value_name = "DIR")]
    data: PathBuf,
    /// A TOML configuration file (see `parapet config default`). Without it, DIR/parapet.toml
    /// is read when it exists.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

impl DataArgs {
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let default_file = self.data.join("parapet.toml");
        let file = self.config.clone().or_else(|| default_file.exists().then_some(default_file));
        Ok(Settings::load(file.as_deref(), std::env::vars())?)
    }

    /// Opens (creating when needed) the data folder and the store.
    pub async fn open(&self, settings: &Settings) -> anyhow::Result<Store> {
        create_data_dir(&self.data)?;
        let url = settings.database_url(&self.data);
        let store = Store::open(&url).await.context("cannot open the database")?;
        let pool = settings.cve_pool().map_err(anyhow::Error::msg)?;
        if !pool.is_empty() {
            store.add_to_cve_pool(&pool).await.context("cannot record the CVE pool")?;
        }
        Ok(store)
    }

    /// Makes sure the signing key has a passphrase: the configured one, else one kept in the data
    /// folder (`provider-key.pass`, made on first use, readable by the owner only).
    pub fn ensure_key_passphrase(&self, settings: &mut Settings) -> anyhow::Result<()> {
        if !settings.publisher.key_passphrase.is_empty() {
            return Ok(());
        }
        create_data_dir(&self.data)?;
        let path = self.data.join("provider-key.pass");
        let passphrase = match std::fs::read_to_string(&path) {
            Ok(text) => text.trim().to_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let passphrase = parapet_server::auth::new_secret();
                write_private(&path, &passphrase)?;
                passphrase
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        anyhow::ensure!(!passphrase.is_empty(), "{} is empty", path.display());
        settings.publisher.key_passphrase = parapet_server::config::Secret::new(passphrase);
        Ok(())
    }
}

/// Writes a secret file readable by its owner only: a temporary file, then a rename, so that a
/// crash never leaves half a secret.
/// A temporary file beside `path`, renamed over it once whole.
pub(crate) fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("writing {}", path.display()))?;
    std::io::Write::write_all(&mut file, bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn write_private(path: &Path, content: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut file =
        tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file().set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(content.as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn create_data_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data folder {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The database holds undisclosed vulnerabilities: nobody else may read it.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict the permissions of {}", dir.display()))?;
    }
    Ok(())
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::User(command) => user::run(command),
        Command::Token(command) => token::run(command),
        Command::Config(command) => config::run(command),
        Command::Version(command) => version::run(command),
        Command::Catalog(command) => catalog::run(command),
        Command::Scan(args) => scan::run(args),
        Command::Malware(command) => malware::run(command),
        Command::Harden(command) => harden::run(command),
        Command::Csaf(command) => csaf::run(command),
        Command::Source(command) => source::run(command),
        Command::Bulletin(args) => document::run(parapet_model::DocumentKind::Bulletin, args),
        Command::Advisory(args) => document::run(parapet_model::DocumentKind::Advisory, args),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "parapet", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A single-threaded runtime for the short admin commands.
pub fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(future))
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
