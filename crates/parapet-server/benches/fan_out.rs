//! Benchmark of notification delivery: one published bulletin to 100,000 confirmed email
//! subscribers and 1,000 webhook endpoints, through the real server (`serve`, its delivery
//! worker, SQLite), a real SMTP server process (postfix's `smtp-sink`, or Python's aiosmtpd when
//! postfix is not installed) and an HTTP receiver on loopback serving the 1,000 endpoint URLs.
//!
//! ```text
//! cargo bench -p parapet-server --bench fan_out
//! cargo bench -p parapet-server --bench fan_out -- 20000 200    # subscribers, endpoints
//! ```
//!
//! It reports the time from the publication to the last recorded delivery, the rate, and the
//! server process's resident memory before and at its peak during delivery. The receivers (the
//! HTTP one runs in this process, on a thread of its own) share the machine's cores.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use parapet_model::Role;
use parapet_server::{AppState, Settings};
use parapet_store::{EndpointFilters, Store};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Sink(Child);

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An SMTP server that accepts everything: postfix's smtp-sink, else aiosmtpd.
fn start_sink(port: u16) -> (Sink, &'static str) {
    let listen = format!("127.0.0.1:{port}");
    let (child, name) = match Command::new("smtp-sink").args(["-u", "nobody", &listen, "1024"]).spawn() {
        Ok(child) => (child, "postfix smtp-sink"),
        Err(_) => (
            Command::new("python3")
                .args(["-m", "aiosmtpd", "-n", "-l", &listen, "-c", "aiosmtpd.handlers.Sink"])
                .stderr(Stdio::null())
                .spawn()
                .expect("neither smtp-sink (postfix) nor python3 -m aiosmtpd runs"),
            "aiosmtpd",
        ),
    };
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "the SMTP sink does not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    (Sink(child), name)
}

/// Counts webhook requests on its own runtime thread.
fn start_receiver(port: u16, received: Arc<AtomicU64>) {
    async fn hook(State(received): State<Arc<AtomicU64>>, Path(_n): Path<u32>) -> StatusCode {
        received.fetch_add(1, Ordering::Relaxed);
        StatusCode::NO_CONTENT
    }
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
            let router = Router::new().route("/hook/{n}", post(hook)).with_state(received);
            axum::serve(listener, router).await.unwrap();
        });
    });
}

/// This process's resident memory, in MiB.
fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

async fn call(client: &reqwest::Client, base: &str, token: &str, path: &str, body: Value) -> Value {
    let reply = client.post(format!("{base}{path}")).bearer_auth(token).json(&body).send().await.unwrap();
    let status = reply.status();
    let text = reply.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let subscribers = args.first().copied().unwrap_or(100_000);
    let endpoints = args.get(1).copied().unwrap_or(1_000);
    let dir = tempfile::tempdir().unwrap();
    let (smtp_port, hook_port) = (free_port(), free_port());
    let (_sink, sink_name) = start_sink(smtp_port);
    let webhooks_received = Arc::new(AtomicU64::new(0));
    start_receiver(hook_port, webhooks_received.clone());

    let store = Store::open(&Store::sqlite_url(dir.path())).await.unwrap();
    let mut settings = Settings::default();
    settings.publisher.key_passphrase = parapet_server::config::Secret::new("bench passphrase");
    settings.notifications.smtp_url = parapet_server::config::Secret::new(format!("smtp://127.0.0.1:{smtp_port}"));
    settings.notifications.mail_from = "Example PSIRT <psirt@example.com>".into();
    settings.notifications.allow_internal_targets = true;
    let state = AppState::new(store.clone(), settings);

    eprintln!("seeding {subscribers} confirmed subscribers and {endpoints} endpoints…");
    let seeding = Instant::now();
    let mut last = 0;
    for n in 0..subscribers {
        let email = format!("reader{n}@example.org");
        store.subscribe(&email, &EndpointFilters::default(), "seed", 0).await.unwrap();
        let added = store.subscribers(last, 1).await.unwrap().remove(0);
        last = added.id;
        assert!(store.confirm_subscriber(added.id, "seed", "confirmed").await.unwrap());
    }
    for n in 0..endpoints {
        let secret = parapet_notify::webhook::Secret::generate();
        let sealed = parapet_server::notifications::webhooks::seal(&state, &secret.expose());
        let url = format!("http://127.0.0.1:{hook_port}/hook/{n}");
        store.create_endpoint("bench", &url, "standard", &EndpointFilters::default(), &sealed).await.unwrap();
    }
    eprintln!("seeded in {:.1} s", seeding.elapsed().as_secs_f64());

    // A publisher and a bulletin through the real server's API.
    let hash = parapet_server::auth::hash_password("bench password".into()).await.unwrap();
    let user = store.create_user("bench", "pat", Role::Publisher, Some(&hash)).await.unwrap();
    let token = parapet_server::auth::new_api_token();
    let scopes = [parapet_model::Scope::Read, parapet_model::Scope::Write];
    store.create_token("bench", user.id, "bench", &parapet_server::auth::digest(&token), &scopes).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(parapet_server::serve(state.clone(), listener, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let product =
        call(&client, &base, &token, "/api/v1/products", json!({"vendor": "Acme", "name": "Widget Server"})).await;
    let product_id = product["id"].as_i64().unwrap();
    let version =
        call(&client, &base, &token, &format!("/api/v1/products/{product_id}/versions"), json!({"version": "2.4.0"}))
            .await;
    let document = json!({
        "kind": "bulletin",
        "title": "Security update for Widget Server",
        "summary": "This update fixes a heap overflow that lets a remote attacker run code.",
        "products": [product_id],
        "vulnerabilities": [{
            "cve": "CVE-2026-31001",
            "title": "Widget Server heap overflow in the request parser",
            "description": "A crafted request overflows a heap buffer.",
            "cvss_v31": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "affected": [version["id"]]
        }],
        "updates": [{"product_id": product_id, "branch": null, "fixed_version": "2.4.1", "purl": null,
                     "url": "https://acme.example/download", "restart_required": true}]
    });
    let created = call(&client, &base, &token, "/api/v1/documents", document).await;
    let id = created["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = resident_mib();

    let started = Instant::now();
    call(&client, &base, &token, &format!("/api/v1/documents/{id}/publish"), json!({})).await;
    let message = store.outbox_messages(1).await.unwrap().remove(0).id;
    assert!(message.starts_with(&format!("evt_document_{id}_")), "{message}");
    let expected = (subscribers + endpoints) as i64;
    let mut peak = before;
    let mut last_report = Instant::now();
    loop {
        peak = peak.max(resident_mib());
        let counts = store.delivery_counts(&message).await.unwrap();
        if counts.total() == expected && counts.pending == 0 {
            let elapsed = started.elapsed().as_secs_f64();
            peak = peak.max(resident_mib());
            println!(
                "fan_out: 1 bulletin to {subscribers} subscribers ({sink_name}) and {endpoints} webhook endpoints: \
                 {} delivered, {} dead in {elapsed:.1} s = {:.0} deliveries/s; webhook requests received {}; \
                 resident memory {before:.1} MiB before, {peak:.1} MiB at the peak",
                counts.delivered,
                counts.dead,
                expected as f64 / elapsed,
                webhooks_received.load(Ordering::Relaxed),
            );
            break;
        }
        if last_report.elapsed() > Duration::from_secs(5) {
            eprintln!("{:.0} s: {counts:?}", started.elapsed().as_secs_f64());
            last_report = Instant::now();
        }
        assert!(started.elapsed() < Duration::from_secs(600), "not done after 10 minutes: {counts:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    let _ = server.await;
}
