//! The apt consumer: Debian's real bookworm-security InRelease and Packages (as apt keeps them on
//! this machine) checked with Debian's archive keyring; a repository signed by the test's own key
//! whose next version supersedes an update.

use crate::server::TestServer;
use crate::{add_and_sync, store, sync};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use parapet_catalog::{Classification, SourceSpec, SourceType};
use parapet_store::UpdateQuery;
use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

type Files = Arc<Mutex<HashMap<String, Vec<u8>>>>;

async fn file(State(files): State<Files>, Path(path): Path<String>) -> Response {
    match files.lock().unwrap().get(&path) {
        Some(bytes) => bytes.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn serve(files: Files) -> TestServer {
    TestServer::start(Router::new().route("/{*path}", get(file)).with_state(files)).await
}

const LISTS: &str = "/var/lib/apt/lists";

#[tokio::test]
async fn debians_security_suite_is_verified_with_debians_keyring() {
    let in_release = std::fs::read(format!("{LISTS}/deb.debian.org_debian-security_dists_bookworm-security_InRelease"))
        .expect("apt's lists hold bookworm-security (scripts/test.sh runs apt-get update)");
    let mut packages = Vec::new();
    let lz4 = std::fs::File::open(format!(
        "{LISTS}/deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4"
    ))
    .unwrap();
    lz4_flex::frame::FrameDecoder::new(lz4).read_to_end(&mut packages).unwrap();
    let expected = parapet_catalog::sources::apt::parse_index(
        &String::from_utf8(packages.clone()).unwrap(),
        parapet_catalog::sources::apt::IndexKind::Packages,
        "Debian:12",
        "bookworm-security",
    );
    let files: Files = Arc::new(Mutex::new(HashMap::from([
        ("debian-security/dists/bookworm-security/InRelease".to_owned(), in_release.clone()),
        // Only the uncompressed index is here: the .xz the Release lists first is missing, as
        // on a partial mirror, and the next form is used.
        ("debian-security/dists/bookworm-security/main/binary-amd64/Packages".to_owned(), packages),
    ])));
    // apt keeps only main here; the other components are read too, and refused by name.
    let components = ["contrib", "non-free-firmware", "non-free"];
    let server = serve(files.clone()).await;
    let store = store().await;
    let url = format!("{}/debian-security/dists/bookworm-security", server.url);
    let outcome = add_and_sync(&store.store, SourceSpec::new("debian12", SourceType::Apt, &url)).await;
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.counts.rejected, 3, "{:?}", outcome.rejections);
    for (component, rejection) in components.iter().zip(&outcome.rejections) {
        assert!(
            rejection.document.ends_with(&format!("bookworm-security/{component}/binary-amd64/Packages")),
            "{rejection:?}"
        );
        assert!(rejection.reason.contains("Packages.xz: not found"), "{rejection:?}");
    }
    assert_eq!(outcome.counts.new as usize, expected.updates.len());
    let page = store
        .store
        .catalog_updates(&UpdateQuery {
            ecosystem: Some("Debian:12".into()),
            page: 1,
            per_page: 100_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total as usize, expected.updates.len());
    assert!(
        page.items.iter().all(
            |u| u.change.classification == Classification::Security && u.change.update.suite == "bookworm-security"
        )
    );
    println!("bookworm-security: {} security updates", page.total);

    let tick = store.store.catalog_tick().await.unwrap();
    let again = sync(&store.store, "debian12").await;
    assert_eq!((again.counts.new, again.counts.unchanged, again.counts.rejected), (0, 1, 3));
    assert_eq!(store.store.catalog_tick().await.unwrap(), tick);

    // One byte changed in the signed text: the signature no longer holds and nothing changes.
    let text = String::from_utf8(in_release).unwrap().replacen("Version: 12", "Version: 13", 1);
    files.lock().unwrap().insert("debian-security/dists/bookworm-security/InRelease".into(), text.into_bytes());
    let forged = sync(&store.store, "debian12").await;
    let error = forged.error.expect("a forged InRelease is refused");
    assert!(error.contains("InRelease") && error.contains("signature"), "{error}");
    assert_eq!(store.store.catalog_tick().await.unwrap(), tick);
}

fn release(packages: &[u8]) -> String {
    format!(
        "Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nCodename: bookworm-security\nVersion: 12\n\
         Date: Thu, 26 Nov 2026 00:00:00 UTC\nValid-Until: Fri, 31 Dec 2099 00:00:00 UTC\nArchitectures: amd64\n\
         Components: main\nSHA256:\n {} {} main/binary-amd64/Packages\n",
        parapet_sync::sha256_hex(packages),
        packages.len()
    )
}

fn packages(version: &str) -> Vec<u8> {
    format!("Package: libfoo1\nSource: foo\nVersion: {version}\nArchitecture: amd64\n\nPackage: bar\nVersion: 2.0-1\nArchitecture: all\n")
        .into_bytes()
}

#[tokio::test]
async fn a_new_version_in_the_security_suite_supersedes_the_old_one() {
    let key = parapet_provider::SigningKey::generate("Test archive <archive@example.com>", "pw").unwrap();
    let publish = |files: &Files, version: &str| {
        let packages = packages(version);
        let release = release(&packages);
        let mut files = files.lock().unwrap();
        files.insert(
            "repo/dists/bookworm-security/Release.gpg".into(),
            key.sign(release.as_bytes()).unwrap().into_bytes(),
        );
        files.insert("repo/dists/bookworm-security/Release".into(), release.into_bytes());
        files.insert("repo/dists/bookworm-security/main/binary-amd64/Packages".into(), packages);
    };
    let files: Files = Arc::default();
    publish(&files, "1.0-1+deb12u1");
    let server = serve(files.clone()).await;
    let store = store().await;
    let mut spec = SourceSpec::new("repo", SourceType::Apt, format!("{}/repo", server.url));
    spec.suites = vec!["bookworm-security".into()];
    spec.keys = vec![key.armored_public().unwrap()];
    let first = add_and_sync(&store.store, spec).await;
    assert_eq!((first.error.as_deref(), first.counts.new), (None, 2));

    publish(&files, "1.0-1+deb12u2");
    let second = sync(&store.store, "repo").await;
    assert_eq!(second.error, None);
    assert_eq!(second.counts.new, 1, "the new version of libfoo1");
    let all = store
        .store
        .catalog_updates(&UpdateQuery {
            package: Some("libfoo1".into()),
            include_superseded: true,
            page: 1,
            per_page: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let versions: Vec<(String, Option<String>)> =
        all.items.iter().map(|u| (u.change.update.version.clone(), u.change.superseded_by.clone())).collect();
    assert_eq!(
        versions,
        vec![("1.0-1+deb12u1".to_owned(), Some("1.0-1+deb12u2".to_owned())), ("1.0-1+deb12u2".to_owned(), None)]
    );
    assert_eq!(all.items[1].supersedes, vec!["1.0-1+deb12u1".to_owned()]);
    let current = store.store.catalog_snapshot(String::new()).await.unwrap().updates;
    assert_eq!(
        current.iter().filter(|u| u.package == "libfoo1").map(|u| u.version.as_str()).collect::<Vec<_>>(),
        ["1.0-1+deb12u2"]
    );

    // `--arch source` reads the Sources index: each binary the source package builds.
    {
        let sources = b"Package: foo\nVersion: 1.0-1+deb12u2\nBinary: libfoo1, foo-tools\n\n".to_vec();
        let mut files = files.lock().unwrap();
        let release = format!(
            "{} {} {} main/source/Sources\n",
            String::from_utf8(files["repo/dists/bookworm-security/Release"].clone()).unwrap(),
            parapet_sync::sha256_hex(&sources),
            sources.len()
        );
        files.insert(
            "repo/dists/bookworm-security/Release.gpg".into(),
            key.sign(release.as_bytes()).unwrap().into_bytes(),
        );
        files.insert("repo/dists/bookworm-security/Release".into(), release.into_bytes());
        files.insert("repo/dists/bookworm-security/main/source/Sources".into(), sources);
    }
    let mut with_sources = SourceSpec::new("repo-sources", SourceType::Apt, format!("{}/repo", server.url));
    with_sources.suites = vec!["bookworm-security".into()];
    with_sources.architectures = vec!["source".into()];
    with_sources.keys = vec![key.armored_public().unwrap()];
    let from_sources = add_and_sync(&store.store, with_sources).await;
    assert_eq!((from_sources.error.as_deref(), from_sources.counts.new), (None, 2), "{:?}", from_sources.rejections);

    // An index that does not match the signed Release is rejected, and nothing changes.
    publish(&files, "1.0-1+deb12u3");
    files.lock().unwrap().insert("repo/dists/bookworm-security/main/binary-amd64/Packages".into(), packages("9.9-9"));
    let tick = store.store.catalog_tick().await.unwrap();
    let third = sync(&store.store, "repo").await;
    assert_eq!(third.counts.rejected, 1);
    assert!(third.rejections[0].reason.contains("does not match its size and SHA-256"), "{:?}", third.rejections);
    assert_eq!(store.store.catalog_tick().await.unwrap(), tick);
}
