//! `parapet harden` for real: nftables inside network namespaces the test makes (the host's
//! own ruleset is never touched), units on a copy of the debootstrap root through
//! `systemctl --root`, a confirmation window that passes with nobody confirming.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::apt_repo::Root;
use crate::scan_root::{printed, run, succeed};

/// A server and a client namespace joined by a veth pair; the client has an address on the
/// admin network (10.77.N.0/24) and one outside it (172.30.N.0/24). Deleted on drop.
struct Namespaces {
    server: String,
    client: String,
    listener: Option<Child>,
}

impl Namespaces {
    fn new(n: u8) -> Namespaces {
        let server = format!("pph-srv-{n}-{}", std::process::id());
        let client = format!("pph-cli-{n}-{}", std::process::id());
        let (vs, vc) =
            (format!("pphs{n}{}", std::process::id() % 10000), format!("pphc{n}{}", std::process::id() % 10000));
        let namespaces = Namespaces { server: server.clone(), client: client.clone(), listener: None };
        for script in [
            format!("ip netns add {server}"),
            format!("ip netns add {client}"),
            format!("ip link add {vs} type veth peer name {vc}"),
            format!("ip link set {vs} netns {server}"),
            format!("ip link set {vc} netns {client}"),
            format!("ip -n {server} addr add 10.77.{n}.1/24 dev {vs}"),
            format!("ip -n {server} addr add 172.30.{n}.1/24 dev {vs}"),
            format!("ip -n {client} addr add 10.77.{n}.2/24 dev {vc}"),
            format!("ip -n {client} addr add 172.30.{n}.2/24 dev {vc}"),
            format!("ip -n {server} link set lo up"),
            format!("ip -n {client} link set lo up"),
            format!("ip -n {server} link set {vs} up"),
            format!("ip -n {client} link set {vc} up"),
        ] {
            succeed(Command::new("sh").arg("-c").arg(script));
        }
        namespaces
    }

