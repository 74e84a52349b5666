//! A scan written for people (a table grouped by target and severity) and for tools (JSON,
//! SARIF 2.1.0, CSV).

use crate::finding::{FindingKind, gate_severity, severity_label};
use crate::{Finding, Scan};
use anstyle::{AnsiColor, Style};
use parapet_model::Severity;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// How many findings of each severity, for the summary line.
fn counts(findings: &[Finding]) -> BTreeMap<std::cmp::Reverse<u8>, (&'static str, usize)> {
    let mut counts = BTreeMap::new();
    for finding in findings {
        let rank = finding.severity.map_or(0, |s| s.rank() as u8);
        counts.entry(std::cmp::Reverse(rank)).or_insert((severity_label(finding.severity), 0)).1 += 1;
    }
    counts
}

/// The one-line summary: `12 findings (1 critical, 3 important, 8 low) in 2 targets, 1 error`.
pub fn summary_line(scan: &Scan) -> String {
    let by_severity: Vec<String> = counts(&scan.findings).values().map(|(name, n)| format!("{n} {name}")).collect();
    let mut line = match scan.findings.len() {
        0 => "no findings".to_owned(),
        1 => format!("1 finding ({})", by_severity.join(", ")),
        n => format!("{n} findings ({})", by_severity.join(", ")),
    };
    let packages: usize = scan.targets.iter().map(|t| t.packages).sum();
    line.push_str(&format!(
        " in {} target{}, {packages} packages",
        scan.targets.len(),
        if scan.targets.len() == 1 { "" } else { "s" }
    ));
    if !scan.checks.is_empty() {
        let failed = scan.checks.iter().filter(|c| c.status == parapet_checks::Status::Fail).count();
        line.push_str(&format!(", {} checks ({failed} failed)", scan.checks.len()));
    }
    if !scan.suppressed.is_empty() {
        line.push_str(&format!(", {} suppressed by VEX", scan.suppressed.len()));
    }
    if !scan.errors.is_empty() {
        line.push_str(&format!(", {} error{}", scan.errors.len(), if scan.errors.len() == 1 { "" } else { "s" }));
    }
    line
}

fn severity_style(severity: Option<Severity>) -> Style {
    match severity {
        Some(Severity::Critical) => AnsiColor::Red.on_default().bold(),
        Some(Severity::Important) => AnsiColor::Red.on_default(),
        Some(Severity::Moderate) => AnsiColor::Yellow.on_default(),
        Some(Severity::Low) => AnsiColor::Cyan.on_default(),
        None => Style::new().dimmed(),
    }
}

/// The terminal report. Styles are always written; the caller's stream (anstream) strips them
/// when the output is not a terminal.
pub fn table(scan: &Scan, out: &mut dyn Write) -> io::Result<()> {
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let mut current_target: Option<&str> = None;
    for finding in &scan.findings {
        if current_target != Some(&finding.target) {
            current_target = Some(&finding.target);
            let summary = scan.targets.iter().find(|t| t.name == finding.target);
            let os = summary.and_then(|t| t.os.as_deref()).map(|os| format!(" ({os})")).unwrap_or_default();
            writeln!(out, "\n{bold}{}{os}{bold:#}", finding.target)?;
        }
        let style = severity_style(finding.severity);
        let label = severity_label(finding.severity).to_uppercase();
        let what = match finding.kind {
            FindingKind::Misconfiguration => finding.check.clone().unwrap_or_default(),
            _ => format!(
                "{} {}{}",
                finding.package.as_deref().unwrap_or_default(),
                finding.installed.as_deref().unwrap_or_default(),
                match finding.fixed.version() {
                    Some(fixed) => format!(" → {fixed}"),
                    None if finding.kind == FindingKind::Vulnerable => " (no fix)".to_owned(),
                    None => String::new(),
                }
            ),
        };
        writeln!(out, "  {style}{label:<9}{style:#} {:<16} {what}", finding.kind.as_str())?;
        let ids = if finding.ids.is_empty() { String::new() } else { format!("[{}] ", finding.ids.join(", ")) };
        writeln!(out, "            {dim}{ids}{dim:#}{}", finding.title)?;
        for line in finding.evidence.iter().take(5) {
            writeln!(out, "            {dim}{line}{dim:#}")?;
        }
        if finding.evidence.len() > 5 {
            writeln!(out, "            {dim}… {} more{dim:#}", finding.evidence.len() - 5)?;
        }
        if let Some(note) = &finding.note {
            writeln!(out, "            {dim}{note}{dim:#}")?;
        }
    }
    if !scan.errors.is_empty() {
        let red = AnsiColor::Red.on_default();
        writeln!(out, "\n{red}errors{red:#}")?;
        for error in &scan.errors {
            writeln!(out, "  {error}")?;
        }
    }
    if let Some(warning) = &scan.warning {
        let yellow = AnsiColor::Yellow.on_default();
        writeln!(out, "\n{yellow}warning:{yellow:#} {warning}")?;
    }
    writeln!(out, "\n{bold}{}{bold:#}", summary_line(scan))
}

