//! `parapet csaf`: CSAF 2.0 documents checked against the specification's tests.

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum CsafCommand {
    /// Validate CSAF 2.0 documents: the JSON schema and every mandatory test of section 6.1
    /// (errors), the optional tests of 6.2 (warnings) and the informative tests of 6.3 (infos).
    ///
    /// Each problem is printed with its test number, its JSON pointer and why. Exit code 0 when
    /// every document passes the schema and the mandatory tests, 1 when one does not, 2 when a
    /// file cannot be read or is not JSON.
    Validate(ValidateArgs),
    /// Import existing CSAF 2.0 documents as published: their IDs, versions and dates are kept,
    /// their bytes too; each is signed with the provider's key and served in the trusted provider
    /// directory and the security update guide.
    ///
    /// Folders are searched for `.json` files; JSON files that are not CSAF documents there (ROLIE
    /// feeds, provider metadata) are skipped. A document that fails a mandatory test is refused
    /// with the test. Importing the same file twice changes nothing. Exit code 0 when every
    /// document was imported (or already was), 1 when one was refused, 2 when a file cannot be
    /// read.
    Import(ImportArgs),
    /// The trusted provider's OpenPGP signing key.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Check a CSAF provider's conformance to the distribution requirements 1 to 23 of CSAF 2.0
    /// (section 7.1): each requirement passes, fails (with what failed), cannot be checked from
    /// here (TLS on a loopback address, DNS without a domain) or does not apply (aggregator
    /// requirements, optional parts not used).
    ///
    /// URL is the provider's domain or its provider-metadata.json. Exit code 0 when no
    /// requirement fails, 1 when one does, 2 when no provider metadata can be found.
    Check(CheckArgs),
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    url: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Check at most this many documents (all by default).
    #[arg(long, value_name = "N")]
    max_documents: Option<usize>,
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Print the fingerprint and the ASCII-armoured public key (made on first use).
    Show {
        #[command(flatten)]
        data: super::DataArgs,
    },
    /// Replace the signing key by an existing one (`gpg --export-secret-keys --armor KEY`), and
    /// sign every published document again with it, in one transaction.
    ///
    /// The file's passphrase comes from PARAPET_KEY_FILE_PASSPHRASE, or a prompt; the key is
    /// stored protected by the server's passphrase (publisher.key_passphrase).
    Import {
        file: PathBuf,
        #[command(flatten)]
        data: super::DataArgs,
    },
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Documents, or folders holding them (such as a provider's TLP folder).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    data: super::DataArgs,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The documents.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Leave out warnings and infos.
    #[arg(long)]
    errors_only: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Text,
    /// One object per document: `file`, `valid`, `errors`, `warnings`, `infos`.
    Json,
}

pub fn run(command: CsafCommand) -> anyhow::Result<ExitCode> {
    match command {
        CsafCommand::Validate(args) => validate(args),
        CsafCommand::Import(args) => import(args),
        CsafCommand::Check(args) => check(args),
        CsafCommand::Key(command) => key(command),
    }
}

fn validate(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let mut invalid = false;
    let mut unreadable = false;
    let mut reports = Vec::new();
    for file in &args.files {
        let name = file.display().to_string();
        let report =
            std::fs::read_to_string(file).map_err(|e| e.to_string()).and_then(|text| parapet_csaf::validate_str(&text));
        let mut report = match report {
            Ok(report) => report,
            Err(reason) => {
                eprintln!("error: {name}: {reason}");
                unreadable = true;
                continue;
            }
        };
        if args.errors_only {
            report.warnings.clear();
            report.infos.clear();
        }
        invalid |= !report.is_valid();
        match args.format {
            Format::Json => reports.push(serde_json::json!({
                "file": name,
                "valid": report.is_valid(),
                "errors": report.errors,
                "warnings": report.warnings,
                "infos": report.infos,
            })),
            Format::Text => {
                let verdict = if report.is_valid() { "valid" } else { "INVALID" };
                writeln!(
                    out,
                    "{name}: {verdict} ({} errors, {} warnings, {} infos)",
                    report.errors.len(),
                    report.warnings.len(),
                    report.infos.len()
                )?;
                for (level, problems) in
                    [("error", &report.errors), ("warning", &report.warnings), ("info", &report.infos)]
                {
                    for problem in problems {
                        writeln!(out, "  {level} {} at {}: {}", problem.test, problem.path, problem.message)?;
                    }
                }
            }
        }
    }
    if args.format == Format::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(&reports)?)?;
    }
    out.flush().context("cannot write to standard output")?;
    Ok(if unreadable {
        ExitCode::from(2)
    } else if invalid {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The JSON files under `path` (itself, when it is a file), sorted; `true` beside those found in
/// a folder, which are skipped rather than refused when they are not CSAF documents.
fn json_files(path: &Path, out: &mut Vec<(PathBuf, bool)>) -> anyhow::Result<()> {
    if !path.is_dir() {
        out.push((path.to_owned(), false));
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
        let entry = entry.with_context(|| format!("cannot read {}", path.display()))?;
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "json") {
            out.push((entry.into_path(), true));
        }
    }
    Ok(())
}

fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let mut settings = args.data.settings()?;
    args.data.ensure_key_passphrase(&mut settings)?;
    let mut files = Vec::new();
    for path in &args.paths {
        json_files(path, &mut files)?;
    }
    super::block_on(async move {
        let store = args.data.open(&settings).await?;
        let state = parapet_server::AppState::new(store.clone(), settings);
        let key = parapet_server::documents::publishing::signing_key(&state).await?;
        let progress = super::progress::bar();
        let (mut imported, mut unchanged, mut refused, mut skipped, mut unreadable) = (0, 0, 0, 0, 0);
        for (done, (file, in_folder)) in files.iter().enumerate() {
            progress.update("importing", done + 1, files.len());
            let name = file.display();
            let text = match std::fs::read_to_string(file) {
                Ok(text) => text,
                Err(e) => {
                    progress.suspend(|| eprintln!("error: {name}: {e}"));
                    unreadable += 1;
                    continue;
                }
            };
            if *in_folder && !is_csaf(&text) {
                skipped += 1;
                continue;
            }
            let publication = match parapet_provider::publication::from_csaf(&text, &key) {
                Ok(p) => p,
                Err(refusal) => {
                    progress.suspend(|| eprintln!("refused: {name}: {refusal}"));
                    refused += 1;
                    continue;
                }
            };
            match store.import_publication("import", &publication).await {
                Ok(true) => imported += 1,
                Ok(false) => unchanged += 1,
                Err(parapet_store::StoreError::Invalid(e)) => {
                    progress.suspend(|| eprintln!("refused: {name}: {}: {}", e.field, e.message));
                    refused += 1;
                }
                Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot import {name}"))),
            }
        }
        progress.finish();
        store.close().await;
        eprintln!(
            "imported {imported}, unchanged {unchanged}, refused {refused}{}{}",
            if skipped > 0 { format!(", skipped {skipped} files that are not CSAF documents") } else { String::new() },
            if unreadable > 0 { format!(", {unreadable} unreadable") } else { String::new() },
        );
        Ok(if unreadable > 0 {
            ExitCode::from(2)
        } else if refused > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    })?
}

/// Whether a JSON text is a CSAF document at all (it has a `document` object), as opposed to a
/// ROLIE feed or provider metadata lying beside them.
fn is_csaf(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v.get("document").is_some_and(|d| d.is_object()))
}

