//! Load benchmark of the case list: seeds 10,000 cases, starts the real server on a loopback
//! port and drives `GET /api/v1/cases` from concurrent HTTP clients, on SQLite and, when the
//! libpq variables name a server (as `pg_virtualenv` sets them), on PostgreSQL.
//!
//! ```text
//! cargo bench -p parapet-server --bench case_list
//! pg_virtualenv cargo bench -p parapet-server --bench case_list
//! ```
//!
//! Clients and server share one process and the machine's cores, so the figures compare
//! backends and queries with each other; they are not a capacity plan.

use parapet_model::{CaseDraft, CaseFields, CaseState, Role, Scope};
use parapet_server::{AppState, Settings};
use parapet_store::{NewCase, Store};
use std::time::{Duration, Instant};

const CASES: usize = 10_000;
/// Concurrent clients, each with its own connection.
const CLIENTS: usize = 16;
const WARM_UP: Duration = Duration::from_secs(1);
const MEASURE: Duration = Duration::from_secs(5);
/// Bounds a run even if the server answers faster than anyone expects.
const MAX_REQUESTS_PER_CLIENT: usize = 50_000;

const VARIANTS: [&str; 2] = ["/api/v1/cases?per_page=50", "/api/v1/cases?sort=severity&q=overflow&per_page=50"];

const FLAWS: [&str; 10] = [
    "Heap buffer overflow",
    "Stored cross-site scripting",
    "SQL injection",
    "Integer overflow",
    "Path traversal",
    "Server-side request forgery",
    "Use after free",
    "Cross-site request forgery",
    "Open redirect",
    "Unsafe deserialization",
];
const PLACES: [&str; 7] = [
    "the image decoder",
    "the admin console",
    "the REST API",
    "the login form",
    "the update agent",
    "PDF export",
    "LDAP sync",
];
/// Every rating band, two with user interaction (capped at important).
///
/// Every seeded case has a v3.1 vector on purpose: on PostgreSQL, sqlx 0.8.6's `Any` driver
/// binds a NULL `DOUBLE PRECISION` as `float4`, so a connection whose first case insert had no
/// score prepares the statement that way and fails a later insert that has one (SQLSTATE
/// 22P03, "incorrect binary data format in bind parameter 8").
const VECTORS: [&str; 7] = [
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N",
    "CVSS:3.1/AV:N/AC:H/PR:L/UI:N/S:U/C:L/I:L/A:N",
    "CVSS:3.1/AV:L/AC:H/PR:H/UI:N/S:U/C:L/I:N/A:N",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H",
    "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N",
];

struct Backend {
    name: &'static str,
    store: Store,
    /// The SQLite folder, deleted on drop.
    _dir: Option<tempfile::TempDir>,
    /// The admin URL and name of the PostgreSQL database, to drop afterwards.
    database: Option<(String, String)>,
}

struct Row {
    backend: &'static str,
    path: &'static str,
    matches: i64,
    stats: Stats,
}

struct Stats {
    ok: usize,
    errors: usize,
    elapsed: Duration,
    /// Sorted.
    latencies: Vec<Duration>,
}

