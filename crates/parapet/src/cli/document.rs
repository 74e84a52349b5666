//! `parapet bulletin` and `parapet advisory`: write, preview, schedule and publish documents
//! through a server's API (so that they work against any server, local or remote).

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use parapet_model::DocumentKind;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct DocumentArgs {
    #[command(subcommand)]
    command: DocumentCommand,
    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Args, Debug)]
struct ServerArgs {
    /// The Parapet server.
    #[arg(long, env = "PARAPET_SERVER", default_value = "http://127.0.0.1:8080", global = true, value_name = "URL")]
    server: String,
    /// An API token (see `parapet token create`); needs the write scope to change anything.
    #[arg(long, env = "PARAPET_TOKEN", global = true, hide_env_values = true, value_name = "TOKEN")]
    token: Option<String>,
}

#[derive(Subcommand, Debug)]
enum DocumentCommand {
    /// List documents of this kind, drafts included.
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print a document (its content, revisions and schedule) as JSON.
    Show { id: String },
    /// Write a new document from a JSON file (`-` for standard input); prints its ID.
    ///
    /// The file holds `title`, `summary`, `products` (product IDs), `vulnerabilities` (with
    /// `cve`, `cvss_v31`, `affected` version IDs…), `updates`, `references`, and optionally `id`
    /// (otherwise the configured pattern numbers it) and `revision` (`summary`, `date`). See the
    /// API description at /api/v1/openapi.json, schema DocumentInput.
    Create { file: PathBuf },
    /// Replace a document's draft content from a JSON file. After a published revision, give
    /// `revision.change` (minor or major) and `revision.summary` to start the next one.
    Edit { id: String, file: PathBuf },
    /// Render the document as it would be published and validate its CSAF. Exit code 1 when it
    /// fails a mandatory test (it could not be published).
    Preview {
        id: String,
        /// What to print: the validation findings, or the rendered CSAF, OSV or CVE records.
        #[arg(long, value_enum, default_value_t = Preview::Report)]
        show: Preview,
    },
    /// Schedule the draft revision: at the next monthly release, or at an instant (RFC 3339).
    Schedule {
        id: String,
        /// `next-release` or an instant such as 2026-12-08T17:00:00Z (out of band).
        #[arg(long, default_value = "next-release")]
        at: String,
        #[arg(long, value_enum, default_value_t = Status::Final)]
        status: Status,
    },
    /// Cancel a scheduled publication.
    Unschedule { id: String },
    /// Start the revision that withdraws the document (or, with --superseded-by, marks it
    /// superseded); publish or schedule it like any revision.
    Withdraw {
        id: String,
        /// Why: the revision's summary line.
        #[arg(long)]
        reason: String,
        /// The document that replaces this one.
        #[arg(long, value_name = "ID")]
        superseded_by: Option<String>,
    },
    /// Publish the draft revision now (an out-of-band release).
    Publish {
        id: String,
        #[arg(long, value_enum, default_value_t = Status::Final)]
        status: Status,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Preview {
    Report,
    Csaf,
    Osv,
    Cve,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Final,
    Interim,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Final => "final",
            Status::Interim => "interim",
        }
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let url = format!("{}/api/v1{path}", self.base.trim_end_matches('/'));
        let mut request = self.http.request(method, &url).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.with_context(|| format!("cannot reach {url}"))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let message = body.pointer("/error/message").and_then(Value::as_str).unwrap_or("request failed");
            match body.pointer("/error/field").and_then(Value::as_str) {
                Some(field) => bail!("{status}: {field}: {message}"),
                None => bail!("{status}: {message}"),
            }
        }
        Ok(body)
    }
}

fn read_input(file: &PathBuf) -> anyhow::Result<Value> {
    let mut text = String::new();
    if file.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text).context("cannot read standard input")?;
    } else {
        text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    }
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))
}

fn print_json(value: &Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string_pretty(value)?)?;
    Ok(())
}

pub fn run(kind: DocumentKind, args: DocumentArgs) -> anyhow::Result<ExitCode> {
    let token = args
        .server
        .token
        .clone()
        .context("an API token is needed: pass --token or set PARAPET_TOKEN (see `parapet token create`)")?;
    let client = Client { http: reqwest::Client::new(), base: args.server.server.clone(), token };
    super::block_on(async move { execute(kind, args.command, &client).await })?
}

