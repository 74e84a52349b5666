//! Load benchmark of the fleet: simulated agents speaking the real check-in protocol over HTTP
//! against the real server on a loopback port, with inventories drawn from this machine's real
//! dpkg status (500 to all of its packages each, so every host's inventory is its own).
//!
//! ```text
//! cargo bench -p parapet-server --bench fleet                 # 10,000 hosts
//! cargo bench -p parapet-server --bench fleet -- 2000         # fewer hosts
//! pg_virtualenv cargo bench -p parapet-server --bench fleet   # and on PostgreSQL
//! pg_virtualenv cargo bench -p parapet-server --bench fleet -- --postgres-only
//! ```
//!
//! It reports: enrollment and first full inventory of every host; unchanged check-ins per
//! second with their p50/p99 latency; the time from committing a new security update for a
//! package on half of the hosts to every one of them listed as needing it; and the resident
//! memory of the process (server and clients together, so an upper bound for the server); and
//! how long a report takes that asks which inventories hold a package; then rounds of an
//! approval for all ten groups, every host getting its job at its next check-in and reporting
//! it, and the time-to-remediation dashboard over those results.
//! Clients and server share the machine's cores.

use parapet_catalog::model::Update;
use parapet_catalog::{Classification, SourceSpec, SourceType};
use parapet_model::{InstalledPackage, Role, Scope};
use parapet_server::{AppState, Settings};
use parapet_store::{CatalogBatch, HostQuery, Store, UpdateChange};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CLIENTS: usize = 32;
const GROUPS: usize = 10;
/// Rollout rounds: each approves a newer version of one package for every group, and every
/// host gets its job and reports it.
const ROUNDS: usize = 10;
const MEASURE: Duration = Duration::from_secs(10);

#[derive(serde::Serialize)]
struct FirstCheckIn<'a> {
    sequence: u64,
    facts: Value,
    inventory_digest: &'a str,
    inventory: &'a [InstalledPackage],
}

struct Host {
    credential: String,
    sequence: u64,
    digest: String,
}

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    let hosts: usize =
        std::env::args().skip(1).find(|a| !a.starts_with('-')).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let all = parapet_scan::collect::system(std::path::Path::new("/"), "host");
    let packages: Vec<InstalledPackage> =
        all.packages.iter().filter_map(parapet_scan::collect::installed_package).collect();
    assert!(
        packages.len() >= 500,
        "this machine has {} dpkg packages; the benchmark wants 500 or more",
        packages.len()
    );
    println!(
        "{hosts} hosts, inventories of 500 to {} packages from /var/lib/dpkg/status, {CLIENTS} clients",
        packages.len()
    );

    let dir = tempfile::tempdir().expect("temporary folder");
    if !std::env::args().any(|a| a == "--postgres-only") {
        let store = Store::open(&Store::sqlite_url(dir.path())).await.expect("SQLite store");
        run("sqlite", store, hosts, &packages).await;
    }
    match postgres().await {
        Ok(store) => run("postgres", store, hosts, &packages).await,
        Err(why) => println!("\nPostgreSQL: SKIPPED — {why}"),
    }
}

async fn postgres() -> Result<Store, String> {
    let names = ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD"];
    if names.iter().any(|n| std::env::var(n).is_err()) {
        return Err("the libpq variables are not set; run it under pg_virtualenv".into());
    }
    let var = |name: &str| std::env::var(name).expect("checked above");
    let (host, port, user, password) = (var("PGHOST"), var("PGPORT"), var("PGUSER"), var("PGPASSWORD"));
    let admin_url = format!("postgres://{user}:{password}@{host}:{port}/postgres");
    let name = format!("parapet_fleet_bench_{}", uuid::Uuid::new_v4().simple());
    let admin =
        sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&admin_url).await.map_err(|e| e.to_string())?;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.map_err(|e| e.to_string())?;
    Store::open(&format!("postgres://{user}:{password}@{host}:{port}/{name}")).await.map_err(|e| e.to_string())
}

