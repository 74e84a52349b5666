//! The update catalog end to end: `parapet source` against real sources, `catalog export` read by
//! `parapet scan`, `csaf check` and a sync of Parapet's own provider, and two servers on
//! loopback replicating while the upstream dies mid-sync.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use crate::{free_port, parapet, serve, serve_on, stdout};

fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(path)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `parapet source sync NAME --format json`, which must complete (exit 0, or 1 when it rejected
/// documents).
fn sync(data: &Path, name: &str) -> Value {
    let output = parapet(data, &["source", "sync", name, "--format", "json"], &[]);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{name}: {}", text(&output.stderr));
    let outcome: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(outcome["rejected"].as_u64().unwrap() > 0, output.status.code() == Some(1));
    for key in ["new", "updated", "unchanged", "rejected", "accepted_with_problems"] {
        assert!(outcome[key].is_u64(), "{key} in {outcome}");
    }
    assert!(outcome["rejections"].is_array());
    outcome
}

fn add(data: &Path, args: &[&str]) {
    let output = parapet(data, &[&["source", "add"], args].concat(), &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
}

/// A project with vulnerable dependencies in three ecosystems.
fn project(dir: &Path) -> PathBuf {
    let app = dir.join("app");
    std::fs::create_dir_all(&app).unwrap();
    let crates = [
        ("smallvec", "1.6.0"),
        ("hyper", "0.14.9"),
        ("tokio", "1.8.0"),
        ("time", "0.1.43"),
        ("regex", "1.5.4"),
        ("openssl", "0.10.30"),
    ];
    let mut lock = String::from("version = 4\n");
    for (name, version) in crates {
        lock.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        ));
    }
    std::fs::write(app.join("Cargo.lock"), lock).unwrap();
    std::fs::write(
        app.join("requirements.txt"),
        "django==2.2.0\nrequests==2.19.0\npyyaml==5.3\njinja2==2.10\nurllib3==1.24.1\npillow==6.0.0\n",
    )
    .unwrap();
    std::fs::write(
        app.join("go.mod"),
        "module example.com/app\n\ngo 1.20\n\nrequire (\n\tgolang.org/x/net v0.7.0\n\tgolang.org/x/crypto v0.1.0\n\tgithub.com/gin-gonic/gin v1.6.0\n)\n",
    )
    .unwrap();
    app
}

fn findings(output: &Output) -> Vec<String> {
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", text(&output.stderr)));
    let mut findings: Vec<String> = report["findings"].as_array().unwrap().iter().map(Value::to_string).collect();
    findings.sort();
    findings
}

#[tokio::test]
async fn osv_sources_export_a_catalog_that_scans_like_a_direct_build() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let databases = [("rustsec", "osv/rustsec/crates"), ("go", "osv/go"), ("pypa", "osv/pypa/vulns")];
    for (name, folder) in databases {
        add(&data, &[name, "--kind", "osv", "--url", shared(folder).to_str().unwrap()]);
        let outcome = sync(&data, name);
        assert!(outcome["new"].as_u64().unwrap() > 500, "{name}: {outcome}");
        let again = sync(&data, name);
        assert_eq!((again["new"].as_u64(), again["updated"].as_u64()), (Some(0), Some(0)), "{name}");
    }
    let exported = dir.path().join("exported.ppc");
    stdout(&parapet(&data, &["catalog", "export", "--out", exported.to_str().unwrap()], &[]));
    let built = dir.path().join("built.ppc");
    let mut build = vec!["catalog".to_owned(), "build".to_owned(), "--out".to_owned(), built.display().to_string()];
    for (_, folder) in databases {
        build.extend(["--osv".to_owned(), shared(folder).display().to_string()]);
    }
    let built_output = std::process::Command::new(crate::BIN).args(&build).output().unwrap();
    assert!(built_output.status.success(), "{}", text(&built_output.stderr));

    let app = project(dir.path());
    let scan = |catalog: &Path| {
        std::process::Command::new(crate::BIN)
            .args(["scan", app.to_str().unwrap(), "--catalog", catalog.to_str().unwrap(), "--format", "json"])
            .output()
            .unwrap()
    };
    let from_export = findings(&scan(&exported));
    let from_build = findings(&scan(&built));
    assert!(from_build.len() > 20, "the project should have many findings: {}", from_build.len());
    assert_eq!(from_export, from_build, "the exported catalog finds what a direct build finds");
    println!("{} findings from either catalog", from_build.len());

    let list = stdout(&parapet(&data, &["source", "list"], &[]));
    assert!(list.contains("rustsec") && list.contains("ok in"), "{list}");
    let shown: Value =
        serde_json::from_slice(&parapet(&data, &["source", "show", "go", "--format", "json"], &[]).stdout).unwrap();
    assert_eq!(shown["runs"].as_array().unwrap().len(), 2);

    // Bad input: a clear error, exit code 2, nothing written.
    let bad = parapet(&data, &["source", "add", "x", "--kind", "rss", "--url", "/tmp"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("unknown source kind \"rss\""), "{}", text(&bad.stderr));
    let missing = parapet(&data, &["source", "sync", "nope"], &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("source \"nope\" not found"), "{}", text(&missing.stderr));
    let duplicate = parapet(&data, &["source", "add", "go", "--kind", "osv", "--url", "/tmp"], &[]);
    assert_eq!(duplicate.status.code(), Some(2));
    assert!(text(&duplicate.stderr).contains("already exists"), "{}", text(&duplicate.stderr));
}