async fn execute(kind: DocumentKind, command: DocumentCommand, client: &Client) -> anyhow::Result<ExitCode> {
    use reqwest::Method;
    let check_kind = |document: &Value| -> anyhow::Result<()> {
        if document["kind"] != kind.as_str() {
            bail!("{} is a {}, not a {}", document["id"].as_str().unwrap_or("?"), document["kind"], kind.as_str());
        }
        Ok(())
    };
    match command {
        DocumentCommand::List { format } => {
            let all = client.call(Method::GET, "/documents", None).await?;
            let items: Vec<&Value> =
                all["items"].as_array().into_iter().flatten().filter(|d| d["kind"] == kind.as_str()).collect();
            if format == Format::Json {
                print_json(&json!(items))?;
            } else {
                let mut out = std::io::stdout().lock();
                for d in items {
                    let scheduled = d.pointer("/schedule/at").and_then(Value::as_str).unwrap_or("-");
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}",
                        d["id"].as_str().unwrap_or(""),
                        d["status"].as_str().unwrap_or(""),
                        scheduled,
                        d["title"].as_str().unwrap_or("")
                    )?;
                }
            }
        }
        DocumentCommand::Show { id } => {
            let document = client.call(Method::GET, &format!("/documents/{id}"), None).await?;
            check_kind(&document)?;
            print_json(&document)?;
        }
        DocumentCommand::Create { file } => {
            let mut input = read_input(&file)?;
            match input.get("kind").and_then(Value::as_str) {
                Some(given) if given != kind.as_str() => {
                    bail!("the file says kind {given:?}, this is `parapet {}`", kind.as_str())
                }
                _ => input["kind"] = json!(kind.as_str()),
            }
            let created = client.call(Method::POST, "/documents", Some(input)).await?;
            println!("{}", created["id"].as_str().unwrap_or_default());
        }
        DocumentCommand::Edit { id, file } => {
            let input = read_input(&file)?;
            let current = client.call(Method::GET, &format!("/documents/{id}"), None).await?;
            check_kind(&current)?;
            let updated = client.call(Method::PUT, &format!("/documents/{id}"), Some(input)).await?;
            let revision = updated.pointer("/document/revisions").and_then(Value::as_array).and_then(|r| r.last());
            eprintln!(
                "{id}: revision {} ({})",
                revision.and_then(|r| r["number"].as_str()).unwrap_or("?"),
                revision.and_then(|r| r["status"].as_str()).unwrap_or("?")
            );
        }
        DocumentCommand::Preview { id, show } => {
            let preview = client.call(Method::GET, &format!("/documents/{id}/preview"), None).await?;
            let valid = preview["valid"].as_bool().unwrap_or(false);
            match show {
                Preview::Csaf => print_json(&preview["csaf"])?,
                Preview::Osv => print_json(&preview["osv"])?,
                Preview::Cve => print_json(&preview["cve"])?,
                Preview::Report => {
                    let mut out = std::io::stdout().lock();
                    let count = |level: &str| preview[level].as_array().map_or(0, Vec::len);
                    writeln!(
                        out,
                        "{id}: {} ({} errors, {} warnings, {} infos)",
                        if valid { "valid CSAF" } else { "INVALID CSAF: it cannot be published" },
                        count("errors"),
                        count("warnings"),
                        count("infos")
                    )?;
                    for level in ["errors", "warnings", "infos"] {
                        for p in preview[level].as_array().into_iter().flatten() {
                            writeln!(
                                out,
                                "  {} {} at {}: {}",
                                level.trim_end_matches('s'),
                                p["test"].as_str().unwrap_or(""),
                                p["path"].as_str().unwrap_or(""),
                                p["message"].as_str().unwrap_or("")
                            )?;
                        }
                    }
                }
            }
            if !valid {
                return Ok(ExitCode::from(1));
            }
        }
        DocumentCommand::Schedule { id, at, status } => {
            let at = if at == "next-release" { "next_release".to_owned() } else { at };
            let scheduled = client
                .call(
                    Method::POST,
                    &format!("/documents/{id}/schedule"),
                    Some(json!({"at": at, "status": status.as_str()})),
                )
                .await?;
            let when = scheduled.pointer("/schedule/at").and_then(Value::as_str).unwrap_or("?");
            match scheduled.pointer("/schedule/release_month").and_then(Value::as_str) {
                Some(month) => eprintln!("{id}: scheduled for the {month} release, {when}"),
                None => eprintln!("{id}: scheduled out of band, {when}"),
            }
        }
        DocumentCommand::Unschedule { id } => {
            client.call(Method::DELETE, &format!("/documents/{id}/schedule"), None).await?;
            eprintln!("{id}: no longer scheduled");
        }
        DocumentCommand::Withdraw { id, reason, superseded_by } => {
            let current = client.call(Method::GET, &format!("/documents/{id}"), None).await?;
            check_kind(&current)?;
            let body = json!({"reason": reason, "superseded_by": superseded_by});
            let updated = client.call(Method::POST, &format!("/documents/{id}/withdraw"), Some(body)).await?;
            let revision = updated.pointer("/document/revisions").and_then(Value::as_array).and_then(|r| r.last());
            eprintln!(
                "{id}: revision {} (draft) withdraws it; publish or schedule it to make it public",
                revision.and_then(|r| r["number"].as_str()).unwrap_or("?")
            );
        }
        DocumentCommand::Publish { id, status } => {
            let published = client
                .call(Method::POST, &format!("/documents/{id}/publish"), Some(json!({"status": status.as_str()})))
                .await?;
            eprintln!(
                "{id}: version {} published at {}/.well-known/csaf/{}/{}",
                published["version"].as_str().unwrap_or("?"),
                client.base.trim_end_matches('/'),
                published["label"].as_str().unwrap_or("white").to_lowercase(),
                published["path"].as_str().unwrap_or("")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
