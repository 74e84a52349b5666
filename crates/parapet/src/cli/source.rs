//! `parapet source`: the sources the server's catalog is synced from, their status, and a sync
//! run now.

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use parapet_catalog::{SourceSpec, SourceType};
use parapet_store::SyncRun;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum SourceCommand {
    /// Add a source to sync the catalog from.
    #[command(after_long_help = ADD_EXAMPLES)]
    Add(AddArgs),
    /// List the sources with their last run.
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        data: super::DataArgs,
    },
    /// A source's status: its settings, and its latest runs with what each rejected and why.
    Show {
        name: String,
        /// How many runs to show.
        #[arg(long, default_value_t = 5)]
        runs: u32,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        data: super::DataArgs,
    },
    /// Remove a source and everything it gave the catalog.
    Remove {
        name: String,
        #[command(flatten)]
        data: super::DataArgs,
    },
    /// Sync a source now and print what changed.
    ///
    /// Only new and changed documents are read; each one whose hash or signature does not match,
    /// or that fails validation, is rejected with the reason and changes nothing. Exit code 0
    /// when the sync completed with nothing rejected, 1 when it completed but rejected documents,
    /// 2 when it could not complete (what it committed before stays, and the next sync goes on
    /// from there).
    Sync(SyncArgs),
}

const ADD_EXAMPLES: &str = "Examples:
  # A CSAF trusted provider, found from its domain (well-known path, security.txt or DNS)
  parapet source add siemens --kind csaf --url https://cert-portal.siemens.com --key siemens.asc
  # osv.dev's PyPI database, every six hours
  parapet source add pypi --kind osv --url https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip --interval 360
  # Debian's security suite, checked with Debian's archive keyring
  parapet source add debian12 --kind apt --url https://deb.debian.org/debian-security/dists/bookworm-security
  # Debian's DSA list and Alpine's secdb
  parapet source add dsa --kind debian-list --url https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/master/data/DSA/list
  parapet source add alpine318 --kind alpine-secdb --url https://secdb.alpinelinux.org/v3.18/main.json
  # A central Parapet server's catalog, replicated to this one
  parapet source add central --kind parapet --url https://parapet.example.com
  # A central Parapet server's malware signature packs, checked with its key and republished
  curl -o central.asc https://parapet.example.com/malware/packs/key.asc
  parapet source add central-packs --kind malware-packs --url https://parapet.example.com --key central.asc --interval 60";

#[derive(Args, Debug)]
pub struct AddArgs {
    /// A short name: lowercase letters, digits, '-', '_' and '.'.
    name: String,
    #[arg(long, value_parser = parse_kind, value_name = "KIND",
          help = "csaf, osv, apt, debian-list, alpine-secdb, parapet or malware-packs")]
    kind: SourceType,
    /// Where it lives: a URL (https://, http://) or, for osv, debian-list and alpine-secdb, a local
    /// file or folder.
    #[arg(long)]
    url: String,
    /// An ASCII-armoured OpenPGP public key whose signatures are accepted (repeatable). CSAF
    /// sources without one trust the keys the provider's metadata lists; apt sources Debian's
    /// archive keyring; malware-packs sources need the upstream's /malware/packs/key.asc.
    #[arg(long, value_name = "FILE")]
    key: Vec<PathBuf>,
    /// Accept documents without a signature or hash file (a bad one is refused all the same).
    #[arg(long)]
    allow_unsigned: bool,
    /// csaf: `schema` takes signed, schema-valid documents that fail mandatory CSAF tests and
    /// records the tests they fail; `strict` refuses them. Bad hashes and signatures are always
    /// refused.
    #[arg(long, value_name = "POLICY", default_value = "schema", value_parser = ["schema", "strict"])]
    validation: String,
    /// Sync every this many minutes while a server runs; 0 syncs only when asked.
    #[arg(long, value_name = "MINUTES", default_value_t = 0)]
    interval: u32,
    /// Keep only advisories about this product or package (repeatable).
    #[arg(long, value_name = "NAME")]
    product: Vec<String>,
    /// Keep only this ecosystem, such as Debian, PyPI or crates.io (repeatable).
    #[arg(long, value_name = "NAME")]
    ecosystem: Vec<String>,
    /// apt: a suite to read, such as bookworm-security (repeatable).
    #[arg(long, value_name = "SUITE")]
    suite: Vec<String>,
    /// apt: an architecture whose packages are read (repeatable; amd64 by default; `source`
    /// reads the Sources indices).
    #[arg(long, value_name = "ARCH")]
    arch: Vec<String>,
    /// The largest document accepted, in bytes (0: 64 MiB, or 1 GiB for whole databases).
    #[arg(long, value_name = "BYTES", default_value_t = 0)]
    max_document_bytes: u64,
    #[command(flatten)]
    data: super::DataArgs,
}

