//! `parapet-agent` as users run it, with real processes: its Debian package, built by
//! `scripts/build-debs.sh` with cargo-deb and installed with `dpkg -i` into a debootstrap root,
//! enrolls and checks in from there; and the agent facing a server that answers 500, one that
//! never answers, no server at all, and a full disk: a clear error each time, its state whole,
//! and the service running on until the server is back.
//!
//! Needs root (chroot, mount) and cargo-deb (`scripts/test.sh` installs it).

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fleet::{Api, admin_token, agent, agent_binary, agent_ok, host_id};
use crate::scan_root::{bookworm_root, in_root, printed, run, succeed};
use crate::{free_port, serve_on};

/// The admin API on the server with this data folder, and an enrollment secret.
async fn admin_and_secret(data: &Path, base: &str) -> (Api, String) {
    let api = Api { base: base.to_owned(), token: admin_token(data, &[]), http: reqwest::Client::new() };
    let secret = api.post("/api/v1/fleet/enrollment-secrets", json!({"name": "agent tests"})).await;
    let secret = secret["secret"].as_str().expect("a secret").to_owned();
    (api, secret)
}

#[tokio::test]
async fn the_agent_deb_installs_and_runs_in_a_debian_root() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // The package of the dev build the tests already have: the packaging is what is tested.
    assert!(agent_binary().exists());
    let built = run(Command::new("bash").arg(workspace.join("scripts/build-debs.sh")).args([
        "--agent-only",
        "--profile",
        "dev",
        "--no-build",
    ]));
    assert!(built.status.success(), "scripts/build-debs.sh failed: {}", printed(&built));
    let version = env!("CARGO_PKG_VERSION");
    let deb = workspace.join(format!("target/debian/parapet-agent_{version}-1_amd64.deb"));
    assert!(deb.exists(), "{} was not built: {}", deb.display(), printed(&built));
    let contents = succeed(Command::new("dpkg-deb").arg("--contents").arg(&deb));
    for path in ["./usr/bin/parapet-agent", "parapet-agent.service"] {
        assert!(contents.contains(path), "the package lacks {path}:\n{contents}");
    }

    // A copy of the root, so that the cached one stays as debootstrap made it.
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("root");
    succeed(Command::new("cp").arg("-a").arg(bookworm_root()).arg(&root));
    std::fs::copy(&deb, root.join("tmp/parapet-agent.deb")).unwrap();
    let installed = run(in_root(&root, "dpkg").args(["-i", "/tmp/parapet-agent.deb"]));
    assert!(installed.status.success(), "dpkg -i in the root: {}", printed(&installed));
    let status = succeed(in_root(&root, "dpkg-query").args(["-W", "-f", "${Status} ${Version}", "parapet-agent"]));
    assert_eq!(status, format!("install ok installed {version}-1"));
    let unit = std::fs::read_to_string(root.join("lib/systemd/system/parapet-agent.service"))
        .or_else(|_| std::fs::read_to_string(root.join("usr/lib/systemd/system/parapet-agent.service")))
        .expect("the systemd unit is installed");
    assert!(unit.contains("ExecStart=/usr/bin/parapet-agent run"), "{unit}");
    let packages_in_root =
        succeed(in_root(&root, "dpkg-query").args(["-W", "-f", "${db:Status-Abbrev}\n"])).matches("ii ").count();

    // The installed agent, run inside the root, enrolls with a server on loopback.
    let data = temp.path().join("data");
    let (_server, base) = serve_on(&data, "127.0.0.1:0", &[]).await;
    let (api, secret) = admin_and_secret(&data, &base).await;
    let enrolled = run(in_root(&root, "parapet-agent").args(["enroll", "--server", &base, "--secret", &secret]));
    assert!(enrolled.status.success(), "parapet-agent enroll in the root: {}", printed(&enrolled));
    let state = root.join("var/lib/parapet-agent/state.json");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&state).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "the credential is readable by root only");
    let checked = succeed(in_root(&root, "parapet-agent").args(["check-in", "--format", "json"]));
    let checked: Value = serde_json::from_str(&checked).unwrap();
    assert_eq!(checked["sent_inventory"], true, "{checked}");
    let id = checked["host_id"].as_str().unwrap();
    let shown = api.get(&format!("/api/v1/fleet/hosts/{id}")).await;
    assert_eq!(shown["packages"], packages_in_root as i64, "the root's own dpkg status, now with the agent: {shown}");
    let version_line = succeed(in_root(&root, "parapet-agent").arg("--version"));
    assert!(version_line.contains(version), "{version_line}");

    // And it goes away cleanly.
    let removed = run(in_root(&root, "dpkg").args(["--purge", "parapet-agent"]));
    assert!(removed.status.success(), "dpkg --purge: {}", printed(&removed));
    assert!(!root.join("usr/bin/parapet-agent").exists());
}

/// A small Python server on `port` that plays a bad server: `500` answers everything with a
/// server error, `silent` accepts connections and never answers. Killed on drop.
struct BadServer(Child);

