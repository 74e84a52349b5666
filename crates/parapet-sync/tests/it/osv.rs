//! The OSV consumer: the shared OSV databases as folders, a zip over HTTP, and an HTTP folder
//! with osv.dev's modified_id.csv.

use crate::server::TestServer;
use crate::{add_and_sync, shared, store, sync};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use parapet_catalog::{Advisory, SourceSpec, SourceType};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

fn sorted(mut advisories: Vec<Advisory>) -> Vec<Advisory> {
    advisories.sort_by(|a, b| a.id.cmp(&b.id));
    advisories
}

fn built(path: &std::path::Path) -> Vec<Advisory> {
    let inputs = parapet_catalog::build::Inputs { osv: vec![path.to_owned()], ..Default::default() };
    sorted(parapet_catalog::build::build(&inputs, String::new(), &|_, _, _| {}).unwrap().advisories)
}

#[tokio::test]
async fn every_shared_osv_database_syncs_to_what_a_direct_build_reads() {
    for (name, folder) in [("rustsec", "osv/rustsec"), ("go", "osv/go"), ("pypa", "osv/pypa")] {
        let store = store().await;
        let path = shared(folder);
        let files = walkdir::WalkDir::new(&path)
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_type().is_file())
            .filter(|e| [".json", ".yaml", ".yml"].iter().any(|ext| e.file_name().to_string_lossy().ends_with(ext)))
            .count();
        let spec = SourceSpec::new(name, SourceType::Osv, path.display().to_string());
        let outcome = add_and_sync(&store.store, spec).await;
        assert_eq!(outcome.error, None, "{name}");
        let snapshot = store.store.catalog_snapshot(String::new()).await.unwrap();
        let expected = built(&path);
        let synced = sorted(snapshot.advisories);
        let ids = |list: &[Advisory]| list.iter().map(|a| a.id.clone()).collect::<std::collections::BTreeSet<_>>();
        let (synced_ids, expected_ids) = (ids(&synced), ids(&expected));
        assert_eq!(
            synced_ids.symmetric_difference(&expected_ids).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "{name}: {:?}",
            outcome.rejections
        );
        assert_eq!(synced, expected, "{name}: the synced catalog differs from a direct build");
        assert_eq!(outcome.counts.new as usize, expected.len(), "{name}: {:?}", outcome.counts);
        println!("{name}: {} files, {} advisories, {} rejected", files, expected.len(), outcome.counts.rejected);

        let tick = store.store.catalog_tick().await.unwrap();
        let again = sync(&store.store, name).await;
        assert_eq!(again.error, None);
        assert_eq!((again.counts.new, again.counts.updated, again.counts.withdrawn), (0, 0, 0), "{name}");
        assert_eq!(again.counts.unchanged as usize + again.counts.rejected as usize, files, "{name}");
        assert_eq!(store.store.catalog_tick().await.unwrap(), tick, "{name}: a second sync wrote");
    }
}

