//! `parapet bulletin` and `parapet advisory` against a real server: write, preview, publish out
//! of band, and schedule a document that the running server's scheduler then publishes.

use serde_json::{Value, json};
use std::time::{Duration, Instant};

use crate::{parapet, serve, stdout};

#[tokio::test]
async fn documents_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [("PARAPET_ADMIN_PASSWORD", "first admin password"), ("PARAPET_RELEASES_CHECK_SECONDS", "1")];
    let (server, base) = serve(&data, &env).await;
    stdout(&parapet(
        &data,
        &["user", "add", "pat", "--role", "publisher"],
        &[("PARAPET_PASSWORD", "publisher pass 1")],
    ));
    let token = stdout(&parapet(&data, &["token", "create", "--user", "pat"], &[])).trim().to_owned();
    let client = reqwest::Client::new();
    let product: Value = client
        .post(format!("{base}/api/v1/products"))
        .bearer_auth(&token)
        .json(&json!({"vendor": "Acme", "name": "Widget"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let product_id = product["id"].as_i64().unwrap();
    let version: Value = client
        .post(format!("{base}/api/v1/products/{product_id}/versions"))
        .bearer_auth(&token)
        .json(&json!({"version": "1.0"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let version_id = version["id"].as_i64().unwrap();

    // The command talks to the server named by --server with the token from the environment.
    let cli = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_parapet"));
        command.args(args).env("PARAPET_SERVER", &base).env("PARAPET_TOKEN", &token);
        command.output().unwrap()
    };
    let bulletin = dir.path().join("bulletin.json");
    std::fs::write(
        &bulletin,
        json!({
            "title": "Security update for Widget",
            "summary": "Fixes an authentication bypass.",
            "products": [product_id],
            "vulnerabilities": [{"cve": "CVE-2026-40001", "title": "Widget authentication bypass",
                "description": "A crafted cookie skips the password check.",
                "cvss_v31": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N", "affected": [version_id]}],
            "updates": [{"product_id": product_id, "branch": null, "fixed_version": "1.0.1", "purl": null, "url": null, "restart_required": false}]
        })
        .to_string(),
    )
    .unwrap();
    let created = cli(&["bulletin", "create", bulletin.to_str().unwrap()]);
    let id = stdout(&created).trim().to_owned();
    assert!(id.starts_with("PSB-") && id.ends_with("-001"), "{id}");
    let preview = cli(&["bulletin", "preview", &id]);
    assert!(stdout(&preview).contains("valid CSAF"));
    let wrong_kind = cli(&["advisory", "show", &id]);
    assert_eq!(wrong_kind.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong_kind.stderr).contains("is a \"bulletin\""));
    let published = cli(&["bulletin", "publish", &id]);
    assert!(published.status.success(), "{}", String::from_utf8_lossy(&published.stderr));

    // Withdrawing is a revision too: a draft, then published; the history stays.
    let withdrawn = cli(&["bulletin", "withdraw", &id, "--reason", "The update was re-released as PSB-2026-002"]);
    assert!(withdrawn.status.success(), "{}", String::from_utf8_lossy(&withdrawn.stderr));
    assert!(cli(&["bulletin", "publish", &id]).status.success());
    let shown: Value = serde_json::from_slice(&cli(&["bulletin", "show", &id]).stdout).unwrap();
    assert_eq!(shown["status"], "withdrawn");
    assert_eq!(shown["document"]["revisions"].as_array().unwrap().len(), 2);

    // An advisory scheduled two seconds ahead is published by the running server.
    let advisory = dir.path().join("advisory.json");
    std::fs::write(
        &advisory,
        json!({"title": "Hardening Widget", "summary": "Turn off the legacy listener.", "category": "configuration",
            "references": [{"url": "https://acme.example/hardening", "summary": "Hardening guide"}]})
        .to_string(),
    )
    .unwrap();
    let advisory_id = stdout(&cli(&["advisory", "create", advisory.to_str().unwrap()])).trim().to_owned();
    let at = (time::OffsetDateTime::now_utc() + time::Duration::seconds(2))
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let scheduled = cli(&["advisory", "schedule", &advisory_id, "--at", &at]);
    assert!(String::from_utf8_lossy(&scheduled.stderr).contains("out of band"), "{:?}", scheduled);
    let started = Instant::now();
    loop {
        let index =
            client.get(format!("{base}/.well-known/csaf/white/index.txt")).send().await.unwrap().text().await.unwrap();
        if index.lines().count() == 2 {
            assert!(index.contains(
                &parapet_provider::directory::document_path(time::OffsetDateTime::now_utc(), &advisory_id)[5..]
            ));
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the scheduler did not publish {advisory_id}: {index}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let list = stdout(&cli(&["advisory", "list"]));
    assert!(list.contains(&format!("{advisory_id}\tactive\t-\tHardening Widget")), "{list}");

    // Moving to an existing key (made with gpg): every published document is signed again, and
    // the running server serves the new key and signatures.
    let gpg_home = tempfile::tempdir().unwrap();
    let gpg = |args: &[&str]| {
        std::process::Command::new("gpg")
            .arg("--homedir")
            .arg(gpg_home.path())
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", "gpg passphrase"])
            .args(args)
            .output()
            .unwrap()
    };
    let made = gpg(&["--quick-gen-key", "Acme PSIRT <psirt@acme.example>", "ed25519", "sign", "never"]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let exported = gpg(&["--armor", "--export-secret-keys", "psirt@acme.example"]);
    let key_file = dir.path().join("psirt.asc");
    std::fs::write(&key_file, &exported.stdout).unwrap();
    let listed = String::from_utf8(gpg(&["--with-colons", "--list-keys", "psirt@acme.example"]).stdout).unwrap();
    let gpg_fingerprint = listed.lines().find(|l| l.starts_with("fpr:")).unwrap().split(':').nth(9).unwrap().to_owned();
    let wrong = parapet(
        &data,
        &["csaf", "key", "import", key_file.to_str().unwrap()],
        &[("PARAPET_KEY_FILE_PASSPHRASE", "nope")],
    );
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("passphrase"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    let imported = parapet(
        &data,
        &["csaf", "key", "import", key_file.to_str().unwrap()],
        &[("PARAPET_KEY_FILE_PASSPHRASE", "gpg passphrase")],
    );
    assert!(
        String::from_utf8_lossy(&imported.stderr).contains("3 published files (every revision) signed again"),
        "{imported:?}"
    );
    let metadata: Value = client
        .get(format!("{base}/.well-known/csaf/provider-metadata.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["public_openpgp_keys"][0]["fingerprint"], gpg_fingerprint);
    let index =
        client.get(format!("{base}/.well-known/csaf/white/index.txt")).send().await.unwrap().text().await.unwrap();
    for path in index.lines() {
        let url = format!("{base}/.well-known/csaf/white/{path}");
        let document = client.get(&url).send().await.unwrap().bytes().await.unwrap();
        let signature = client.get(format!("{url}.asc")).send().await.unwrap().bytes().await.unwrap();
        std::fs::write(dir.path().join("doc.json"), &document).unwrap();
        std::fs::write(dir.path().join("doc.json.asc"), &signature).unwrap();
        let dir_doc = dir.path().join("doc.json");
        let dir_sig = dir.path().join("doc.json.asc");
        let verified = gpg(&["--verify", dir_sig.to_str().unwrap(), dir_doc.to_str().unwrap()]);
        assert!(verified.status.success(), "{path}: {}", String::from_utf8_lossy(&verified.stderr));
    }

    // Bad input: a clear error naming the field, exit code 2.
    std::fs::write(&advisory, json!({"title": "", "summary": "x"}).to_string()).unwrap();
    let bad = cli(&["advisory", "create", advisory.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("title"), "{}", String::from_utf8_lossy(&bad.stderr));
    drop(server);
}
