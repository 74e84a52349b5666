//! The webhook signatures checked by the Standard Webhooks reference library (Python's
//! `standardwebhooks`, which scripts/test.sh installs).

use parapet_notify::webhook::{Secret, headers};

#[test]
fn the_reference_library_verifies_our_signatures_also_during_rotation() {
    let (old, new) = (Secret::generate(), Secret::generate());
    let body =
        br#"{"type":"document.published","data":{"id":"PSB-2026-001","title":"Security update for \u00c9cole"}}"#;
    let timestamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let signed = headers("msg_2Mq1PPhW8Kg", timestamp, body, &[&new, &old]);
    let dir = tempfile::tempdir().unwrap();
    let payload = dir.path().join("payload.json");
    std::fs::write(&payload, body).unwrap();
    let script = "import json, sys\n\
                  from standardwebhooks.webhooks import Webhook\n\
                  secret, headers, path = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]\n\
                  Webhook(secret).verify(open(path, 'rb').read(), headers)\n\
                  print('verified')";
    let headers: std::collections::BTreeMap<&str, &str> = signed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let headers =
        format!("{{{}}}", headers.iter().map(|(k, v)| format!("\"{k}\": \"{v}\"")).collect::<Vec<_>>().join(", "));
    for (secret, verifies) in [(&new, true), (&old, true), (&Secret::generate(), false)] {
        let output = std::process::Command::new("python3")
            .args(["-c", script, &secret.expose(), &headers, payload.to_str().unwrap()])
            .output()
            .expect("python3 runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stderr.contains("ModuleNotFoundError"),
            "standardwebhooks is missing (scripts/test.sh installs it): {stderr}"
        );
        assert_eq!(output.status.success(), verifies, "{stderr}");
        if verifies {
            assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "verified");
        }
    }
}
