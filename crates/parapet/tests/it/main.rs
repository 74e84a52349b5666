//! The `parapet` binary end to end: the server starts on an empty data folder, and the admin
//! commands work on that folder while the server runs — on SQLite and on PostgreSQL.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod agent;
mod apt_repo;
mod audit_agreement;
mod catalog_cli;
mod csaf_import;
mod documents_cli;
mod fleet;
mod harden;
mod harden_fleet;
mod malware_cli;
mod malware_fleet;
mod notifications;
mod rollout;
mod scan_cli;
mod scan_root;

const BIN: &str = env!("CARGO_BIN_EXE_parapet");

fn parapet(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command.args(args).arg("--data").arg(data).env_remove("PARAPET_DATABASE_URL");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

/// A running `parapet serve`, killed on drop, with everything it printed on stderr so far.
struct Server {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    fn stop(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts `parapet serve` on a port the server picks itself (so that parallel tests never race for
/// one), learns the address from its stderr, and waits until /readyz answers.
async fn serve(data: &Path, env: &[(&str, &str)]) -> (Server, String) {
    serve_on(data, "127.0.0.1:0", env).await
}

/// A port free now, for a server that must keep its address across restarts (or know it before
/// it starts, for its public URL).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Like [`serve`], on the address given.
async fn serve_on(data: &Path, listen: &str, env: &[(&str, &str)]) -> (Server, String) {
    let mut command = Command::new(BIN);
    command.args(["serve", "--listen", listen, "--data"]).arg(data).stdout(Stdio::null()).stderr(Stdio::piped());
    command.env_remove("PARAPET_DATABASE_URL");
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let pipe = child.stderr.take().unwrap();
    let stderr = Arc::new(Mutex::new(String::new()));
    let (address_tx, address_rx) = std::sync::mpsc::channel();
    let sink = stderr.clone();
    // Keeps draining the pipe for the server's whole life so that it never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if let Some(at) = line.find("listening on http://") {
                let _ = address_tx.send(line[at + "listening on ".len()..].trim().to_owned());
            }
            let mut all = sink.lock().unwrap();
            all.push_str(&line);
            all.push('\n');
        }
    });
    let mut server = Server { child, stderr };
    let base = match address_rx.recv_timeout(Duration::from_secs(60)) {
        Ok(base) => base,
        Err(_) => panic!("the server did not start listening: {}", server.stop()),
    };
    let started = Instant::now();
    loop {
        if let Ok(reply) = reqwest::get(format!("{base}/readyz")).await
            && reply.status() == 200
        {
            return (server, base);
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

async fn scenario(env: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut with_admin = env.to_vec();
    with_admin.push(("PARAPET_ADMIN_PASSWORD", "first admin password"));
    let (server, base) = serve(&data, &with_admin).await;

    // While the server runs, add a user and a token through the data folder.
    let mut with_password = env.to_vec();
    with_password.push(("PARAPET_PASSWORD", "analyst password 1"));
    stdout(&parapet(&data, &["user", "add", "ana", "--role", "analyst"], &with_password));
    let token = stdout(&parapet(&data, &["token", "create", "--user", "ana"], env));
    let token = token.trim();
    assert!(token.starts_with("ppt_") && !token.contains('\n'), "only the token is printed: {token:?}");
    let users = stdout(&parapet(&data, &["user", "list"], env));
    assert!(users.contains("admin\tadmin") && users.contains("ana\tanalyst"), "{users}");

    let client = reqwest::Client::new();
    let report = client
        .post(format!("{base}/api/v1/reports"))
        .json(&serde_json::json!({"title": "Path traversal in export", "description": "GET /export?file=../../etc/passwd"}))
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), 201);
    let cases: serde_json::Value =
        client.get(format!("{base}/api/v1/cases")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    assert_eq!(cases["items"][0]["title"], "Path traversal in export");
    assert_eq!(client.get(format!("{base}/api/v1/cases")).send().await.unwrap().status(), 401);

    // Bad input to the commands: clear errors, exit code 2.
    let bad = parapet(&data, &["user", "add", "x", "--role", "boss"], &with_password);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown role \"boss\""));
    let nobody = parapet(&data, &["token", "create", "--user", "nobody"], env);
    assert_eq!(nobody.status.code(), Some(2));
    drop(server);
}

#[tokio::test]
async fn sqlite_server_and_admin_commands() {
    scenario(&[]).await;
}

#[tokio::test]
async fn postgres_server_and_admin_commands() {
    let url = postgres_database("parapet_cli").await;
    scenario(&[("PARAPET_DATABASE_URL", &url)]).await;
}

/// A new, empty database on the PostgreSQL server `scripts/test.sh` starts; its URL.
async fn postgres_database(prefix: &str) -> String {
    let var = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name} is not set: run scripts/test.sh, which starts PostgreSQL"))
    };
    let (host, port, user, password) = (var("PGHOST"), var("PGPORT"), var("PGUSER"), var("PGPASSWORD"));
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(&format!("postgres://{user}:{password}@{host}:{port}/postgres")).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.unwrap();
    format!("postgres://{user}:{password}@{host}:{port}/{name}")
}

#[test]
fn first_start_prints_a_setup_link_and_config_default_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let default = stdout(&Command::new(BIN).args(["config", "default"]).output().unwrap());
    std::fs::write(dir.path().join("parapet.toml"), &default).unwrap();
    let check =
        Command::new(BIN).args(["config", "check", "--config"]).arg(dir.path().join("parapet.toml")).output().unwrap();
    assert!(check.status.success());
    std::fs::write(dir.path().join("bad.toml"), "[server]\nlisen = 1\n").unwrap();
    let bad =
        Command::new(BIN).args(["config", "check", "--config"]).arg(dir.path().join("bad.toml")).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("server.lisen"));

    let completions = stdout(&Command::new(BIN).args(["completions", "bash"]).output().unwrap());
    assert!(completions.contains("parapet"));
    let version = stdout(&Command::new(BIN).arg("--version").output().unwrap());
    assert!(version.starts_with("parapet "));
}

#[tokio::test]
async fn setup_link_on_an_empty_folder() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh");
    let (mut server, base) = serve(&data, &[]).await;
    assert!(data.join("parapet.db").exists(), "the database is created in the data folder");
    let output = server.stop();
    let start = output.find("/setup/").unwrap_or_else(|| panic!("no setup link in: {output}"));
    let link = output[..start].rsplit(char::is_whitespace).next().unwrap().to_owned()
        + output[start..].split_whitespace().next().unwrap();
    assert!(link.starts_with(&base), "the link points at the server: {link}");
}