/// A zip of the records given, named as osv.dev names them.
fn zip_of(records: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in records {
        writer.start_file(name.as_str(), options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[derive(Default)]
struct Served {
    zip: Vec<u8>,
    records: BTreeMap<String, Vec<u8>>,
    listing: String,
    fetched: Vec<String>,
}

async fn zip(State(served): State<Arc<Mutex<Served>>>) -> Vec<u8> {
    served.lock().unwrap().zip.clone()
}

async fn file(State(served): State<Arc<Mutex<Served>>>, Path(name): Path<String>) -> Response {
    let mut served = served.lock().unwrap();
    if name == "modified_id.csv" {
        return served.listing.clone().into_response();
    }
    served.fetched.push(name.clone());
    match served.records.get(&name) {
        Some(bytes) => bytes.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn rustsec_records() -> BTreeMap<String, Vec<u8>> {
    let mut records = BTreeMap::new();
    for entry in std::fs::read_dir(shared("osv/rustsec/crates")).unwrap() {
        let entry = entry.unwrap();
        records.insert(entry.file_name().to_string_lossy().into_owned(), std::fs::read(entry.path()).unwrap());
    }
    records
}

fn modified(record: &[u8], summary: &str) -> Vec<u8> {
    let mut value: serde_json::Value = serde_json::from_slice(record).unwrap();
    value["summary"] = summary.into();
    value["modified"] = "2030-01-01T00:00:00Z".into();
    serde_json::to_vec(&value).unwrap()
}

#[tokio::test]
async fn a_zip_over_http_syncs_and_its_next_version_updates_withdraws_and_retracts() {
    let mut records = rustsec_records();
    let served = Arc::new(Mutex::new(Served { zip: zip_of(&records), ..Served::default() }));
    let router = Router::new().route("/crates.io/all.zip", get(zip)).with_state(served.clone());
    let server = TestServer::start(router).await;
    let store = store().await;
    let spec = SourceSpec::new("crates", SourceType::Osv, format!("{}/crates.io/all.zip", server.url));
    let first = add_and_sync(&store.store, spec).await;
    assert_eq!(first.error, None);
    assert_eq!(
        sorted(store.store.catalog_snapshot(String::new()).await.unwrap().advisories),
        built(&shared("osv/rustsec/crates"))
    );

    // The next zip: one record changed, one withdrawn, one gone.
    let live: Vec<String> = store
        .store
        .record_ids(store.store.source("crates").await.unwrap().unwrap().id)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let (changed, withdrawn, gone) = (&live[0], &live[1], &live[2]);
    let file_of = |id: &str| format!("{id}.json");
    let bytes = records[&file_of(changed)].clone();
    records.insert(file_of(changed), modified(&bytes, "A new summary"));
    let mut value: serde_json::Value = serde_json::from_slice(&records[&file_of(withdrawn)]).unwrap();
    value["withdrawn"] = "2030-01-01T00:00:00Z".into();
    records.insert(file_of(withdrawn), serde_json::to_vec(&value).unwrap());
    records.remove(&file_of(gone));
    served.lock().unwrap().zip = zip_of(&records);
    let second = sync(&store.store, "crates").await;
    assert_eq!(second.error, None);
    assert_eq!((second.counts.new, second.counts.updated, second.counts.withdrawn), (0, 1, 2), "{:?}", second.counts);
    let entry = store.store.catalog_entry(changed).await.unwrap().unwrap();
    assert_eq!(entry.title, "A new summary");
    assert!(store.store.catalog_entry(withdrawn).await.unwrap().is_none());
    assert!(store.store.catalog_entry(gone).await.unwrap().is_none());

    // A truncated or corrupt zip fails the sync and leaves the catalog as it was.
    let tick = store.store.catalog_tick().await.unwrap();
    let zip = served.lock().unwrap().zip.clone();
    served.lock().unwrap().zip = zip[..zip.len() / 2].to_vec();
    let broken = sync(&store.store, "crates").await;
    let error = broken.error.expect("a truncated zip is an error");
    assert!(error.contains("zip"), "{error}");
    assert_eq!(store.store.catalog_tick().await.unwrap(), tick);
    assert!(store.store.catalog_entry(changed).await.unwrap().is_some());
}

#[tokio::test]
async fn an_http_folder_with_modified_id_csv_fetches_only_what_changed() {
    let records: BTreeMap<String, Vec<u8>> = rustsec_records().into_iter().take(40).collect();
    let listing = |records: &BTreeMap<String, Vec<u8>>| -> String {
        records
            .iter()
            .map(|(name, bytes)| {
                let value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                format!("{},{}\n", value["modified"].as_str().unwrap(), name.trim_end_matches(".json"))
            })
            .collect()
    };
    let served =
        Arc::new(Mutex::new(Served { listing: listing(&records), records: records.clone(), ..Served::default() }));
    let router = Router::new().route("/crates.io/{name}", get(file)).with_state(served.clone());
    let server = TestServer::start(router).await;
    let store = store().await;
    let spec = SourceSpec::new("listing", SourceType::Osv, format!("{}/crates.io", server.url));
    let first = add_and_sync(&store.store, spec).await;
    assert_eq!(first.error, None);
    assert_eq!(first.counts.new as usize + first.counts.rejected as usize, 40);
    assert_eq!(served.lock().unwrap().fetched.len(), 40);

    let name = records.keys().nth(3).unwrap().clone();
    {
        let mut served = served.lock().unwrap();
        let bytes = served.records[&name].clone();
        served.records.insert(name.clone(), modified(&bytes, "Changed upstream"));
        served.listing = listing(&served.records);
        served.fetched.clear();
    }
    let second = sync(&store.store, "listing").await;
    assert_eq!(second.error, None);
    assert_eq!(served.lock().unwrap().fetched, vec![name], "only the record modified since is fetched");
    assert_eq!((second.counts.updated, second.counts.unchanged), (1, 39));
}