impl BadServer {
    fn start(kind: &str, port: u16) -> BadServer {
        let script = match kind {
            "500" => {
                r#"
import http.server, sys
class Failing(http.server.BaseHTTPRequestHandler):
    def answer(self):
        body = b'{"error": {"code": "internal", "message": "the database is away"}}'
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = answer
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Failing).serve_forever()
"#
            }
            "silent" => {
                r#"
import socket, sys
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen(16)
held = []
while True:
    held.append(listener.accept()[0])
"#
            }
            other => panic!("no bad server {other}"),
        };
        let child = Command::new("python3")
            .args(["-c", script, &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "the {kind} server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        BadServer(child)
    }
}

impl Drop for BadServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A tiny tmpfs, unmounted on drop: a disk that fills up.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: PathBuf) -> SmallDisk {
        std::fs::create_dir_all(&at).unwrap();
        succeed(Command::new("mount").args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"]).arg(&at));
        SmallDisk(at)
    }

    /// Fills the disk to the last byte.
    fn fill(&self) {
        use std::io::Write;
        let mut filler = std::fs::File::create(self.0.join("filler")).unwrap();
        let block = [0u8; 4096];
        while filler.write_all(&block).is_ok() {}
        while filler.write_all(&block[..1]).is_ok() {}
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn state_text(folder: &Path) -> String {
    std::fs::read_to_string(folder.join("state.json")).unwrap()
}

fn state(folder: &Path) -> Value {
    serde_json::from_str(&state_text(folder)).expect("the state file is whole JSON")
}

#[tokio::test]
async fn the_agent_survives_bad_servers_and_a_full_disk() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let (mut server, base) = serve_on(&data, &listen, &[]).await;
    let (api, secret) = admin_and_secret(&data, &base).await;
    let folder = temp.path().join("agent");
    let slash = Path::new("/");
    agent_ok(&folder, slash, &["enroll", "--server", &base, "--secret", &secret]);
    agent_ok(&folder, slash, &["check-in"]);
    let id = host_id(&folder);
    let credential = state(&folder)["credential"].clone();
    let accepted = api.get(&format!("/api/v1/fleet/hosts/{id}")).await["sequence"].as_i64().unwrap();

    // A server answering 500: the error says so; the state keeps its credential and is whole.
    server.stop();
    {
        let _failing = BadServer::start("500", port);
        let failed = agent(&folder, slash, &["check-in"]);
        assert_eq!(failed.status.code(), Some(1), "{}", printed(&failed));
        let text = printed(&failed);
        assert!(text.contains("500") && text.contains("the database is away"), "{text}");
        assert_eq!(state(&folder)["credential"], credential);
    }
    // A server that never answers: given up after --timeout, saying why.
    {
        let _silent = BadServer::start("silent", port);
        let started = Instant::now();
        let failed = agent(&folder, slash, &["--timeout", "2", "check-in"]);
        assert!(!failed.status.success(), "{}", printed(&failed));
        assert!(started.elapsed() < Duration::from_secs(30), "--timeout 2 took {:?}", started.elapsed());
        assert!(printed(&failed).contains(&format!("cannot reach {base}")), "{}", printed(&failed));
    }
    // No server at all: the service keeps trying, and checks in when the server is back.
    let mut service = Command::new(agent_binary())
        .arg("--state")
        .arg(&folder)
        .args(["run", "--interval", "1"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(service.try_wait().unwrap().is_none(), "the service gave up while the server was away");
    let (restarted, _) = serve_on(&data, &listen, &[]).await;
    server = restarted;
    let waited = Instant::now();
    while api.get(&format!("/api/v1/fleet/hosts/{id}")).await["sequence"].as_i64().unwrap() <= accepted {
        assert!(waited.elapsed() < Duration::from_secs(30), "the service did not check in once the server was back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(Command::new("kill").args(["-TERM", &service.id().to_string()]).status().unwrap().success());
    let stopped = service.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&stopped.stderr).into_owned();
    assert!(stopped.status.success(), "the service did not stop cleanly: {said}");
    assert!(said.contains("check-in failed, retrying in") && said.contains("checked in"), "{said}");
    let shown = api.get(&format!("/api/v1/fleet/hosts/{id}")).await;
    assert!(shown["clone_suspected_at"].is_null(), "lost check-ins are not replays: {shown}");

    // A full disk: the check-in is not sent (its number could not be saved), the state stays
    // as it was, and the next one after space is freed goes through.
    let disk = SmallDisk::mount(temp.path().join("small"));
    let small = disk.0.join("agent");
    succeed(Command::new("cp").arg("-a").arg(&folder).arg(&small));
    disk.fill();
    let before = state_text(&small);
    let sequence = api.get(&format!("/api/v1/fleet/hosts/{id}")).await["sequence"].clone();
    let failed = agent(&small, slash, &["check-in"]);
    assert!(!failed.status.success(), "{}", printed(&failed));
    assert!(printed(&failed).contains("No space left on device"), "{}", printed(&failed));
    assert_eq!(state_text(&small), before, "the state file is as it was");
    let leftovers: Vec<_> = std::fs::read_dir(&small).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, ["state.json"], "no temporary file left behind");
    assert_eq!(api.get(&format!("/api/v1/fleet/hosts/{id}")).await["sequence"], sequence, "nothing reached the server");
    std::fs::remove_file(disk.0.join("filler")).unwrap();
    agent_ok(&small, slash, &["check-in"]);
    assert!(api.get(&format!("/api/v1/fleet/hosts/{id}")).await["sequence"].as_i64() > sequence.as_i64());
    drop(disk);
    server.stop();
}
