//! The fleet end to end, with real processes: `parapet serve` on loopback (SQLite and
//! PostgreSQL), `parapet-agent` processes reporting two real Debian 12 roots with different
//! package sets and this machine, and a catalog synced over HTTP from this machine's real
//! bookworm-security apt lists and Debian's DSA list.
//!
//! What the server says each host needs must be exactly what `parapet scan --root` reports as
//! missing updates for the same catalog, and what `apt list --upgradable` offers from the
//! security suite; an advisory's exposure must change within 5 s of the sync that adds it; a
//! revoked host is refused; a server killed and restarted under a running agent loses and
//! duplicates nothing.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::scan_root::{Upgradable, apt_security_upgrades, bookworm_root, bookworm_tools_root, printed};
use crate::{free_port, parapet, serve_on};

const LISTS: &str = "/var/lib/apt/lists";

pub(crate) fn agent_binary() -> PathBuf {
    let path = Path::new(crate::BIN).with_file_name("parapet-agent");
    assert!(
        path.exists(),
        "{} is missing: build the workspace's binaries first (cargo test --workspace builds them)",
        path.display()
    );
    path
}

pub(crate) fn agent(state: &Path, root: &Path, args: &[&str]) -> Output {
    Command::new(agent_binary()).arg("--state").arg(state).arg("--root").arg(root).args(args).output().unwrap()
}

pub(crate) fn agent_ok(state: &Path, root: &Path, args: &[&str]) -> String {
    let output = agent(state, root, args);
    assert!(output.status.success(), "parapet-agent {args:?} failed: {}", printed(&output));
    String::from_utf8(output.stdout).unwrap()
}

/// A static HTTP server process over `folder`, killed on drop.
pub(crate) struct Files {
    child: Child,
    pub(crate) url: String,
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn serve_files(folder: &Path) -> Files {
    let port = free_port();
    let child = Command::new("python3")
        .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string(), "--directory"])
        .arg(folder)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 serves the apt archive");
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "the file server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Files { child, url }
}

/// This machine's bookworm-security lists laid out as the archive serves them.
fn security_archive(folder: &Path) {
    let dists = folder.join("debian-security/dists/bookworm-security");
    std::fs::create_dir_all(dists.join("main/binary-amd64")).unwrap();
    let prefix = format!("{LISTS}/deb.debian.org_debian-security_dists_bookworm-security_");
    std::fs::copy(format!("{prefix}InRelease"), dists.join("InRelease"))
        .expect("apt's lists hold bookworm-security (scripts/test.sh runs apt-get update)");
    let packages = std::fs::read_dir(LISTS)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().starts_with(&format!("{prefix}main_binary-amd64_Packages")))
        .expect("the bookworm-security Packages list for amd64");
    // apt keeps its lists compressed its own way; apt-helper reads them back.
    let text = Command::new("/usr/lib/apt/apt-helper").arg("cat-file").arg(&packages).output().unwrap();
    assert!(text.status.success(), "apt-helper cat-file: {}", printed(&text));
    std::fs::write(dists.join("main/binary-amd64/Packages"), text.stdout).unwrap();
}

pub(crate) struct Api {
    pub(crate) base: String,
    pub(crate) token: String,
    pub(crate) http: reqwest::Client,
}

/// An admin's API token on the server with this data folder, made with the command line.
pub(crate) fn admin_token(data: &Path, env: &[(&str, &str)]) -> String {
    let env_with_password: Vec<(&str, &str)> = [env, &[("PARAPET_PASSWORD", "fleet-admin-password")]].concat();
    let added = parapet(data, &["user", "add", "root", "--role", "admin"], &env_with_password);
    assert!(added.status.success(), "{}", printed(&added));
    let token = parapet(data, &["token", "create", "--user", "root"], env);
    assert!(token.status.success(), "{}", printed(&token));
    String::from_utf8(token.stdout).unwrap().trim().to_owned()
}

impl Api {
    pub(crate) async fn get(&self, path: &str) -> Value {
        let reply = self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await.unwrap();
        let status = reply.status();
        let text = reply.text().await.unwrap();
        assert!(status.is_success(), "GET {path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Value {
        let reply =
            self.http.post(format!("{}{path}", self.base)).bearer_auth(&self.token).json(&body).send().await.unwrap();
        let status = reply.status();
        let text = reply.text().await.unwrap();
        assert!(status.is_success(), "POST {path}: {status} {text}");
        if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() }
    }