#[derive(Args, Debug)]
pub struct SyncArgs {
    name: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    data: super::DataArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

fn parse_kind(text: &str) -> Result<SourceType, String> {
    text.parse()
}

pub fn run(command: SourceCommand) -> anyhow::Result<ExitCode> {
    super::block_on(async move {
        match command {
            SourceCommand::Add(args) => add(args).await,
            SourceCommand::List { format, data } => list(format, data).await,
            SourceCommand::Show { name, runs, format, data } => show(&name, runs, format, data).await,
            SourceCommand::Remove { name, data } => {
                let store = data.open(&data.settings()?).await?;
                store.remove_source("cli", &name).await.with_context(|| format!("cannot remove source {name:?}"))?;
                eprintln!("removed source {name}");
                Ok(ExitCode::SUCCESS)
            }
            SourceCommand::Sync(args) => sync(args).await,
        }
    })?
}

async fn add(args: AddArgs) -> anyhow::Result<ExitCode> {
    let mut spec = SourceSpec::new(args.name, args.kind, args.url);
    for file in &args.key {
        let key = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        parapet_sync::Keyring::read(&[key.as_bytes()]).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        anyhow::ensure!(
            key.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----"),
            "{}: give the ASCII-armoured public key (gpg --export --armor KEY)",
            file.display()
        );
        spec.keys.push(key);
    }
    spec.allow_unsigned = args.allow_unsigned;
    spec.validation = args.validation.parse().map_err(anyhow::Error::msg)?;
    spec.interval_minutes = args.interval;
    spec.products = args.product;
    spec.ecosystems = args.ecosystem;
    spec.suites = args.suite;
    spec.architectures = args.arch;
    spec.max_document_bytes = args.max_document_bytes;
    if !parapet_sync::is_http(&spec.url) {
        // Local paths are kept absolute: the server may run from another folder.
        let path = parapet_sync::fetch::local_path(&spec.url);
        if let Ok(absolute) = std::path::absolute(&path) {
            spec.url = absolute.display().to_string();
        }
    }
    spec.validate().map_err(anyhow::Error::msg)?;
    let store = args.data.open(&args.data.settings()?).await?;
    let source = store.add_source("cli", &spec).await?;
    eprintln!("added source {} ({} {})", source.spec.name, source.spec.kind, source.spec.url);
    Ok(ExitCode::SUCCESS)
}

async fn list(format: Format, data: super::DataArgs) -> anyhow::Result<ExitCode> {
    let store = data.open(&data.settings()?).await?;
    let sources = store.sources().await?;
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(
                &sources.iter().map(parapet_server::catalog::source_view).collect::<Vec<_>>()
            )?
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    if sources.is_empty() {
        writeln!(out, "no sources (add one with `parapet source add`)")?;
    }
    for source in &sources {
        writeln!(out, "{:<20} {:<13} {}", source.spec.name, source.spec.kind.as_str(), source.spec.url)?;
        writeln!(out, "{:<20} {}", "", run_line(source.last_run.as_ref()))?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn show(name: &str, runs: u32, format: Format, data: super::DataArgs) -> anyhow::Result<ExitCode> {
    let store = data.open(&data.settings()?).await?;
    let source = store.source(name).await?.with_context(|| format!("no source named {name:?}"))?;
    let history = store.source_runs(source.id, runs).await?;
    let (problems, problem_total) = store.problem_documents(source.id, PROBLEMS_SHOWN).await?;
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        let mut value = parapet_server::catalog::source_view(&source);
        value["runs"] = serde_json::to_value(history.iter().map(run_json).collect::<Vec<_>>())?;
        value["accepted_with_problems"] = serde_json::json!({"total": problem_total, "documents": problems});
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let spec = &source.spec;
    writeln!(out, "{} ({})\n  url: {}", spec.name, spec.kind, spec.url)?;
    let schedule = if spec.interval_minutes == 0 {
        "when asked".to_owned()
    } else {
        format!("every {} minutes", spec.interval_minutes)
    };
    writeln!(out, "  sync: {schedule}")?;
    writeln!(
        out,
        "  keys: {}; unsigned documents {}",
        spec.keys.len(),
        if spec.allow_unsigned { "accepted" } else { "refused" }
    )?;
    if spec.kind == parapet_catalog::SourceType::Csaf {
        writeln!(out, "  validation: {}", spec.validation.as_str())?;
    }
    if !spec.products.is_empty() || !spec.ecosystems.is_empty() {
        writeln!(out, "  filters: products {:?}, ecosystems {:?}", spec.products, spec.ecosystems)?;
    }
    if let Some(owner) = &source.syncing {
        writeln!(out, "  syncing now: {owner}")?;
    }
    if problem_total > 0 {
        writeln!(out, "\n  {problem_total} documents taken although they fail mandatory CSAF tests:")?;
        for document in &problems {
            for problem in &document.problems {
                writeln!(out, "    {}: {} at {}: {}", document.document, problem.test, problem.path, problem.message)?;
            }
        }
        if problem_total > u64::from(PROBLEMS_SHOWN) {
            writeln!(
                out,
                "    … and {} more (--format json lists {PROBLEMS_SHOWN})",
                problem_total - u64::from(PROBLEMS_SHOWN)
            )?;
        }
    }
    for run in &history {
        writeln!(out, "\n  {}", run_line(Some(run)))?;
        for rejection in &run.rejections {
            writeln!(out, "    rejected {}: {}", rejection.document, rejection.reason)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// How many documents with problems `source show` lists.
const PROBLEMS_SHOWN: u32 = 50;

fn run_line(run: Option<&SyncRun>) -> String {
    let Some(run) = run else { return "never synced".to_owned() };
    let when = run.started_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let duration = run.duration_ms().map_or_else(|| "running".to_owned(), |ms| format!("{:.1} s", ms as f64 / 1000.0));
    let counts = &run.counts;
    let mut line = format!(
        "{when} {} in {duration}: {} new, {} updated, {} unchanged, {} rejected, {} withdrawn",
        run.outcome, counts.new, counts.updated, counts.unchanged, counts.rejected, counts.withdrawn
    );
    if counts.accepted_with_problems > 0 {
        line.push_str(&format!(" ({} taken with problems)", counts.accepted_with_problems));
    }
    if let Some(error) = &run.error {
        line.push_str(&format!(" — {error}"));
    }
    line
}

fn run_json(run: &SyncRun) -> serde_json::Value {
    let mut value = serde_json::to_value(run).unwrap_or_default();
    value["duration_ms"] = serde_json::json!(run.duration_ms());
    value
}

async fn sync(args: SyncArgs) -> anyhow::Result<ExitCode> {
    let store = args.data.open(&args.data.settings()?).await?;
    let bar = std::sync::Arc::new(super::progress::bar());
    let progress_bar = bar.clone();
    let options = parapet_sync::SyncOptions {
        owner: parapet_sync::default_owner("cli"),
        progress: std::sync::Arc::new(move |label: &str, done: u64, total: u64| {
            progress_bar.update(label, done as usize, total as usize)
        }),
        ..parapet_sync::SyncOptions::default()
    };
    let outcome = parapet_sync::sync_source(&store, &args.name, &options).await;
    bar.finish();
    let outcome = outcome.with_context(|| format!("cannot sync source {:?}", args.name))?;
    let mut out = std::io::stdout().lock();
    if args.format == Format::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(&outcome)?)?;
    } else {
        let c = &outcome.counts;
        writeln!(
            out,
            "{}: {} new, {} updated, {} unchanged, {} rejected, {} withdrawn in {:.1} s",
            outcome.source,
            c.new,
            c.updated,
            c.unchanged,
            c.rejected,
            c.withdrawn,
            outcome.duration_ms as f64 / 1000.0
        )?;
        if c.accepted_with_problems > 0 {
            writeln!(
                out,
                "  {} taken although they fail mandatory CSAF tests (see `parapet source show {}`)",
                c.accepted_with_problems, outcome.source
            )?;
        }
        for rejection in outcome.rejections.iter().take(20) {
            writeln!(out, "  rejected {}: {}", rejection.document, rejection.reason)?;
        }
        if outcome.rejections.len() > 20 {
            writeln!(
                out,
                "  … and {} more (see `parapet source show {}`)",
                outcome.rejections.len() - 20,
                outcome.source
            )?;
        }
    }
    out.flush()?;
    if let Some(error) = &outcome.error {
        eprintln!("error: the sync of {} stopped: {error}", outcome.source);
        return Ok(ExitCode::from(2));
    }
    Ok(if outcome.counts.rejected > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