impl Stats {
    fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// Nearest-rank percentile, in milliseconds.
    fn percentile_ms(&self, p: usize) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank = (p * self.latencies.len()).div_ceil(100).max(1);
        self.latencies[rank - 1].as_secs_f64() * 1000.0
    }
}

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    let mut rows = Vec::new();

    let dir = tempfile::tempdir().expect("temporary folder");
    let store = Store::open(&Store::sqlite_url(dir.path())).await.expect("SQLite store");
    rows.extend(run(Backend { name: "sqlite", store, _dir: Some(dir), database: None }).await);

    match postgres().await {
        Ok(backend) => rows.extend(run(backend).await),
        Err(why) => println!("\nPostgreSQL: SKIPPED — {why}"),
    }

    println!(
        "\n{} cases, {CLIENTS} clients, {} s per variant after {} s warm-up",
        CASES,
        MEASURE.as_secs(),
        WARM_UP.as_secs()
    );
    println!(
        "{:<8} {:<52} {:>7} {:>8} {:>6} {:>9} {:>8} {:>8}",
        "backend", "request", "matches", "requests", "errors", "req/s", "p50 ms", "p99 ms"
    );
    for row in &rows {
        println!(
            "{:<8} {:<52} {:>7} {:>8} {:>6} {:>9.1} {:>8.2} {:>8.2}",
            row.backend,
            row.path,
            row.matches,
            row.stats.ok,
            row.stats.errors,
            row.stats.per_second(),
            row.stats.percentile_ms(50),
            row.stats.percentile_ms(99)
        );
    }
}

/// A store on a fresh database of the PostgreSQL server named by the libpq variables, or why
/// there is none.
async fn postgres() -> Result<Backend, String> {
    let names = ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD"];
    let missing: Vec<&str> = names.into_iter().filter(|n| std::env::var(n).is_err()).collect();
    if !missing.is_empty() {
        return Err(format!(
            "{} not set; run `pg_virtualenv cargo bench -p parapet-server --bench case_list` to include it",
            missing.join(", ")
        ));
    }
    let var = |name: &str| std::env::var(name).expect("checked above");
    let (host, port, user, password) = (var("PGHOST"), var("PGPORT"), var("PGUSER"), var("PGPASSWORD"));
    let admin_url = format!("postgres://{user}:{password}@{host}:{port}/postgres");
    let name = format!("parapet_bench_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&admin_url)
        .await
        .map_err(|e| format!("cannot connect to {host}:{port} as {user}: {e}"))?;
    // The name is ours and plain ASCII; CREATE DATABASE takes no parameters.
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .map_err(|e| format!("cannot create database {name}: {e}"))?;
    admin.close().await;
    let store = Store::open(&format!("postgres://{user}:{password}@{host}:{port}/{name}"))
        .await
        .map_err(|e| format!("cannot open database {name}: {e}"))?;
    Ok(Backend { name: "postgres", store, _dir: None, database: Some((admin_url, name)) })
}

/// Seeds the backend, serves it, measures every variant and cleans up.
async fn run(backend: Backend) -> Vec<Row> {
    println!("\n== {} ==", backend.name);
    let started = Instant::now();
    seed(&backend.store).await;
    let seeding = started.elapsed();
    // Each case is one transaction with its audit entry, as through the API. One at a time
    // that took about 5 s on SQLite and 6 s under pg_virtualenv, so seeding needs no
    // concurrency (which, on SQLite, would only queue for the single write lock anyway).
    println!(
        "seeded {CASES} cases in {:.1} s ({:.0} cases/s)",
        seeding.as_secs_f64(),
        CASES as f64 / seeding.as_secs_f64()
    );
    let token = analyst_token(&backend.store).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("loopback port");
    let base = format!("http://{}", listener.local_addr().expect("bound address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(parapet_server::serve(
        AppState::new(backend.store.clone(), Settings::default()),
        listener,
        async {
            let _ = stopped.await;
        },
    ));

    let mut rows = Vec::new();
    for path in VARIANTS {
        let url = format!("{base}{path}");
        let matches = total(&url, &token).await;
        drive(&url, &token, WARM_UP).await;
        let stats = drive(&url, &token, MEASURE).await;
        println!(
            "{path}: {} requests, {:.1} req/s, p50 {:.2} ms, p99 {:.2} ms",
            stats.ok,
            stats.per_second(),
            stats.percentile_ms(50),
            stats.percentile_ms(99)
        );
        rows.push(Row { backend: backend.name, path, matches, stats });
    }

    let _ = stop.send(());
    server.await.expect("server task").expect("server stopped cleanly");
    backend.store.close().await;
    if let Some((admin_url, name)) = &backend.database {
        // Leave nothing behind on a long-lived server; pg_virtualenv drops its cluster anyway.
        if let Ok(admin) = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(admin_url).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&admin).await;
            admin.close().await;
        }
    }
    rows
}

