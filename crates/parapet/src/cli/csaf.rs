//! `parapet csaf`: CSAF 2.0 documents checked against the specification's tests.

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
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
    let CsafCommand::Validate(args) = command;
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