    /// Package → (candidate, installed) of the updates the server says a host needs.
    async fn needed(&self, host: &str) -> BTreeMap<String, Upgradable> {
        let updates = self.get(&format!("/api/v1/fleet/hosts/{host}/updates")).await;
        updates["updates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let text = |k: &str| p[k].as_str().unwrap().to_owned();
                (text("name"), Upgradable { candidate: text("update_version"), installed: text("version") })
            })
            .collect()
    }
}

/// Package → (candidate, installed) of `parapet scan --root`'s missing updates.
fn scanned(root: &Path, catalog: &Path) -> BTreeMap<String, Upgradable> {
    let output = Command::new(crate::BIN)
        .arg("scan")
        .arg("--root")
        .arg(root)
        .arg("--catalog")
        .arg(catalog)
        .args(["--format", "json", "--no-checks"])
        .output()
        .unwrap();
    assert!(output.status.code().is_some_and(|c| c <= 1), "parapet scan: {}", printed(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "missing-update")
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap().to_owned();
            (text("package"), Upgradable { candidate: text("fixed"), installed: text("installed") })
        })
        .collect()
}

/// The needed packages missing from apt's security upgrades that apt upgrades from another suite
/// to a version at least the security suite's.
fn upgradable_beyond(
    root: &Path,
    needed: &BTreeMap<String, Upgradable>,
    apt: &BTreeMap<String, Upgradable>,
) -> std::collections::BTreeSet<String> {
    let listing = crate::scan_root::succeed(crate::scan_root::in_root(root, "apt").args(["list", "--upgradable"]));
    let mut beyond = std::collections::BTreeSet::new();
    for (package, upgrade) in needed.iter().filter(|(p, _)| !apt.contains_key(*p)) {
        let line = listing.lines().find(|l| l.starts_with(&format!("{package}/")) && l.contains("[upgradable from:"));
        let Some(candidate) = line.and_then(|l| l.split_whitespace().nth(1)) else { continue };
        let newer =
            Command::new("dpkg").args(["--compare-versions", candidate, "ge", &upgrade.candidate]).status().unwrap();
        if newer.success() {
            beyond.insert(package.clone());
        }
    }
    beyond
}

pub(crate) fn host_id(state: &Path) -> String {
    let status: Value =
        serde_json::from_str(&agent_ok(state, Path::new("/"), &["status", "--format", "json"])).unwrap();
    status["host_id"].as_str().unwrap().to_owned()
}