/// The inventory of host `i`: a deterministic subset of the machine's packages, with the
/// package under test on even hosts only and the rolled-out one on every host.
fn inventory_of(i: usize, packages: &[InstalledPackage], target: &str, common: &str) -> Vec<InstalledPackage> {
    let others: Vec<&InstalledPackage> = packages.iter().filter(|p| p.name != target && p.name != common).collect();
    let keep = 500 + (i * 7919) % (others.len() - 499);
    let mut out: Vec<InstalledPackage> = Vec::with_capacity(keep + 1);
    // Skip one package per host so that inventories differ even at the same size.
    let skip = i % others.len();
    out.extend(others.iter().enumerate().filter(|(n, _)| *n != skip).map(|(_, p)| (*p).clone()).take(keep));
    if i.is_multiple_of(2) {
        out.extend(packages.iter().filter(|p| p.name == target).cloned());
    }
    out.extend(packages.iter().filter(|p| p.name == common).cloned());
    out.sort();
    out
}

fn facts(i: usize) -> Value {
    json!({"hostname": format!("host-{i}"), "os": "debian", "os_version": "12", "os_codename": "bookworm",
        "arch": "amd64", "kernel": "6.1.0-18-amd64", "uptime_seconds": 1000, "reboot_required": false, "agent_version": "bench"})
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

async fn run(name: &str, store: Store, count: usize, packages: &[InstalledPackage]) {
    println!("\n== {name} ==");
    let mut amd64 = packages.iter().filter(|p| p.arch == "amd64");
    let target = amd64.next().expect("an amd64 package").name.clone();
    let common = amd64.next().expect("a second amd64 package").clone();
    let admin = {
        let user = store.create_user("bench", "bench", Role::Admin, None).await.expect("admin");
        let token = parapet_server::auth::new_api_token();
        store
            .create_token(
                "bench",
                user.id,
                "bench",
                &parapet_server::auth::digest(&token),
                &[Scope::Read, Scope::Write],
            )
            .await
            .expect("token");
        token
    };
    let mut settings = Settings::default();
    settings.fleet.recompute_seconds = 1;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("loopback port");
    let base = format!("http://{}", listener.local_addr().expect("bound address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(parapet_server::serve(AppState::new(store.clone(), settings), listener, async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::builder().pool_max_idle_per_host(CLIENTS).build().expect("client");
    // Ten groups, each with its enrollment secret; host i joins group i % 10.
    let mut secrets = Vec::new();
    for g in 0..GROUPS {
        let group = format!("group-{g}");
        let made = http.post(format!("{base}/api/v1/fleet/groups")).bearer_auth(&admin).json(&json!({"name": group}));
        assert!(made.send().await.expect("group").status().is_success());
        let secret: Value = http
            .post(format!("{base}/api/v1/fleet/enrollment-secrets"))
            .bearer_auth(&admin)
            .json(&json!({"name": group, "group": group}))
            .send()
            .await
            .expect("secret")
            .json()
            .await
            .expect("secret JSON");
        secrets.push(secret["secret"].as_str().expect("the secret").to_owned());
    }
    let secrets = Arc::new(secrets);

    // Enrollment and first full inventory.
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..CLIENTS {
        let (http, base, secrets, next, packages, target, common) = (
            http.clone(),
            base.clone(),
            secrets.clone(),
            next.clone(),
            packages.to_vec(),
            target.clone(),
            common.name.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return mine;
                }
                let enrolled: Value = http
                    .post(format!("{base}/api/v1/agent/enroll"))
                    .json(&json!({"secret": secrets[i % GROUPS], "hostname": format!("host-{i}")}))
                    .send()
                    .await
                    .expect("enroll")
                    .json()
                    .await
                    .expect("enrolled");
                let credential = enrolled["credential"].as_str().expect("credential").to_owned();
                let inventory = inventory_of(i, &packages, &target, &common);
                let digest = parapet_scan::collect::inventory_digest(&inventory);
                // Serialized straight from the packages, as the agent does, not through a Value.
                let body =
                    FirstCheckIn { sequence: 1, facts: facts(i), inventory_digest: &digest, inventory: &inventory };
                let reply = http
                    .post(format!("{base}/api/v1/agent/check-in"))
                    .bearer_auth(&credential)
                    .json(&body)
                    .send()
                    .await
                    .expect("check-in");
                assert!(reply.status().is_success(), "first check-in: {}", reply.text().await.unwrap_or_default());
                mine.push((i, Host { credential, sequence: 1, digest }));
            }
        }));
    }
    let mut fleet: Vec<(usize, Host)> = Vec::with_capacity(count);
    for worker in workers {
        fleet.extend(worker.await.expect("enrolling client"));
    }
    let enrolled = started.elapsed();
    println!(
        "enroll + first full inventory: {count} hosts in {:.1} s ({:.0} hosts/s); RSS {:.0} MB",
        enrolled.as_secs_f64(),
        count as f64 / enrolled.as_secs_f64(),
        rss_mb()
    );

    // Unchanged check-ins.
    let per_client = fleet.len().div_ceil(CLIENTS);
    let mut chunks: Vec<Vec<(usize, Host)>> = Vec::new();
    while !fleet.is_empty() {
        let rest = fleet.split_off(fleet.len().saturating_sub(per_client));
        chunks.push(rest);
    }
    let deadline = Instant::now() + MEASURE;
    let mut workers = Vec::new();
    for mut hosts in chunks {
        let (http, base) = (http.clone(), base.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let mut n = 0usize;
            while Instant::now() < deadline {
                let slot = n % hosts.len();
                let (i, host) = &mut hosts[slot];
                n += 1;
                host.sequence += 1;
                let body = json!({"sequence": host.sequence, "facts": facts(*i), "inventory_digest": host.digest});
                let sent = Instant::now();
                match http
                    .post(format!("{base}/api/v1/agent/check-in"))
                    .bearer_auth(&host.credential)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(reply) if reply.status().is_success() => latencies.push(sent.elapsed()),
                    _ => errors += 1,
                }
            }
            (latencies, errors, hosts)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut chunks = Vec::new();
    for worker in workers {
        let (mine, failed, hosts) = worker.await.expect("checking-in client");
        latencies.extend(mine);
        errors += failed;
        chunks.push(hosts);
    }
    latencies.sort();
    let pct = |p: usize| latencies[((p * latencies.len()).div_ceil(100)).max(1) - 1].as_secs_f64() * 1000.0;
    println!(
        "unchanged check-ins: {:.0}/s over {} s ({} ok, {errors} errors), p50 {:.2} ms, p99 {:.2} ms; RSS {:.0} MB",
        latencies.len() as f64 / MEASURE.as_secs_f64(),
        MEASURE.as_secs(),
        latencies.len(),
        pct(50),
        pct(99),
        rss_mb()
    );

    // A new security update for the package on half of the hosts.
    let version = &packages.iter().find(|p| p.name == target).expect("target").version;
    let spec = SourceSpec::new("bench", SourceType::Apt, "https://deb.example/dists/bookworm-security");
    store.add_source("bench", &spec).await.expect("source");
    let lease = store.lease_source("bench", "bench", 60_000).await.expect("lease").expect("free");
    let update = Update {
        ecosystem: "Debian:12".into(),
        suite: "bookworm-security".into(),
        package: target.clone(),
        arch: "amd64".into(),
        version: format!("{version}+bench1"),
        source: target.clone(),
        source_version: format!("{version}+bench1"),
    };
    let batch = CatalogBatch {
        updates: vec![UpdateChange {
            update,
            classification: Classification::Security,
            released_at: time::OffsetDateTime::now_utc(),
            superseded_by: None,
        }],
        ..CatalogBatch::default()
    };
    let expected = count.div_ceil(2) as i64;
    store.apply_batch(&lease, &batch).await.expect("batch").expect("lease held");
    let committed = Instant::now();
    let query =
        HostQuery { needs_security_updates: Some(true), stale_after_ms: 1, page: 1, per_page: 1, ..Default::default() };
    loop {
        let listed = store.hosts(&query).await.expect("hosts").total;
        if listed >= expected {
            break;
        }
        assert!(committed.elapsed() < Duration::from_secs(120), "only {listed} of {expected} hosts after 120 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "new update for {target} on {expected} hosts: all listed as needing it {:.2} s after the commit; RSS {:.0} MB",
        committed.elapsed().as_secs_f64(),
        rss_mb()
    );

    // Reports that ask which inventories hold a package: each a pass over all of them.
    let mut took = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let status = store.update_status(&target).await.expect("update status");
        took.push(started.elapsed());
        assert_eq!(status.groups[0].needed, expected, "the status report agrees with the host list");
    }
    took.sort();
    println!(
        "update status of {target} (two passes over {count} inventories): median {:.0} ms of 5",
        took[2].as_secs_f64() * 1000.0
    );
    rollout(&http, &base, &admin, &common, chunks, count).await;
    let _ = stop.send(());
    let _ = server.await;
}

