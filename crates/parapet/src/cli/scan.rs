//! `parapet scan`: missing security updates, known vulnerabilities and misconfigurations of the
//! live host, a root folder, a project or a single lockfile or SBOM.

use anyhow::Context;
use clap::{Args, ValueEnum};
use parapet_model::Severity;
use parapet_scan::{CatalogInput, Request, report};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const EXAMPLES: &str = "Examples:
  # This host: security updates apt has not installed, vulnerable packages, configuration
  parapet catalog build --out catalog.ppc --apt-lists /var/lib/apt/lists --debian-list DSA-list
  parapet scan --catalog catalog.ppc
  # An unpacked container image or a chroot, without the configuration checks
  parapet scan --root ./rootfs --catalog catalog.ppc --no-checks
  # A release gate in CI: fail on important or critical vulnerabilities, report as SARIF
  parapet scan . --catalog catalog.ppc --fail-on important --format sarif > parapet.sarif
  # One SBOM, with a VEX document that rules findings out
  parapet scan app.cdx.json --catalog catalog.ppc --vex app.openvex.json --format json

Exit codes: 0 nothing at or above --fail-on (without --fail-on, always 0 when the scan ran),
1 findings at or above --fail-on, 2 an error: bad arguments, or something could not be read
(the rest of the scan is still done and reported).";

#[derive(Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub struct ScanArgs {
    /// Lockfiles, SBOMs (CycloneDX or SPDX JSON) or project folders to scan. Without PATH and
    /// --root, the live host is scanned.
    paths: Vec<PathBuf>,
    /// Scan a root folder as a system (an unpacked container image, a chroot, a mounted disk):
    /// its package databases and, unless --no-checks, its configuration.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// The catalog to match packages against (see `parapet catalog build`). Without one,
    /// packages are listed but not matched.
    #[arg(long, value_name = "FILE", env = "PARAPET_CATALOG")]
    catalog: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Exit with 1 when a finding is at least this severe (unrated findings count as low).
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    fail_on: Option<Severity>,
    /// Skip the configuration checks.
    #[arg(long)]
    no_checks: bool,
    /// Never contact a server; everything comes from --catalog. (Scanning is offline today:
    /// the flag keeps scripts explicit when server catalogs arrive.)
    #[arg(long)]
    offline: bool,
    /// OpenVEX or CSAF VEX documents: findings they state as not affected or fixed are
    /// suppressed and listed with the justification.
    #[arg(long, value_name = "FILE")]
    vex: Vec<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// Grouped by target and severity, for people.
    Table,
    /// One object with `findings`, `checks`, `targets`, `errors` and `summary`.
    Json,
    /// SARIF 2.1.0, for code-scanning services.
    Sarif,
    /// One finding a row.
    Csv,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    text.parse::<Severity>()
        .map_err(|_| format!("unknown severity {text:?}: expected low, moderate, important or critical"))
}

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let _ = args.offline;
    for path in args.paths.iter().chain(&args.root) {
        if !path.exists() {
            anyhow::bail!("{}: no such file or folder", path.display());
        }
    }
    if let Some(root) = &args.root
        && !root.is_dir()
    {
        anyhow::bail!("--root {}: not a folder", root.display());
    }
    let mut vex = Vec::new();
    for path in &args.vex {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        vex.extend(parapet_scan::vex::parse(&text, &path.display().to_string()).map_err(anyhow::Error::msg)?);
    }
    let catalog = args.catalog.map(CatalogInput::File);
    let request = Request { paths: args.paths, root: args.root, catalog, checks: !args.no_checks, vex };
    let spinner = super::progress::spinner();
    let scan = parapet_scan::scan(&request, &|step| spinner.step(step));
    spinner.finish();

    let mut out = anstream::AutoStream::auto(std::io::stdout().lock());
    match args.format {
        Format::Table => report::table(&scan, &mut out)?,
        Format::Json => report::json(&scan, &mut out)?,
        Format::Sarif => report::sarif(&scan, &mut out)?,
        Format::Csv => report::csv(&scan, &mut out)?,
    }
    out.flush().context("cannot write to standard output")?;
    if args.format != Format::Table {
        // Machine output goes to stdout; people reading a pipe's stderr still get the summary.
        eprintln!("{}", report::summary_line(&scan));
    }
    if !scan.errors.is_empty() {
        if args.format != Format::Table {
            for error in &scan.errors {
                eprintln!("error: {error}");
            }
        }
        return Ok(ExitCode::from(2));
    }
    let failing = args.fail_on.is_some_and(|threshold| {
        scan.findings.iter().any(|f| parapet_scan::finding::gate_severity(f.severity) >= threshold)
    });
    Ok(if failing { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
