//! Syncing CISA's whole provider directory (2,383 documents, 56 MB) from a provider on loopback
//! (goal: under 30 s with peak memory under 300 MB). The provider runs in a child process (this
//! binary with `--serve`), its signatures made before the clock starts, so the figures are the
//! consumer's alone: fetching each document with its hash and signature, checking both,
//! validating, reading it into the catalog and committing in batches to SQLite. A second sync
//! (nothing new) is timed too.
//!
//! Run with `cargo bench -p parapet-sync --bench cisa`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;
use std::time::Instant;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/csaf/provider-cisa")
}

fn peak_memory_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

struct Provider {
    fingerprint: String,
    public_key: String,
    signatures: HashMap<String, String>,
}

async fn metadata(State(provider): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    let base = format!("http://{}", headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default());
    axum::Json(serde_json::json!({
        "canonical_url": format!("{base}/.well-known/csaf/provider-metadata.json"),
        "distributions": [
            {"directory_url": format!("{base}/csaf_files/OT/white")},
            {"directory_url": format!("{base}/csaf_files/IT/white")}
        ],
        "last_updated": "2024-10-24T19:23:12Z",
        "list_on_CSAF_aggregators": true,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": true,
        "public_openpgp_keys": [{"fingerprint": provider.fingerprint, "url": format!("{base}/key.asc")}],
        "publisher": {"category": "coordinator", "name": "Benchmark copy of CISA", "namespace": "https://www.cisa.gov/"},
        "role": "csaf_trusted_provider"
    }))
    .into_response()
}

async fn files(State(provider): State<Arc<Provider>>, Path(path): Path<String>) -> Response {
    if path.contains("..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Some(signature) = provider.signatures.get(&path) {
        return signature.clone().into_response();
    }
    match tokio::fs::read(root().join(&path)).await {
        Ok(bytes) => bytes.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The provider: signs every document, then serves on a loopback port and prints its URL.
fn serve() {
    let key = parapet_provider::SigningKey::generate("Benchmark provider <csaf@example.com>", "pw").unwrap();
    let mut signatures = HashMap::new();
    for entry in walkdir::WalkDir::new(root()) {
        let entry = entry.unwrap();
        let name = entry.path().to_string_lossy().into_owned();
        if name.ends_with(".json") && entry.path().parent().is_some_and(|p| p.file_name().unwrap() != "white") {
            let relative = entry.path().strip_prefix(root()).unwrap().display().to_string();
            signatures.insert(format!("{relative}.asc"), key.sign(&std::fs::read(entry.path()).unwrap()).unwrap());
        }
    }
    let provider = Arc::new(Provider {
        fingerprint: key.fingerprint().to_owned(),
        public_key: key.armored_public().unwrap(),
        signatures,
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let public_key = provider.public_key.clone();
        let router = Router::new()
            .route("/.well-known/csaf/provider-metadata.json", get(metadata))
            .route("/key.asc", get(move || async move { public_key }))
            .route("/csaf_files/{*path}", get(files))
            .with_state(provider);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("http://{}", listener.local_addr().unwrap());
        axum::serve(listener, router).await.unwrap();
    });
}

fn main() {
    if std::env::args().any(|a| a == "--serve") {
        return serve();
    }
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--serve")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().to_owned();
    let bytes: u64 = walkdir::WalkDir::new(root())
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| e.metadata().unwrap().len())
        .sum();

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = parapet_store::Store::open(&parapet_store::Store::sqlite_url(dir.path())).await.unwrap();
        // No key given: the one the provider's metadata lists is fetched and checked against
        // its fingerprint.
        let spec = parapet_catalog::SourceSpec::new("cisa", parapet_catalog::SourceType::Csaf, &url);
        store.add_source("bench", &spec).await.unwrap();
        let before = peak_memory_kib();
        let options = parapet_sync::SyncOptions::default();
        let started = Instant::now();
        let first = parapet_sync::sync_source(&store, "cisa", &options).await.unwrap();
        let elapsed = started.elapsed().as_secs_f64();
        assert_eq!(first.error, None);
        let documents = first.counts.new + first.counts.updated + first.counts.rejected;
        println!(
            "first sync: {documents} documents ({} new, {} rejected) in {elapsed:.2} s: {:.0} documents/s, {:.1} MB/s",
            first.counts.new,
            first.counts.rejected,
            documents as f64 / elapsed,
            bytes as f64 / 1e6 / elapsed
        );
        println!(
            "peak resident memory: {:.1} MiB ({:.1} MiB before the sync)",
            peak_memory_kib() as f64 / 1024.0,
            before as f64 / 1024.0
        );
        let started = Instant::now();
        let second = parapet_sync::sync_source(&store, "cisa", &options).await.unwrap();
        println!(
            "second sync: {} unchanged, {} new in {:.2} s",
            second.counts.unchanged,
            second.counts.new,
            started.elapsed().as_secs_f64()
        );
    });
    let _ = child.kill();
    let _ = child.wait();
}