#[tokio::test]
async fn parapet_syncs_its_own_provider_which_csaf_check_finds_conformant() {
    let dir = tempfile::tempdir().unwrap();
    let provider = dir.path().join("provider");
    let documents = ["2024/icsa-24-200-01.json", "2024/icsma-24-254-01.json", "2023/icsa-23-353-01.json"];
    let paths: Vec<String> =
        documents.iter().map(|d| shared("csaf/provider-cisa/OT/white").join(d).display().to_string()).collect();
    let mut import = vec!["csaf", "import"];
    import.extend(paths.iter().map(String::as_str));
    stdout(&parapet(&provider, &import, &[]));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let env = [("PARAPET_SERVER_PUBLIC_URL", base.as_str())];
    let (_server, _) = serve_on(&provider, &format!("127.0.0.1:{port}"), &env).await;

    let check =
        std::process::Command::new(crate::BIN).args(["csaf", "check", &base, "--format", "json"]).output().unwrap();
    let report: Value = serde_json::from_slice(&check.stdout).unwrap_or_else(|_| panic!("{}", text(&check.stderr)));
    assert_eq!(check.status.code(), Some(0), "{report:#}");
    assert_eq!(report["documents_checked"], 3);
    let requirements = report["requirements"].as_array().unwrap();
    assert_eq!(requirements.len(), 23);
    let result = |number: u64| requirements[number as usize - 1]["result"].as_str().unwrap().to_owned();
    // Everything that can be checked on loopback is met.
    for number in [1, 2, 4, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20] {
        assert_eq!(result(number), "pass", "requirement {number}: {report:#}");
    }
    for number in [3, 10] {
        assert_eq!(result(number), "not-checkable", "requirement {number}");
    }
    for number in [5, 21, 22, 23] {
        assert_eq!(result(number), "not-applicable", "requirement {number}");
    }
    let table = std::process::Command::new(crate::BIN).args(["csaf", "check", &base]).output().unwrap();
    assert!(text(&table.stdout).contains("Signatures") && text(&table.stdout).contains("pass"));

    // Another data folder syncs the provider, trusting the key its metadata lists.
    let consumer = dir.path().join("consumer");
    add(&consumer, &["own", "--kind", "csaf", "--url", &base]);
    let outcome = sync(&consumer, "own");
    assert_eq!((outcome["new"].as_u64(), outcome["rejected"].as_u64()), (Some(3), Some(0)), "{outcome}");
    let again = sync(&consumer, "own");
    assert_eq!((again["new"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(3)), "{again}");

    // A provider that does not exist: exit code 2 with the reason.
    let nothing = std::process::Command::new(crate::BIN)
        .args(["csaf", "check", &format!("http://127.0.0.1:{}", free_port())])
        .output()
        .unwrap();
    assert_eq!(nothing.status.code(), Some(2));
    assert!(
        text(&nothing.stderr).contains("Connection refused") || text(&nothing.stderr).contains("connect"),
        "{}",
        text(&nothing.stderr)
    );
}

/// The number of live records in a data folder's catalog, read beside the running processes.
async fn records(data: &Path) -> i64 {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", data.join("parapet.db").display());
    let Ok(mut connection) = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await else { return 0 };
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM catalog_records WHERE body IS NOT NULL")
        .fetch_one(&mut connection)
        .await
        .unwrap_or(0)
}

#[tokio::test]
async fn a_downstream_server_replicates_and_ends_whole_after_the_upstream_dies_mid_sync() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = dir.path().join("upstream");
    for (name, folder) in [("rustsec", "osv/rustsec/crates"), ("go", "osv/go")] {
        add(&upstream, &[name, "--kind", "osv", "--url", shared(folder).to_str().unwrap()]);
        sync(&upstream, name);
    }
    let total = records(&upstream).await;
    assert!(total > 5000, "{total}");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let (mut upstream_server, upstream_url) = serve_on(&upstream, &listen, &[]).await;

    let downstream = dir.path().join("downstream");
    let (_downstream_server, downstream_url) = serve(&downstream, &[]).await;
    add(&downstream, &["central", "--kind", "parapet", "--url", &upstream_url]);

    // The first sync runs until some pages are in, then the upstream dies under it.
    let child = std::process::Command::new(crate::BIN)
        .args(["source", "sync", "central", "--format", "json", "--data"])
        .arg(&downstream)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let copied = records(&downstream).await;
        if copied > 0 {
            assert!(copied < total, "the sync finished before the upstream could be stopped");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the downstream copied nothing");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    upstream_server.stop();
    let first = child.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(2), "the sync stops with an error: {}", text(&first.stderr));
    assert!(text(&first.stderr).contains("stopped"), "{}", text(&first.stderr));
    let partial = records(&downstream).await;
    assert!(partial > 0 && partial < total, "{partial} of {total}");

    // The downstream keeps serving its own users while the upstream is away.
    let reply = reqwest::get(format!("{downstream_url}/api/v1/catalog/advisories?per_page=1")).await.unwrap();
    assert_eq!(reply.status(), 200);
    let shown: Value =
        serde_json::from_slice(&parapet(&downstream, &["source", "show", "central", "--format", "json"], &[]).stdout)
            .unwrap();
    assert_eq!(shown["last_run"]["outcome"], "failed");

    // The upstream comes back at the same address; the next sync goes on from the cursor and
    // ends in the same catalog, without duplicates.
    let (_upstream_again, _) = serve_on(&upstream, &listen, &[]).await;
    let outcome = sync(&downstream, "central");
    assert_eq!(outcome["rejected"], 0);
    assert_eq!(records(&downstream).await, total, "{outcome}");
    let export = |data: &Path, name: &str| {
        let out = dir.path().join(name);
        stdout(&parapet(data, &["catalog", "export", "--out", out.to_str().unwrap()], &[]));
        out
    };
    let (up, down) = (export(&upstream, "up.ppc"), export(&downstream, "down.ppc"));
    let info = |file: &Path| -> Value {
        serde_json::from_slice(
            &std::process::Command::new(crate::BIN)
                .args(["catalog", "info", file.to_str().unwrap(), "--format", "json"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap()
    };
    assert_eq!(info(&up)["advisories"], info(&down)["advisories"]);
    let app = project(dir.path());
    let scan = |catalog: &Path| {
        std::process::Command::new(crate::BIN)
            .args(["scan", app.to_str().unwrap(), "--catalog", catalog.to_str().unwrap(), "--format", "json"])
            .output()
            .unwrap()
    };
    assert_eq!(findings(&scan(&down)), findings(&scan(&up)));
    let again = sync(&downstream, "central");
    assert_eq!((again["new"].as_u64(), again["updated"].as_u64()), (Some(0), Some(0)), "{again}");
}

/// `parapet source show` lists what a CSAF source took although it fails mandatory tests, in
/// words and as JSON; `source add --validation` sets the policy and refuses it off CSAF.
#[tokio::test]
async fn source_show_lists_documents_taken_with_problems() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    add(data, &["vendor", "--kind", "csaf", "--url", "https://csaf.example/"]);
    add(data, &["picky", "--kind", "csaf", "--url", "https://csaf.example/", "--validation", "strict"]);
    let refused =
        parapet(data, &["source", "add", "osv", "--kind", "osv", "--url", "/srv/osv", "--validation", "strict"], &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("applies to CSAF sources only"), "{}", text(&refused.stderr));
    let typo =
        parapet(data, &["source", "add", "x", "--kind", "csaf", "--url", "https://x/", "--validation", "lax"], &[]);
    assert_eq!(typo.status.code(), Some(2), "clap refuses an unknown value");

    // What a sync of a flawed document leaves, written as the CSAF consumer writes it.
    let store = parapet_store::Store::open(&format!("sqlite://{}", data.join("parapet.db").display())).await.unwrap();
    let lease = store.lease_source("vendor", "test", 60_000).await.unwrap().unwrap();
    let problem = parapet_catalog::DocumentProblem {
        test: "6.1.31".into(),
        path: "/product_tree/branches/0/name".into(),
        message: "vers:all/* is a version range".into(),
    };
    let batch = parapet_store::CatalogBatch {
        documents: vec![parapet_store::DocumentState {
            document: "https://csaf.example/white/2024/a.json".into(),
            digest: "d".into(),
            modified: String::new(),
            record_id: None,
            problems: vec![problem],
        }],
        ..Default::default()
    };
    store.apply_batch(&lease, &batch).await.unwrap().unwrap();
    let counts = parapet_store::SyncCounts { accepted_with_problems: 1, ..Default::default() };
    store.finish_run(&lease, counts, &[], None).await.unwrap();
    drop(store);

    let shown = text(&parapet(data, &["source", "show", "vendor"], &[]).stdout);
    assert!(shown.contains("validation: schema"), "{shown}");
    assert!(shown.contains("1 documents taken although they fail mandatory CSAF tests"), "{shown}");
    assert!(
        shown.contains("https://csaf.example/white/2024/a.json: 6.1.31 at /product_tree/branches/0/name"),
        "{shown}"
    );
    assert!(shown.contains("(1 taken with problems)"), "the run line: {shown}");
    assert!(text(&parapet(data, &["source", "show", "picky"], &[]).stdout).contains("validation: strict"));
    let json: Value =
        serde_json::from_slice(&parapet(data, &["source", "show", "vendor", "--format", "json"], &[]).stdout).unwrap();
    assert_eq!(json["validation"], "schema");
    assert_eq!(json["accepted_with_problems"]["total"], 1);
    assert_eq!(json["accepted_with_problems"]["documents"][0]["problems"][0]["test"], "6.1.31");
    assert_eq!(json["runs"][0]["accepted_with_problems"], 1);
}