async fn fleet(env: &[(&str, &str)]) {
    let (root, tools) = (bookworm_root(), bookworm_tools_root());
    let (expected_root, expected_tools) = (apt_security_upgrades(&root), apt_security_upgrades(&tools));
    let expected_host = apt_security_upgrades(Path::new("/"));
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let token = admin_token(&data, env);
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let fleet_env: Vec<(&str, &str)> = [env, &[("PARAPET_FLEET_CHECK_IN_SECONDS", "10")]].concat();
    let (mut server, base) = serve_on(&data, &listen, &fleet_env).await;
    let api = Api { base: base.clone(), token, http: reqwest::Client::new() };

    // Enrollment: a group, a secret for it, and three agents (the two roots and this machine).
    api.post("/api/v1/fleet/groups", json!({"name": "servers"})).await;
    let secret = api.post("/api/v1/fleet/enrollment-secrets", json!({"name": "ci", "group": "servers"})).await;
    let secret = secret["secret"].as_str().unwrap().to_owned();
    let (root_state, tools_state, host_state) =
        (temp.path().join("agent-root"), temp.path().join("agent-tools"), temp.path().join("agent-host"));
    for (state, target) in
        [(&root_state, root.as_path()), (&tools_state, tools.as_path()), (&host_state, Path::new("/"))]
    {
        agent_ok(state, target, &["enroll", "--server", &base, "--secret", &secret, "--tag", "env=ci"]);
        let checked: Value = serde_json::from_str(&agent_ok(state, target, &["check-in", "--format", "json"])).unwrap();
        assert_eq!(checked["sent_inventory"], true, "{checked}");
        assert_eq!(checked["security_updates"], 0, "no catalog yet: {checked}");
    }
    let refused = agent(&root_state, &root, &["enroll", "--server", &base, "--secret", &secret]);
    assert!(!refused.status.success() && printed(&refused).contains("--force"), "{}", printed(&refused));
    let (root_host, tools_host, this_host) = (host_id(&root_state), host_id(&tools_state), host_id(&host_state));

    // A sync that adds the security suite and the DSA list: the hosts' needs and the exposure of
    // an advisory follow within 5 s.
    let archive = temp.path().join("archive");
    security_archive(&archive);
    let files = serve_files(&archive);
    let url = format!("{}/debian-security/dists/bookworm-security", files.url);
    for args in [
        vec!["source", "add", "security", "--kind", "apt", "--url", url.as_str()],
        vec!["source", "add", "dsa", "--kind", "debian-list", "--url", "../../../shared/data/debian/DSA-list"],
    ] {
        let output = parapet(&data, &args, env);
        assert!(output.status.success(), "parapet {args:?}: {}", printed(&output));
    }
    let dsa_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/debian/DSA-list");
    assert!(dsa_path.exists(), "../shared/data/debian/DSA-list is missing");
    for name in ["dsa", "security"] {
        let output = parapet(&data, &["source", "sync", name], env);
        // apt keeps only main here: the other components the Release lists are refused (exit 1).
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let only_other_components = text
            .lines()
            .filter(|l| l.trim_start().starts_with("rejected"))
            .all(|l| ["/contrib/", "/non-free/", "/non-free-firmware/"].iter().any(|c| l.contains(c)));
        assert!(
            output.status.success() || (output.status.code() == Some(1) && only_other_components),
            "parapet source sync {name}: {}",
            printed(&output)
        );
    }
    assert!(
        !expected_root.is_empty(),
        "apt offers no security update in {}: the comparison would be vacuous",
        root.display()
    );
    // The worker brings the hosts' needs up to date with the sync.
    let synced = Instant::now();
    while api.needed(&root_host).await.len() < expected_root.len()
        || api.needed(&tools_host).await.len() < expected_tools.len()
    {
        assert!(synced.elapsed() < Duration::from_secs(5), "the roots' needs are not computed 5 s after the sync");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The server's needs are the scan's and apt's, for the root and for this machine.
    let catalog_file = temp.path().join("catalog.ppc");
    let bytes = reqwest::get(format!("{base}/api/v1/catalog/file")).await.unwrap().bytes().await.unwrap();
    std::fs::write(&catalog_file, bytes).unwrap();
    for (name, id, target, apt) in [
        ("root", &root_host, root.as_path(), &expected_root),
        ("tools root", &tools_host, tools.as_path(), &expected_tools),
        ("this machine", &this_host, Path::new("/"), &expected_host),
    ] {
        let needed = api.needed(id).await;
        let scan = scanned(target, &catalog_file);
        assert_eq!(needed, scan, "{name}: the server's needed updates differ from parapet scan --root");
        // apt's candidate may come from a point release newer than the security suite's fix:
        // then apt lists it under the other suite, and the security update is still missing.
        let newer_elsewhere = upgradable_beyond(target, &needed, apt);
        let security_only: BTreeMap<String, Upgradable> =
            needed.iter().filter(|(p, _)| !newer_elsewhere.contains(*p)).map(|(p, u)| (p.clone(), u.clone())).collect();
        assert_eq!(&security_only, apt, "{name}: the server's needed updates differ from apt list --upgradable");
        eprintln!(
            "fleet: {name} needs {} security updates, as the scan says; apt agrees on {} and upgrades {} beyond them from other suites",
            needed.len(),
            security_only.len(),
            newer_elsewhere.len()
        );
    }
    // An advisory about a package of the root arrives with a sync of an OSV source: its
    // exposure follows within 5 s.
    let (package, upgrade) = expected_root.iter().next().unwrap();
    let advisory = "PARAPET-TEST-2026-0001";
    let osv = temp.path().join("osv");
    std::fs::create_dir_all(&osv).unwrap();
    let record = json!({
        "schema_version": "1.6.0", "id": advisory, "aliases": ["CVE-2099-0001"], "modified": "2026-12-01T00:00:00Z",
        "summary": format!("A test advisory about {package}"),
        "affected": [{"package": {"ecosystem": "Debian:12", "name": package},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": upgrade.candidate}]}]}]
    });
    std::fs::write(osv.join(format!("{advisory}.json")), record.to_string()).unwrap();
    let output = parapet(&data, &["source", "add", "osv-test", "--kind", "osv", "--url", osv.to_str().unwrap()], env);
    assert!(output.status.success(), "{}", printed(&output));
    let before = api.get(&format!("/api/v1/fleet/advisories/{advisory}/exposure")).await;
    assert_eq!(before["hosts_now"], 0, "{before}");
    let output = parapet(&data, &["source", "sync", "osv-test"], env);
    assert!(output.status.success(), "{}", printed(&output));
    let synced = Instant::now();
    let exposure = loop {
        let exposure = api.get(&format!("/api/v1/fleet/advisories/{advisory}/exposure")).await;
        if exposure["hosts_now"].as_i64().unwrap() >= 1 {
            break exposure;
        }
        assert!(synced.elapsed() < Duration::from_secs(5), "{advisory} exposes no host 5 s after the sync: {exposure}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!(
        "fleet: {advisory} exposed {} hosts {} ms after the sync",
        exposure["hosts_now"],
        synced.elapsed().as_millis()
    );
    assert!(exposure["hosts"].as_array().unwrap().iter().any(|h| h["id"] == root_host.as_str()), "{exposure}");
    assert!(!exposure["first_seen_at"].is_null(), "{exposure}");
    let by_alias = api.get("/api/v1/fleet/advisories/CVE-2099-0001/exposure").await;
    assert_eq!(by_alias["hosts_now"], exposure["hosts_now"]);
    let status = api.get(&format!("/api/v1/fleet/advisories/{advisory}/status")).await;
    assert_eq!(status["groups"][0]["group"], "All hosts", "{status}");
    assert!(status["groups"][0]["needed"].as_i64().unwrap() >= 1, "{status}");

    // A server killed under a running agent and started again: nothing lost, nothing twice.
    let running = Command::new(agent_binary())
        .arg("--state")
        .arg(&root_state)
        .arg("--root")
        .arg(&root)
        .args(["run", "--interval", "1"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.stop();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (restarted, _) = serve_on(&data, &listen, &fleet_env).await;
    server = restarted;
    let before = api.get(&format!("/api/v1/fleet/hosts/{root_host}")).await["sequence"].as_i64().unwrap();
    let waited = Instant::now();
    while api.get(&format!("/api/v1/fleet/hosts/{root_host}")).await["sequence"].as_i64().unwrap() <= before {
        assert!(waited.elapsed() < Duration::from_secs(60), "the agent did not come back after the restart");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let pid = running.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let exited = running.wait_with_output().unwrap();
    assert!(exited.status.success(), "the agent did not stop cleanly on SIGTERM: {}", printed(&exited));
    let detail = api.get(&format!("/api/v1/fleet/hosts/{root_host}")).await;
    assert!(detail["clone_suspected_at"].is_null(), "a restart is not a clone: {detail}");
    let history = api.get(&format!("/api/v1/fleet/hosts/{root_host}/check-ins")).await;
    let sequences: Vec<i64> =
        history["items"].as_array().unwrap().iter().map(|c| c["sequence"].as_i64().unwrap()).collect();
    assert!(sequences.windows(2).all(|w| w[0] > w[1] || w[1] == 0), "sequences repeat: {sequences:?}");
    assert_eq!(api.needed(&root_host).await, expected_root, "the inventory and its needs survived");

    // Revoked: refused, and nothing written.
    api.post(&format!("/api/v1/fleet/hosts/{root_host}/revoke"), json!({})).await;
    let refused = agent(&root_state, &root, &["check-in"]);
    assert!(!refused.status.success(), "{}", printed(&refused));
    assert!(printed(&refused).contains("401"), "{}", printed(&refused));
    let after = api.get(&format!("/api/v1/fleet/hosts/{root_host}/check-ins")).await;
    assert_eq!(after["items"].as_array().unwrap().len(), history["items"].as_array().unwrap().len());
    drop(files);
    let _ = server.stop();
}

#[tokio::test]
async fn fleet_on_sqlite() {
    fleet(&[]).await;
}

#[tokio::test]
async fn fleet_on_postgres() {
    let url = crate::postgres_database("parapet_fleet").await;
    fleet(&[("PARAPET_DATABASE_URL", &url)]).await;
}
