//! Security configuration across the fleet, end to end with real processes: a group's policy
//! set on a running server, an agent in a network namespace of its own (its nftables live
//! there, never the machine's) on a copy of the debootstrap root, the job it takes at its
//! check-in, applied and kept once it reaches the server again, and the drift it reports after
//! the test changes the ruleset behind its back.

use std::process::Command;

use serde_json::{Value, json};

use crate::fleet::{Api, admin_token, agent_binary};
use crate::harden::{root_with_services, unit_states};
use crate::scan_root::{printed, succeed};
use crate::{BIN, serve_on};

/// A namespace joined to the machine's by a veth pair: 10.78.N.1 on the machine's side (where
/// the server listens), 10.78.N.2 inside. Deleted on drop, with its pair.
struct AgentNamespace {
    name: String,
    outside: String,
}

impl AgentNamespace {
    fn new(n: u8) -> AgentNamespace {
        let pid = std::process::id();
        let name = format!("pph-agent-{n}-{pid}");
        let (outside, inside) = (format!("ppho{n}{}", pid % 10000), format!("pphi{n}{}", pid % 10000));
        let namespace = AgentNamespace { name: name.clone(), outside: outside.clone() };
        for script in [
            format!("ip netns add {name}"),
            format!("ip link add {outside} type veth peer name {inside}"),
            format!("ip link set {inside} netns {name}"),
            format!("ip addr add 10.78.{n}.1/24 dev {outside}"),
            format!("ip link set {outside} up"),
            format!("ip -n {name} addr add 10.78.{n}.2/24 dev {inside}"),
            format!("ip -n {name} link set {inside} up"),
            format!("ip -n {name} link set lo up"),
        ] {
            succeed(Command::new("sh").arg("-c").arg(script));
        }
        namespace
    }

    fn command(&self, program: &std::path::Path) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name]).arg(program);
        command
    }
}

impl Drop for AgentNamespace {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.name]).status();
        // Usually gone with the namespace already.
        let _ = Command::new("ip").args(["link", "del", &self.outside]).stderr(std::process::Stdio::null()).status();
    }
}

#[tokio::test]
async fn an_agent_applies_its_groups_policy_keeps_it_and_reports_drift() {
    let n = 1;
    let namespace = AgentNamespace::new(n);
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let token = admin_token(&data, &[]);
    let (_server, base) = serve_on(&data, &format!("10.78.{n}.1:0"), &[]).await;
    let api = Api { base: base.clone(), token: token.clone(), http: reqwest::Client::new() };
    api.post("/api/v1/fleet/groups", json!({"name": "web"})).await;
    let policy = format!(
        "# the web servers: HTTP for everyone, SSH for the admins\nversion = 1\nroles = [\"web\", \"ssh\"]\nadmin_networks = [\"10.78.{n}.0/24\"]\n"
    );
    let put = api
        .http
        .put(format!("{base}/api/v1/fleet/groups/web/harden-policy"))
        .bearer_auth(&token)
        .body(policy.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    let digest = put.json::<Value>().await.unwrap()["digest"].as_str().unwrap().to_owned();

    let root = root_with_services();
    let state = temp.path().join("agent");
    let secret = api.post("/api/v1/fleet/enrollment-secrets", json!({"name": "web", "group": "web"})).await;
    let agent = |args: &[&str]| {
        let mut command = namespace.command(&agent_binary());
        command.arg("--state").arg(&state).arg("--root").arg(&root.path).args(["--firewall", "live"]).args(args);
        let output = command.output().unwrap();
        assert!(output.status.success(), "parapet-agent {args:?}: {}", printed(&output));
        String::from_utf8(output.stdout).unwrap()
    };
    agent(&["enroll", "--server", &base, "--secret", secret["secret"].as_str().unwrap()]);
    let before = succeed(namespace.command(std::path::Path::new("nft")).args(["list", "ruleset"]));
    assert!(!before.contains("parapet_harden"), "{before}");

    // The first check-in brings the job: applied, kept once the agent reached the server.
    let checked: Value = serde_json::from_str(&agent(&["check-in", "--format", "json"])).unwrap();
    let host = checked["host_id"].as_str().unwrap().to_owned();
    let jobs = api.get(&format!("/api/v1/fleet/hosts/{host}/jobs")).await;
    let job = &jobs["items"][0];
    assert_eq!((job["kind"].as_str(), job["state"].as_str()), (Some("harden_apply"), Some("succeeded")), "{jobs:#}");
    assert_eq!(job["digest"], digest.as_str());
    let message = job["report"]["message"].as_str().unwrap();
    assert!(message.contains("applied and kept"), "{message}");
    let ruleset = succeed(namespace.command(std::path::Path::new("nft")).args(["list", "ruleset"]));
    assert!(ruleset.contains("table inet parapet_harden"), "{ruleset}");
    assert!(ruleset.contains(&format!("10.78.{n}.0/24")) && ruleset.contains("dport 22"), "{ruleset}");
    let units = unit_states(&root.path);
    let unit = |name: &str| units.lines().find(|l| l.starts_with(name)).unwrap_or_default().to_owned();
    assert!(unit("cups.service").contains("disabled") && unit("postgresql.service").contains("disabled"), "{units}");
    assert!(unit("nginx.service").contains("enabled"), "{units}");

    // The check-in after the job reported the policy running, without drift.
    let harden = api.get(&format!("/api/v1/fleet/hosts/{host}/harden")).await;
    assert_eq!(harden["state"], "compliant", "{harden:#}");
    assert_eq!(harden["reported"]["policy_digest"], digest.as_str());
    assert_eq!(harden["reported"]["pending"], false);
    let snapshot = harden["reported"]["snapshot"].as_str().unwrap().to_owned();
    // Confirmed on the host too: nothing waits, and a later command does not revert it.
    let status = Command::new(BIN)
        .args(["harden", "status", "--format", "json", "--firewall", "skip", "--root"])
        .arg(&root.path)
        .output()
        .unwrap();
    let status: Value = serde_json::from_slice(&status.stdout).unwrap_or_else(|_| panic!("{}", printed(&status)));
    assert_eq!(status["snapshot"], snapshot.as_str());
    assert_eq!(status["pending_deadline_ms"], Value::Null);

    // Someone opens PostgreSQL's port behind the policy's back: the next check-in says so.
    succeed(namespace.command(std::path::Path::new("nft")).args([
        "add",
        "rule",
        "inet",
        "parapet_harden",
        "input",
        "tcp",
        "dport",
        "5432",
        "accept",
    ]));
    agent(&["check-in"]);
    let harden = api.get(&format!("/api/v1/fleet/hosts/{host}/harden")).await;
    assert_eq!(harden["state"], "drift", "{harden:#}");
    let drift = harden["reported"]["drift"].as_array().unwrap();
    assert!(drift.iter().any(|d| d["kind"] == "firewall" && d["subject"] == "table inet parapet_harden"), "{drift:?}");
    // Unchanged since, the report is not sent again: the host stays as reported.
    agent(&["check-in"]);
    let check_ins = api.get(&format!("/api/v1/fleet/hosts/{host}/check-ins")).await;
    assert!(check_ins["items"].as_array().unwrap().len() >= 3, "{check_ins:#}");
    assert_eq!(api.get(&format!("/api/v1/fleet/hosts/{host}/harden")).await["state"], "drift");
}
