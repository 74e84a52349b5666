//! Delivery that loses nothing: `parapet serve` is killed (SIGKILL) while it fans two posts out to
//! 2,500 email subscribers and 40 webhook endpoints, and started again. In the end every
//! subscriber has both mails and every endpoint both messages; a message that arrived twice
//! arrived with the same ID both times.
//!
//! The receivers are real servers in one Python process that outlives the killed server: an
//! aiosmtpd SMTP server and an HTTP server, each logging what it was given.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use parapet_store::{EndpointFilters, Store};

use crate::{free_port, parapet, serve_on, stdout};

const SUBSCRIBERS: usize = 2_500;
const ENDPOINTS: usize = 40;

/// Logs `email<TAB>recipient<TAB>Message-ID` and `webhook<TAB>path<TAB>webhook-id`, one line per
/// message received. Each mail takes a few milliseconds, so that the server is killed mid-way.
const RECEIVERS: &str = r#"
import asyncio, socket, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from aiosmtpd.controller import Controller

log = open(sys.argv[1], "a", buffering=1)
lock = threading.Lock()
def write(line):
    with lock:
        log.write(line + "\n")

class Sink:
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.004)
        message_id = ""
        for line in envelope.content.split(b"\r\n"):
            if not line:
                break
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode()
        for rcpt in envelope.rcpt_tos:
            write(f"email\t{rcpt}\t{message_id}")
        return "250 OK"

class Hook(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        write(f"webhook\t{self.path}\t{self.headers.get('webhook-id', '')}")
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass

probe = socket.socket(); probe.bind(("127.0.0.1", 0)); smtp_port = probe.getsockname()[1]; probe.close()
smtp = Controller(Sink(), hostname="127.0.0.1", port=smtp_port)
smtp.start()
http = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
print(smtp_port, http.server_address[1], flush=True)
http.serve_forever()
"#;

struct Receivers {
    child: Child,
    smtp_port: u16,
    http_port: u16,
    log: std::path::PathBuf,
}

impl Drop for Receivers {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receivers {
    fn start(dir: &Path) -> Receivers {
        let log = dir.join("received.log");
        let mut child = Command::new("python3")
            .args(["-c", RECEIVERS])
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let ports: Vec<u16> = line.split_whitespace().filter_map(|p| p.parse().ok()).collect();
        assert_eq!(ports.len(), 2, "the receivers did not start (scripts/test.sh installs aiosmtpd): {line:?}");
        Receivers { child, smtp_port: ports[0], http_port: ports[1], log }
    }

    /// Everything received so far: (channel, recipient or path, message ID).
    fn received(&self) -> Vec<(String, String, String)> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let mut parts = l.splitn(3, '\t');
                Some((parts.next()?.to_owned(), parts.next()?.to_owned(), parts.next()?.to_owned()))
            })
            .collect()
    }
}

async fn post(client: &reqwest::Client, base: &str, token: &str, path: &str, body: serde_json::Value) {
    let reply = client.post(format!("{base}{path}")).bearer_auth(token).json(&body).send().await.unwrap();
    assert!(reply.status().is_success(), "{path}: {} {}", reply.status(), reply.text().await.unwrap());
}

/// Where the server is: messages not fanned out to the end, deliveries made, and the ones
/// recorded as delivered.
async fn state_of(data: &Path) -> (i64, i64, i64) {
    sqlx::any::install_default_drivers();
    let url = Store::sqlite_url(data);
    let mut connection = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await.unwrap();
    let mut count = async |sql: &str| sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut connection).await.unwrap();
    (
        count("SELECT COUNT(*) FROM outbox WHERE fanout_done = 0").await,
        count("SELECT COUNT(*) FROM deliveries WHERE message_id LIKE 'evt_post_%'").await,
        count("SELECT COUNT(*) FROM deliveries WHERE message_id LIKE 'evt_post_%' AND status = 'delivered'").await,
    )
}