fn key(command: KeyCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeyCommand::Show { data } => {
            let mut settings = data.settings()?;
            data.ensure_key_passphrase(&mut settings)?;
            super::block_on(async move {
                let store = data.open(&settings).await?;
                let state = parapet_server::AppState::new(store.clone(), settings);
                let key = parapet_server::documents::publishing::signing_key(&state).await?;
                println!("fingerprint: {}\n\n{}", key.fingerprint(), key.armored_public()?);
                store.close().await;
                anyhow::Ok(ExitCode::SUCCESS)
            })?
        }
        KeyCommand::Import { file, data } => {
            let mut settings = data.settings()?;
            data.ensure_key_passphrase(&mut settings)?;
            let armored = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let passphrase = match std::env::var("PARAPET_KEY_FILE_PASSPHRASE") {
                Ok(p) => p,
                Err(_) if std::io::IsTerminal::is_terminal(&std::io::stdin()) => {
                    rpassword::prompt_password(format!("Passphrase of {} (empty if none): ", file.display()))?
                }
                Err(_) => String::new(),
            };
            let key = parapet_provider::SigningKey::from_armored(&armored, &passphrase)
                .with_context(|| format!("{}", file.display()))?;
            let stored = parapet_store::StoredKey {
                fingerprint: key.fingerprint().to_owned(),
                secret_key: key.protected_with(settings.publisher.key_passphrase.expose())?,
                public_key: key.armored_public()?,
            };
            super::block_on(async move {
                let store = data.open(&settings).await?;
                let sign = |csaf: &str| key.sign(csaf.as_bytes()).map_err(|e| e.to_string());
                let signed = store.replace_signing_key("key import", &stored, &sign).await?;
                store.close().await;
                eprintln!(
                    "the signing key is now {}; {signed} published files (every revision) signed again",
                    stored.fingerprint
                );
                anyhow::Ok(ExitCode::SUCCESS)
            })?
        }
    }
}

fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let report = super::block_on(async {
        let fetcher = parapet_sync::Fetcher::new(parapet_sync::FetchOptions::default())?;
        let options = parapet_sync::check::CheckOptions { max_documents: args.max_documents };
        parapet_sync::check::check_provider(&fetcher, &args.url, &options).await.map_err(anyhow::Error::msg)
    })??;
    let mut out = std::io::stdout().lock();
    if args.format == Format::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        writeln!(out, "{}", report.metadata_url.as_deref().unwrap_or(&report.url))?;
        writeln!(
            out,
            "role {}, {} documents checked\n",
            report.role.as_deref().unwrap_or("not given"),
            report.documents_checked
        )?;
        for requirement in &report.requirements {
            writeln!(out, "{:>3} {:<44} {}", requirement.number, requirement.title, requirement.result.as_str())?;
            for message in &requirement.messages {
                writeln!(out, "      {message}")?;
            }
        }
    }
    out.flush()?;
    Ok(if report.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