/// One JSON object: `targets`, `findings`, `suppressed`, `checks`, `errors`, `summary`.
pub fn json(scan: &Scan, out: &mut dyn Write) -> io::Result<()> {
    let mut value = serde_json::to_value(scan).map_err(io::Error::other)?;
    value["summary"] = json!({
        "findings": scan.findings.len(),
        "by_severity": counts(&scan.findings).values().map(|(name, n)| (name.to_string(), *n)).collect::<BTreeMap<_, _>>(),
        "errors": scan.errors.len(),
        "line": summary_line(scan),
    });
    serde_json::to_writer_pretty(&mut *out, &value).map_err(io::Error::other)?;
    writeln!(out)
}

/// CSV, one finding a row, with a header.
pub fn csv(scan: &Scan, out: &mut dyn Write) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "kind",
        "severity",
        "ids",
        "title",
        "target",
        "location",
        "package",
        "ecosystem",
        "installed",
        "fixed",
        "check",
        "evidence",
        "note",
    ])?;
    for f in &scan.findings {
        writer.write_record([
            f.kind.as_str(),
            severity_label(f.severity),
            &f.ids.join(" "),
            &spreadsheet_safe(&f.title),
            &f.target,
            f.location.as_deref().unwrap_or_default(),
            f.package.as_deref().unwrap_or_default(),
            f.ecosystem.as_deref().unwrap_or_default(),
            f.installed.as_deref().unwrap_or_default(),
            f.fixed.version().unwrap_or_default(),
            f.check.as_deref().unwrap_or_default(),
            &spreadsheet_safe(&f.evidence.join("\n")),
            &spreadsheet_safe(f.note.as_deref().unwrap_or_default()),
        ])?;
    }
    writer.flush()
}

/// Text from advisories must not run as a formula when the CSV is opened in a spreadsheet.
fn spreadsheet_safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() }
}

/// SARIF 2.1.0, as code-scanning services accept it: one rule per advisory or check, one
/// result per finding with a location in the scanned file.
pub fn sarif(scan: &Scan, out: &mut dyn Write) -> io::Result<()> {
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    let mut results = Vec::new();
    for finding in &scan.findings {
        let rule_id =
            finding.ids.first().cloned().unwrap_or_else(|| {
                format!("{}:{}", finding.kind.as_str(), finding.package.as_deref().unwrap_or("host"))
            });
        let score = match finding.severity {
            Some(Severity::Critical) => "9.5",
            Some(Severity::Important) => "8.0",
            Some(Severity::Moderate) => "5.5",
            Some(Severity::Low) | None => "2.0",
        };
        rules.entry(rule_id.clone()).or_insert_with(|| {
            let mut rule = json!({
                "id": rule_id,
                "name": finding.kind.as_str(),
                "shortDescription": {"text": finding.title},
                "fullDescription": {"text": finding.title},
                "help": {"text": finding.note.clone().unwrap_or_else(|| finding.title.clone())},
                "properties": {
                    "security-severity": score,
                    "tags": ["security", finding.kind.as_str()],
                },
            });
            if let Some(url) = &finding.url {
                rule["helpUri"] = json!(url);
            }
            rule
        });
        let level = match gate_severity(finding.severity) {
            Severity::Critical | Severity::Important => "error",
            Severity::Moderate => "warning",
            Severity::Low => "note",
        };
        let message = match &finding.package {
            Some(package) if finding.check.is_none() => format!(
                "{package} {} ({}): {}{}",
                finding.installed.as_deref().unwrap_or_default(),
                finding.kind.as_str(),
                finding.title,
                finding.fixed.version().map(|v| format!("; fixed in {v}")).unwrap_or_default()
            ),
            _ => format!("{}: {}", finding.title, finding.evidence.join("; ")),
        };
        let (uri, line) = location(finding);
        let mut region = json!({});
        if let Some(line) = line {
            region["startLine"] = json!(line);
        }
        let mut physical = json!({"artifactLocation": {"uri": uri}});
        if line.is_some() {
            physical["region"] = region;
        }
        results.push(json!({
            "ruleId": rule_id,
            "level": level,
            "message": {"text": message},
            "locations": [{"physicalLocation": physical}],
            "partialFingerprints": {
                "parapet/v1": format!("{}|{}|{}|{}", finding.target, rule_id, finding.package.as_deref().unwrap_or_default(), finding.check.as_deref().unwrap_or_default()),
            },
        }));
    }
    let document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "parapet",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/parapet-security/parapet",
                "rules": rules.into_values().collect::<Vec<_>>(),
            }},
            "results": results,
            "invocations": [{
                "executionSuccessful": scan.errors.is_empty(),
                "toolExecutionNotifications": scan.errors.iter().map(|e| json!({"level": "error", "message": {"text": e}})).collect::<Vec<_>>(),
            }],
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::other)?;
    writeln!(out)
}

/// The file and line of a finding: `Cargo.lock:120` splits into both; configuration findings
/// point at the first file their evidence names.
fn location(finding: &Finding) -> (String, Option<u64>) {
    let raw = finding
        .location
        .clone()
        .or_else(|| {
            finding
                .evidence
                .iter()
                .find_map(|e| e.starts_with('/').then(|| e.split(": ").next().unwrap_or(e).to_owned()))
        })
        .unwrap_or_else(|| finding.target.clone());
    let (file, line) = match raw.rsplit_once(':') {
        Some((file, line)) if line.parse::<u64>().is_ok() => (file.to_owned(), line.parse().ok()),
        _ => (raw, None),
    };
    (file.trim_start_matches("./").trim_start_matches('/').to_owned(), line)
}