#[tokio::test]
async fn a_server_killed_mid_fan_out_delivers_everything_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let receivers = Receivers::start(dir.path());
    let smtp_url = format!("smtp://127.0.0.1:{}", receivers.smtp_port);
    let env = [
        ("PARAPET_ADMIN_PASSWORD", "first admin password"),
        ("PARAPET_NOTIFICATIONS_SMTP_URL", smtp_url.as_str()),
        ("PARAPET_NOTIFICATIONS_MAIL_FROM", "Example PSIRT <psirt@example.com>"),
        ("PARAPET_NOTIFICATIONS_ALLOW_INTERNAL_TARGETS", "true"),
        // Claims of the killed server go back to the pool soon after it dies.
        ("PARAPET_NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS", "2"),
        ("PARAPET_NOTIFICATIONS_SMTP_TIMEOUT_SECONDS", "2"),
        ("PARAPET_NOTIFICATIONS_DELIVERY_LEASE_SECONDS", "3"),
    ];
    let listen = format!("127.0.0.1:{}", free_port());
    let client = reqwest::Client::new();

    // The endpoints, through the API; then the subscribers, through the store, server stopped.
    let (mut server, base) = serve_on(&data, &listen, &env).await;
    let token = stdout(&parapet(&data, &["token", "create", "--user", "admin"], &env));
    let token = token.trim();
    for n in 0..ENDPOINTS {
        let url = format!("http://127.0.0.1:{}/hook/{n}", receivers.http_port);
        post(&client, &base, token, "/api/v1/webhooks", serde_json::json!({"url": url})).await;
    }
    server.stop();
    let store = Store::open(&Store::sqlite_url(&data)).await.unwrap();
    let mut subscribers = BTreeMap::new();
    let mut last = 0;
    for n in 0..SUBSCRIBERS {
        let email = format!("reader{n}@example.org");
        store.subscribe(&email, &EndpointFilters::default(), "first", 0).await.unwrap();
        let added = store.subscribers(last, 1).await.unwrap().remove(0);
        assert_eq!(added.email, email);
        last = added.id;
        assert!(store.confirm_subscriber(added.id, "first", "confirmed").await.unwrap());
        subscribers.insert(email, added.id);
    }
    // Two posts published while the server is down: their messages wait in the outbox.
    for title in ["First news", "Second news"] {
        let input = parapet_model::PostInput { slug: None, title: title.into(), summary: "S".into(), body: "B".into() };
        let post = store.create_post("admin", &input.validate().unwrap()).await.unwrap();
        store.publish_post("admin", &post.slug, None).await.unwrap();
    }
    drop(store);

    let (mut server, _) = serve_on(&data, &listen, &env).await;
    // The kill comes once mails are arriving, and before fan-out has made every delivery.
    let started = Instant::now();
    loop {
        let arrived = receivers.received().iter().any(|(_, _, id)| id.contains("evt_post_"));
        let (unfinished, deliveries, _) = state_of(&data).await;
        if unfinished > 0 && arrived {
            break;
        }
        if unfinished == 0 && deliveries as usize == 2 * (SUBSCRIBERS + ENDPOINTS) {
            panic!("the fan-out ended before the first mail arrived: no kill in its middle");
        }
        if started.elapsed() > Duration::from_secs(120) {
            panic!("no fan-out started\n{}", server.stop());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.stop();
    let at_kill = receivers.received().iter().filter(|(_, _, id)| id.contains("evt_post_")).count();
    let (unfinished_fan_outs, deliveries, delivered) = state_of(&data).await;
    // The confirmation mails written with the subscriptions are not sent: their subscribers are
    // confirmed already.
    let expected = 2 * (SUBSCRIBERS + ENDPOINTS);
    assert!(at_kill < expected, "killed after everything was delivered ({at_kill}); the test proves nothing");

    // Restarted: everything arrives.
    let (_server, _) = serve_on(&data, &listen, &env).await;
    let started = Instant::now();
    let complete = |received: &[(String, String, String)]| {
        let distinct: BTreeSet<_> = received.iter().collect();
        distinct.len() >= expected
    };
    while !complete(&receivers.received()) {
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "{} of {expected} distinct messages arrived",
            receivers.received().iter().collect::<BTreeSet<_>>().len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let received = receivers.received();
    eprintln!("restart to complete: {:?}", started.elapsed());

    // Every subscriber: both posts, under the IDs they must have, and nothing else.
    let mut ids_by_recipient: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (_, to, id) in received.iter().filter(|(c, ..)| c == "email") {
        ids_by_recipient.entry(to.as_str()).or_default().insert(id.as_str());
    }
    assert_eq!(ids_by_recipient.len(), SUBSCRIBERS);
    for (email, id) in &subscribers {
        let got = &ids_by_recipient[email.as_str()];
        let posts: BTreeSet<String> =
            ["first-news", "second-news"].iter().map(|slug| format!("<evt_post_{slug}.{id}@127.0.0.1>")).collect();
        let got: BTreeSet<String> = got.iter().map(|m| m.to_string()).collect();
        assert_eq!(got, posts, "{email}: a missing mail, or one under another ID");
    }
    // Every endpoint: both posts, under their IDs.
    let mut ids_by_endpoint: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (_, path, id) in received.iter().filter(|(c, ..)| c == "webhook") {
        ids_by_endpoint.entry(path.as_str()).or_default().insert(id.as_str());
    }
    assert_eq!(ids_by_endpoint.len(), ENDPOINTS);
    for (path, ids) in &ids_by_endpoint {
        assert_eq!(ids, &BTreeSet::from(["evt_post_first-news", "evt_post_second-news"]), "{path}");
    }
    let duplicates = received.len() - received.iter().collect::<BTreeSet<_>>().len();
    eprintln!(
        "killed after {at_kill} of {expected} messages had arrived (then {unfinished_fan_outs} messages were not fanned \
         out completely, {deliveries} deliveries made, {delivered} recorded as delivered); {} arrived in all, \
         {duplicates} of them again with the same ID",
        received.len()
    );
}
