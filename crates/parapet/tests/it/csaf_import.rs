//! `parapet csaf import` on the real CISA provider tree, then `parapet serve`: every valid
//! document is served in the trusted provider directory byte for byte, with hashes and a
//! signature that the key named in `provider-metadata.json` verifies (`gpg` checks a sample).

use std::path::Path;
use std::process::Command;

use crate::{parapet, serve};

const CISA: &str = "../../../shared/data/csaf/provider-cisa";

#[tokio::test]
async fn imported_cisa_documents_are_served_signed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cisa = Path::new(env!("CARGO_MANIFEST_DIR")).join(CISA);
    let cisa_arg = cisa.to_str().unwrap();

    let imported = parapet(&data, &["csaf", "import", cisa_arg], &[]);
    let stderr = String::from_utf8_lossy(&imported.stderr).into_owned();
    // Some CISA documents fail a mandatory test (see parapet-csaf's real-document test): those are
    // refused with the test, the others imported, and the exit code says something was refused.
    assert_eq!(imported.status.code(), Some(1), "{stderr}");
    let summary = stderr.lines().last().unwrap();
    let count = |word: &str| -> usize {
        let at = summary.find(word).unwrap_or_else(|| panic!("{word} in {summary}")) + word.len() + 1;
        summary[at..].split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
    };
    let (imported_count, refused) = (count("imported"), count("refused"));
    println!("{summary}");
    assert!(imported_count > 2000, "{summary}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("refused: ")).count(), refused);
    assert!(stderr.lines().filter(|l| l.starts_with("refused: ")).all(|l| l.contains("test 6.1.")), "{stderr}");

    // Again: nothing changes.
    let again = parapet(&data, &["csaf", "import", cisa_arg], &[]);
    let again_summary = String::from_utf8_lossy(&again.stderr).lines().last().unwrap().to_owned();
    assert!(
        again_summary.starts_with(&format!("imported 0, unchanged {imported_count}, refused {refused}")),
        "{again_summary}"
    );

    let (server, base) = serve(&data, &[]).await;
    let client = reqwest::Client::new();
    let get = |path: String| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let reply = client.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(reply.status(), 200, "{path}");
            reply.bytes().await.unwrap().to_vec()
        }
    };
    let metadata: serde_json::Value =
        serde_json::from_slice(&get("/.well-known/csaf/provider-metadata.json".into()).await).unwrap();
    let fingerprint = metadata["public_openpgp_keys"][0]["fingerprint"].as_str().unwrap().to_owned();
    let key_url = metadata["public_openpgp_keys"][0]["url"].as_str().unwrap();
    let key = String::from_utf8(get(key_url.strip_prefix(&base).unwrap().to_owned()).await).unwrap();

    let index = String::from_utf8(get("/.well-known/csaf/white/index.txt".into()).await).unwrap();
    let paths: Vec<&str> = index.lines().collect();
    assert_eq!(paths.len(), imported_count, "every imported document is listed");
    let changes = String::from_utf8(get("/.well-known/csaf/white/changes.csv".into()).await).unwrap();
    assert_eq!(changes.lines().count(), imported_count);

    let gpg_home = tempfile::tempdir().unwrap();
    std::fs::write(gpg_home.path().join("key.asc"), &key).unwrap();
    let gpg = |args: &[&str]| {
        Command::new("gpg")
            .arg("--homedir")
            .arg(gpg_home.path())
            .args(["--batch", "--no-tty", "--status-fd", "1"])
            .args(args)
            .output()
            .unwrap()
    };
    assert!(gpg(&["--import", gpg_home.path().join("key.asc").to_str().unwrap()]).status.success());

    for (i, path) in paths.iter().enumerate() {
        let url = format!("/.well-known/csaf/white/{path}");
        let document = get(url.clone()).await;
        // The bytes are the original file's: hashes made by the first publisher still hold.
        let year_file = path.split_once('/').unwrap();
        let original = ["IT/white", "OT/white"]
            .iter()
            .map(|f| cisa.join(f).join(year_file.0).join(year_file.1))
            .find(|p| p.exists());
        if let Some(original) = original {
            assert_eq!(std::fs::read(original).unwrap(), document, "{path}");
        }
        let digests = parapet_provider::Digests::of(&document);
        let name = year_file.1;
        assert_eq!(
            String::from_utf8(get(format!("{url}.sha256")).await).unwrap(),
            format!("{}  {name}\n", digests.sha256)
        );
        assert_eq!(
            String::from_utf8(get(format!("{url}.sha512")).await).unwrap(),
            format!("{}  {name}\n", digests.sha512)
        );
        let signature = String::from_utf8(get(format!("{url}.asc")).await).unwrap();
        parapet_provider::signing::verify(&key, &document, &signature).unwrap_or_else(|e| panic!("{path}: {e}"));
        if i % 250 == 0 {
            let doc_file = gpg_home.path().join(name);
            let sig_file = gpg_home.path().join(format!("{name}.asc"));
            std::fs::write(&doc_file, &document).unwrap();
            std::fs::write(&sig_file, &signature).unwrap();
            let verified = gpg(&["--verify", sig_file.to_str().unwrap(), doc_file.to_str().unwrap()]);
            let status = String::from_utf8_lossy(&verified.stdout);
            assert!(verified.status.success(), "{path}: {status}");
            assert!(status.contains(&format!("VALIDSIG {fingerprint}")), "{status}");
        }
    }
    drop(server);
}