    /// TCP listeners on these ports in the server namespace, accepting and closing.
    fn listen(&mut self, ports: &[u16]) {
        let ports: Vec<String> = ports.iter().map(ToString::to_string).collect();
        let script = format!(
            "import socket, select\nss = []\nfor p in [{}]:\n    s = socket.socket(socket.AF_INET6)\n    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)\n    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n    s.bind(('::', p)); s.listen(16); ss.append(s)\nprint('ready', flush=True)\nwhile True:\n    for s in select.select(ss, [], [])[0]:\n        s.accept()[0].close()\n",
            ports.join(", ")
        );
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.server, "python3", "-c", &script])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.as_mut().unwrap()), &mut line).unwrap();
        assert_eq!(line.trim(), "ready");
        self.listener = Some(child);
    }

    /// Which of `(address, port)` the client reaches, as "ADDRESS:PORT" strings.
    fn reachable(&self, targets: &[(&str, u16)]) -> Vec<String> {
        let script = format!(
            "import socket\nfor a, p in [{}]:\n    try:\n        socket.create_connection((a, p), timeout=0.4).close(); print(f'{{a}}:{{p}}')\n    except OSError:\n        pass\n",
            targets.iter().map(|(a, p)| format!("('{a}', {p})")).collect::<Vec<_>>().join(", ")
        );
        let out = succeed(Command::new("ip").args(["netns", "exec", &self.client, "python3", "-c", &script]));
        out.lines().map(str::to_owned).collect()
    }

    fn in_server(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.server, program]);
        command
    }

    fn ruleset(&self) -> String {
        succeed(self.in_server("nft").args(["list", "ruleset"]))
    }

    fn harden(&self, root: &Path, args: &[&str]) -> std::process::Output {
        let mut command = self.in_server(crate::BIN);
        command
            .arg("harden")
            .args(args)
            .arg("--root")
            .arg(root)
            .args(["--firewall", "live"])
            .env_remove("SSH_CONNECTION");
        run(&mut command)
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        if let Some(mut child) = self.listener.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in [&self.server, &self.client] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// Every file and link under the root's etc/systemd/system with its target or content.
fn unit_tree(root: &Path) -> String {
    succeed(Command::new("sh").arg("-c").arg(format!(
        "cd {} && find etc/systemd/system -printf '%p %l %m\\n' | sort && find etc/systemd/system -type f -exec md5sum {{}} + | sort",
        root.display()
    )))
}

pub(crate) fn unit_states(root: &Path) -> String {
    succeed(Command::new("systemctl").arg(format!("--root={}", root.display())).args([
        "list-unit-files",
        "--type=service",
        "--no-legend",
        "--no-pager",
    ]))
}

/// A copy of the debootstrap root with a web server, a database and a print server installed
/// and enabled.
pub(crate) fn root_with_services() -> Root {
    let root = Root::copy();
    let units = root.path.join("usr/lib/systemd/system");
    std::fs::create_dir_all(&units).unwrap();
    for unit in ["nginx.service", "postgresql.service", "cups.service"] {
        std::fs::write(units.join(unit), "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n")
            .unwrap();
        succeed(Command::new("systemctl").arg(format!("--root={}", root.path.display())).args(["enable", unit]));
    }
    root
}

#[test]
fn a_web_and_ssh_policy_lets_in_what_it_says_and_rolls_back_exactly() {
    let root = root_with_services();
    let mut net = Namespaces::new(1);
    net.listen(&[22, 80, 443, 5432]);
    // Someone else's table, with an accepting input chain: ours still drops by default, and a
    // rollback puts theirs back as it was.
    succeed(net.in_server("nft").args([
        "add table inet filter ; add chain inet filter input { type filter hook input priority 0; policy accept; } ; add rule inet filter input tcp dport 8080 counter accept",
    ]));
    let ruleset_before = net.ruleset();
    let units_before = (unit_tree(&root.path), unit_states(&root.path));
    let all = [("10.77.1.1", 22), ("172.30.1.1", 22), ("10.77.1.1", 80), ("172.30.1.1", 443), ("10.77.1.1", 5432)];
    assert_eq!(net.reachable(&all).len(), 5);

    let temp = tempfile::tempdir().unwrap();
    let policy = temp.path().join("policy.toml");
    let out = succeed(
        Command::new(crate::BIN)
            .args(["harden", "wizard", "--role", "web", "--role", "ssh", "--admin-net", "10.77.1.0/24", "-o"])
            .arg(&policy),
    );
    assert_eq!(out, "");
    let policy_text = std::fs::read_to_string(&policy).unwrap();
    assert_eq!(policy_text, "version = 1\nroles = [\"web\", \"ssh\"]\nadmin_networks = [\"10.77.1.0/24\"]\n");

    let policy = policy.to_str().unwrap();
    // Applied through an SSH session from outside the admin network: refused.
    let mut refused = net.in_server(crate::BIN);
    refused.args(["harden", "apply", policy, "--firewall", "live", "--confirm-within", "0", "--root"]).arg(&root.path);
    let output = run(refused.env("SSH_CONNECTION", "172.30.1.2 50000 172.30.1.1 22"));
    assert_eq!(output.status.code(), Some(2), "{}", printed(&output));
    assert!(
        printed(&output).contains("would block the connection it is applied through (TCP from 172.30.1.2 to port 22)")
    );
    assert_eq!(net.ruleset(), ruleset_before);

    let output = net.harden(&root.path, &["apply", policy, "--confirm-within", "0"]);
    assert!(output.status.success(), "{}", printed(&output));
    assert!(printed(&output).contains("disabled postgresql.service (was enabled)"), "{}", printed(&output));
    assert_eq!(net.reachable(&all), ["10.77.1.1:22", "10.77.1.1:80", "172.30.1.1:443"]);
    let states = unit_states(&root.path);
    for expected in ["cups.service disabled", "nginx.service enabled", "postgresql.service disabled"] {
        assert!(states.split_whitespace().collect::<Vec<_>>().join(" ").contains(expected), "{expected}: {states}");
    }
    let status = net.harden(&root.path, &["status"]);
    assert!(status.status.success() && printed(&status).contains("no drift"), "{}", printed(&status));

    // Someone else changes the ruleset: drift, and a rollback refuses without --force.
    succeed(net.in_server("nft").args(["add rule inet parapet_harden input tcp dport 5432 accept"]));
    let status = net.harden(&root.path, &["status"]);
    assert_eq!(status.status.code(), Some(1));
    assert!(printed(&status).contains("drift: firewall table inet parapet_harden"), "{}", printed(&status));
    let output = net.harden(&root.path, &["rollback"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(printed(&output).contains("the nftables ruleset was changed by someone else"), "{}", printed(&output));
    let output = net.harden(&root.path, &["rollback", "--force"]);
    assert!(output.status.success(), "{}", printed(&output));
    assert_eq!(net.ruleset(), ruleset_before);
    assert_eq!((unit_tree(&root.path), unit_states(&root.path)), units_before);
    assert_eq!(net.reachable(&all).len(), 5);
}

#[test]
fn without_confirmation_the_previous_ruleset_and_units_are_back() {
    let root = root_with_services();
    let net = Namespaces::new(2);
    let temp = tempfile::tempdir().unwrap();
    let policy = temp.path().join("policy.toml");
    std::fs::write(&policy, "version = 1\nroles = [\"web\"]\nunneeded_units = \"mask\"\n").unwrap();
    let policy = policy.to_str().unwrap();
    let ruleset_before = net.ruleset();
    let units_before = (unit_tree(&root.path), unit_states(&root.path));

    let started = std::time::Instant::now();
    let output = net.harden(&root.path, &["apply", policy, "--confirm-within", "1s"]);
    assert_eq!(output.status.code(), Some(1), "{}", printed(&output));
    assert!(printed(&output).contains("not confirmed in time: the previous state is back"));
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert_eq!(net.ruleset(), ruleset_before);
    assert_eq!((unit_tree(&root.path), unit_states(&root.path)), units_before);

    // Confirmed from another session, it stays; then rolled back by its name.
    let mut apply = net.in_server(crate::BIN);
    apply.args(["harden", "apply", policy, "--firewall", "live", "--confirm-within", "30s", "--root"]).arg(&root.path);
    let child = apply.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while net.ruleset() == ruleset_before {
        assert!(std::time::Instant::now() < deadline, "the apply never loaded its ruleset");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let confirm = net.harden(&root.path, &["confirm"]);
    assert!(confirm.status.success(), "{}", printed(&confirm));
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", printed(&output));
    assert!(unit_states(&root.path).contains("masked"));
    let list = succeed(net.in_server(crate::BIN).args(["harden", "rollback", "--list", "--root"]).arg(&root.path));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(lines[0].contains("reverted") && lines[1].contains("confirmed"), "{list}");
    let id = lines[1].split_whitespace().next().unwrap();
    let output = net.harden(&root.path, &["rollback", id]);
    assert!(output.status.success(), "{}", printed(&output));
    assert_eq!(net.ruleset(), ruleset_before);
    assert_eq!((unit_tree(&root.path), unit_states(&root.path)), units_before);
}
