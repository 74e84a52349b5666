//! `parapet catalog`: build the offline vulnerability catalog `parapet scan --catalog` reads, and
//! describe one.

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use parapet_catalog::build::Inputs;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Subcommand, Debug)]
pub enum CatalogCommand {
    /// Build a catalog file from advisory sources and apt repository metadata.
    ///
    /// Records that cannot be read are left out and listed (the first 20 here, all of them in
    /// `parapet catalog info`); a path that cannot be read at all stops the build, and nothing
    /// is written. The file is written whole or not at all.
    #[command(after_long_help = BUILD_EXAMPLES)]
    Build(BuildArgs),
    /// Describe a catalog file: when it was built, and what each source gave.
    Info(InfoArgs),
    /// Write the server's catalog (what its sources synced) as the catalog file `parapet scan
    /// --catalog` reads; written whole or not at all.
    Export(ExportArgs),
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Where to write the catalog.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    data: super::DataArgs,
}

const BUILD_EXAMPLES: &str = "Examples:
  # RustSec and PyPA advisories, and the security updates apt knows about on this machine
  parapet catalog build --out catalog.ppc --osv rustsec/crates --osv pypa/vulns --apt-lists /var/lib/apt/lists
  # osv.dev's zip of an ecosystem, Debian's DSA list and Alpine's secdb
  parapet catalog build --out catalog.ppc --osv Go.zip --debian-list DSA-list --alpine-secdb secdb/";

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// Where to write the catalog.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// OSV records: a folder (searched recursively for .json, .yaml and .yml), a zip as osv.dev
    /// ships each ecosystem, or one record.
    #[arg(long, value_name = "PATH")]
    osv: Vec<PathBuf>,
    /// apt metadata: a lists folder as apt keeps it (/var/lib/apt/lists; indices compressed with
    /// lz4, gzip or xz or not at all) or a repository tree with Release and Packages/Sources
    /// files. The versions in security suites become security updates.
    #[arg(long, value_name = "DIR")]
    apt_lists: Vec<PathBuf>,
    /// A Debian security tracker list: DSA-list or DLA-list.
    #[arg(long, value_name = "FILE")]
    debian_list: Vec<PathBuf>,
    /// Alpine's secdb: a folder of its YAML or JSON files, or one file.
    #[arg(long, value_name = "DIR")]
    alpine_secdb: Vec<PathBuf>,
    /// CSAF 2.0 documents: a folder (searched recursively) or one document.
    #[arg(long, value_name = "PATH")]
    csaf: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// The catalog file.
    file: PathBuf,
    #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
    format: InfoFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum InfoFormat {
    Text,
    Json,
}

pub fn run(command: CatalogCommand) -> anyhow::Result<ExitCode> {
    match command {
        CatalogCommand::Build(args) => build(args),
        CatalogCommand::Info(args) => info(args),
        CatalogCommand::Export(args) => export(args),
    }
}

fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let catalog = super::block_on(async {
        let store = args.data.open(&args.data.settings()?).await?;
        let now = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?;
        anyhow::Ok(store.catalog_snapshot(now).await?)
    })??;
    parapet_catalog::file::write(&args.out, &catalog)?;
    eprintln!(
        "wrote {}: {} advisories, {} security updates from {} sources in {:.2} s",
        args.out.display(),
        catalog.advisories.len(),
        catalog.updates.len(),
        catalog.sources.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn build(args: BuildArgs) -> anyhow::Result<ExitCode> {
    let inputs = Inputs {
        osv: args.osv,
        apt_lists: args.apt_lists,
        debian_lists: args.debian_list,
        alpine_secdb: args.alpine_secdb,
        csaf: args.csaf,
    };
    if inputs.osv.len()
        + inputs.apt_lists.len()
        + inputs.debian_lists.len()
        + inputs.alpine_secdb.len()
        + inputs.csaf.len()
        == 0
    {
        anyhow::bail!("no sources: give at least one of --osv, --apt-lists, --debian-list, --alpine-secdb, --csaf");
    }
    let started = Instant::now();
    let bar = super::progress::bar();
    let report = |label: &str, done: usize, total: usize| bar.update(label, done, total);
    let now = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?;
    let catalog = parapet_catalog::build::build(&inputs, now, &report)?;
    bar.finish();
    parapet_catalog::file::write(&args.out, &catalog)?;
    let rejected: Vec<&String> = catalog.sources.iter().flat_map(|s| &s.rejected).collect();
    for line in rejected.iter().take(20) {
        eprintln!("warning: left out {line}");
    }
    if rejected.len() > 20 {
        eprintln!("warning: … and {} more (see `parapet catalog info`)", rejected.len() - 20);
    }
    let withdrawn: u64 = catalog.sources.iter().map(|s| s.withdrawn).sum();
    eprintln!(
        "wrote {}: {} advisories, {} security updates ({} withdrawn and {} unreadable records left out) in {:.2} s",
        args.out.display(),
        catalog.advisories.len(),
        catalog.updates.len(),
        withdrawn,
        rejected.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn info(args: InfoArgs) -> anyhow::Result<ExitCode> {
    let catalog = parapet_catalog::file::read(&args.file)?;
    let mut out = std::io::stdout().lock();
    match args.format {
        InfoFormat::Json => {
            let value = serde_json::json!({
                "format_version": parapet_catalog::file::FORMAT_VERSION,
                "built_at": catalog.built_at,
                "advisories": catalog.advisories.len(),
                "updates": catalog.updates.len(),
                "sources": catalog.sources,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        }
        InfoFormat::Text => {
            writeln!(out, "catalog format {}, built {}", parapet_catalog::file::FORMAT_VERSION, catalog.built_at)?;
            writeln!(out, "{} advisories, {} security updates", catalog.advisories.len(), catalog.updates.len())?;
            for source in &catalog.sources {
                writeln!(
                    out,
                    "\n{} {}: {} advisories, {} updates, {} withdrawn, {} rejected",
                    source.kind.name(),
                    source.location,
                    source.advisories,
                    source.updates,
                    source.withdrawn,
                    source.rejected.len()
                )?;
                for (ecosystem, count) in &source.ecosystems {
                    writeln!(out, "  {ecosystem:<24} {count}")?;
                }
                for rejected in &source.rejected {
                    writeln!(out, "  rejected: {rejected}")?;
                }
            }
        }
    }
    out.flush().context("cannot write to standard output")?;
    Ok(ExitCode::SUCCESS)
}