/// The CPU time this process has used (server and clients), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces) end in `)`.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |n: usize| fields.get(n).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime, fields 14 and 15 of stat (11 and 12 after the command), in clock ticks of 1/100 s.
    (ticks(11) + ticks(12)) / 100.0
}

/// Rounds of approval for every group, the job each host gets at its next check-in, and its
/// report; then the time-to-remediation dashboard over all those results.
async fn rollout(
    http: &reqwest::Client,
    base: &str,
    admin: &str,
    common: &InstalledPackage,
    chunks: Vec<Vec<(usize, Host)>>,
    count: usize,
) {
    let groups: Vec<String> = (0..GROUPS).map(|g| format!("group-{g}")).collect();
    let mut chunks = chunks;
    let mut rounds = Vec::new();
    for round in 1..=ROUNDS {
        let version = format!("{}+rollout{round}", common.version);
        let approval = json!({"package": common.name, "version": version, "ecosystem": "Debian:12",
            "groups": groups, "action": "install"});
        let (wall, cpu) = (Instant::now(), cpu_seconds());
        let approved = http.post(format!("{base}/api/v1/fleet/approvals")).bearer_auth(admin).json(&approval);
        assert!(approved.send().await.expect("approval").status().is_success());
        let mut workers = Vec::new();
        for mut hosts in std::mem::take(&mut chunks) {
            let (http, base, common, version) = (http.clone(), base.to_owned(), common.clone(), version.clone());
            workers.push(tokio::spawn(async move {
                let mut reported = 0usize;
                for (i, host) in hosts.iter_mut() {
                    host.sequence += 1;
                    let body = json!({"sequence": host.sequence, "facts": facts(*i), "inventory_digest": host.digest});
                    let answer: Value = http
                        .post(format!("{base}/api/v1/agent/check-in"))
                        .bearer_auth(&host.credential)
                        .json(&body)
                        .send()
                        .await
                        .expect("check-in")
                        .json()
                        .await
                        .expect("answer");
                    let job = &answer["jobs"][0];
                    assert_eq!(job["packages"][0]["version"], version.as_str(), "host {i} got its job: {answer}");
                    let report = json!({"outcome": "succeeded", "message": "bench", "log": "",
                        "changes": [{"name": common.name, "arch": common.arch, "before": common.version, "after": version}],
                        "started_at": "2026-12-07T00:00:00Z", "finished_at": "2026-12-07T00:00:01Z"});
                    let sent = http
                        .post(format!("{base}/api/v1/agent/jobs/{}/report", job["id"]))
                        .bearer_auth(&host.credential)
                        .json(&report)
                        .send()
                        .await
                        .expect("report");
                    assert!(sent.status().is_success());
                    reported += 1;
                }
                (reported, hosts)
            }));
        }
        let mut reported = 0;
        for worker in workers {
            let (n, hosts) = worker.await.expect("rollout client");
            reported += n;
            chunks.push(hosts);
        }
        assert_eq!(reported, count, "every host reported its job");
        rounds.push((wall.elapsed().as_secs_f64(), cpu_seconds() - cpu));
    }
    let mut walls: Vec<f64> = rounds.iter().map(|(w, _)| *w).collect();
    walls.sort_by(f64::total_cmp);
    let cpus: Vec<String> = rounds.iter().map(|(_, c)| format!("{c:.1}")).collect();
    println!(
        "rollout: {ROUNDS} rounds of an approval for {GROUPS} groups, {count} jobs given at check-in and {count} results \
         recorded each: median {:.1} s, fastest {:.1} s, slowest {:.1} s of wall time; CPU of server and clients per round {} s; RSS {:.0} MB",
        walls[walls.len() / 2],
        walls[0],
        walls[walls.len() - 1],
        cpus.join(", "),
        rss_mb()
    );

    let mut took = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let stats: Value = http
            .get(format!("{base}/api/v1/fleet/remediation?days=90"))
            .bearer_auth(admin)
            .send()
            .await
            .expect("remediation")
            .json()
            .await
            .expect("remediation JSON");
        took.push(started.elapsed());
        assert_eq!(stats["overall"]["count"], ROUNDS, "{stats}");
    }
    took.sort();
    println!(
        "time-to-remediation dashboard over {} job results: median {:.0} ms of 5 (fastest {:.0} ms)",
        ROUNDS * count,
        took[2].as_secs_f64() * 1000.0,
        took[0].as_secs_f64() * 1000.0
    );
}