/// The fields of the `i`th seeded case: varied titles, and ratings from critical to low.
fn fields(i: usize) -> CaseFields {
    let flaw = FLAWS[i % FLAWS.len()];
    let place = PLACES[(i / FLAWS.len()) % PLACES.len()];
    let draft = CaseDraft {
        title: Some(format!("{flaw} in {place} (#{i})")),
        description: Some(format!(
            "Reported against build {}.{}. Steps to reproduce: send the attached request to {place}; \
             the service then misbehaves as described.",
            i % 7,
            i % 31
        )),
        reporter_name: Some(format!("Researcher {}", i % 97)),
        reporter_email: Some(format!("researcher{}@example.org", i % 97)),
        // A cycle length coprime with the titles', so each flaw meets each rating.
        cvss_v31: Some(VECTORS[i % VECTORS.len()].to_owned()),
        ..CaseDraft::default()
    };
    draft.apply(&CaseFields::default()).expect("seed cases are valid")
}

/// Creates the cases through the store, one by one as the API would, and moves some along the
/// workflow so that states differ too.
async fn seed(store: &Store) {
    for i in 0..CASES {
        let new = NewCase { fields: fields(i), source: "staff", tracking_hash: None };
        let case = store.create_case("bench", new).await.expect("create case");
        let next = match i % 10 {
            0..=2 => Some(CaseState::Triaged),
            3 => Some(CaseState::Rejected),
            _ => None,
        };
        if let Some(next) = next {
            store.transition_case("bench", case.id, next, None).await.expect("transition case");
        }
    }
}

/// An analyst with an API token. The user has no password: the token is all the bench needs,
/// and skipping argon2 keeps set-up quick.
async fn analyst_token(store: &Store) -> String {
    let user = store.create_user("bench", "bench-analyst", Role::Analyst, None).await.expect("create user");
    let token = parapet_server::auth::new_api_token();
    let digest = parapet_server::auth::digest(&token);
    store.create_token("bench", user.id, "bench", &digest, &[Scope::Read]).await.expect("create token");
    token
}

/// The number of cases `url` matches, checked once before measuring so that a broken query
/// (an error page, an empty list) cannot pass for a fast one.
async fn total(url: &str, token: &str) -> i64 {
    let response = reqwest::Client::new().get(url).bearer_auth(token).send().await.expect("request");
    assert!(response.status().is_success(), "{url}: {}", response.status());
    let page: serde_json::Value = response.json().await.expect("JSON page");
    let items = page["items"].as_array().map_or(0, Vec::len);
    let total = page["total"].as_i64().expect("total");
    assert!(items > 0 && total > 0, "{url} matched nothing");
    total
}

/// Sends `GET url` from [`CLIENTS`] clients for `duration` and times every request.
async fn drive(url: &str, token: &str, duration: Duration) -> Stats {
    let started = Instant::now();
    let deadline = started + duration;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (url, token) = (url.to_owned(), token.to_owned());
            tokio::spawn(async move {
                // A client per task, so that each keeps its own connection like a separate caller.
                let client = reqwest::Client::new();
                let (mut latencies, mut errors) = (Vec::new(), 0);
                while Instant::now() < deadline && latencies.len() + errors < MAX_REQUESTS_PER_CLIENT {
                    let sent = Instant::now();
                    let response = client.get(&url).bearer_auth(&token).send().await;
                    // The whole body counts: serialising the page is part of the work.
                    let ok = match response {
                        Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                        _ => false,
                    };
                    if ok {
                        latencies.push(sent.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for client in clients {
        let (l, e) = client.await.expect("client task");
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Stats { ok: latencies.len(), errors, elapsed, latencies }
}
