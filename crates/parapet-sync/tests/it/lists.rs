//! Whole-file sources: Debian's DSA and DLA lists and Alpine's secdb give the catalog what a direct
//! build reads from the same files; a second sync writes nothing; an advisory gone from the list
//! is withdrawn.

use crate::{add_and_sync, shared, store, sync};
use parapet_catalog::{Advisory, SourceSpec, SourceType};

/// Alpine gives one advisory per CVE and release: the ID and the release order them.
fn key(advisory: &Advisory) -> (String, String) {
    (advisory.id.clone(), advisory.affected.first().map(|a| a.ecosystem.clone()).unwrap_or_default())
}

fn built(inputs: parapet_catalog::build::Inputs) -> Vec<Advisory> {
    let mut advisories = parapet_catalog::build::build(&inputs, String::new(), &|_, _, _| {}).unwrap().advisories;
    advisories.sort_by_key(key);
    advisories
}

async fn synced(store: &parapet_store::Store) -> Vec<Advisory> {
    let mut advisories = store.catalog_snapshot(String::new()).await.unwrap().advisories;
    advisories.sort_by_key(key);
    advisories
}

#[tokio::test]
async fn debian_lists_sync_like_a_direct_build() {
    for list in ["DSA-list", "DLA-list"] {
        let store = store().await;
        let path = shared(&format!("debian/{list}"));
        let spec = SourceSpec::new("debian", SourceType::DebianList, path.display().to_string());
        let outcome = add_and_sync(&store.store, spec).await;
        assert_eq!(outcome.error, None, "{list}");
        let expected = built(parapet_catalog::build::Inputs { debian_lists: vec![path.clone()], ..Default::default() });
        assert_eq!(synced(&store.store).await, expected, "{list}");
        assert_eq!(outcome.counts.new as usize, expected.len(), "{list}");
        println!("{list}: {} advisories, {} lines refused", expected.len(), outcome.counts.rejected);

        let tick = store.store.catalog_tick().await.unwrap();
        let again = sync(&store.store, "debian").await;
        assert_eq!(
            (again.counts.new, again.counts.updated, again.counts.unchanged),
            (0, 0, expected.len() as u64),
            "{list}"
        );
        assert_eq!(store.store.catalog_tick().await.unwrap(), tick, "{list}");
    }
}

#[tokio::test]
async fn an_advisory_gone_from_the_list_is_withdrawn() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("DSA-list");
    let text = std::fs::read_to_string(shared("debian/DSA-list")).unwrap();
    // The newest advisory is first: drop it in the second version of the list.
    let (first, rest) = text.split_at(text[1..].find("\n[").unwrap() + 2);
    std::fs::write(&list, &text).unwrap();
    let store = store().await;
    let outcome =
        add_and_sync(&store.store, SourceSpec::new("dsa", SourceType::DebianList, list.display().to_string())).await;
    assert_eq!(outcome.error, None);
    let id = first.split_whitespace().nth(3).unwrap().to_owned();
    assert!(id.starts_with("DSA-"), "{id}");
    assert!(store.store.catalog_entry(&id).await.unwrap().is_some());
    std::fs::write(&list, rest).unwrap();
    let again = sync(&store.store, "dsa").await;
    assert_eq!((again.counts.withdrawn, again.counts.new, again.counts.updated), (1, 0, 0), "{:?}", again.counts);
    assert!(store.store.catalog_entry(&id).await.unwrap().is_none());
}

#[tokio::test]
async fn alpine_secdb_syncs_like_a_direct_build() {
    let store = store().await;
    let path = shared("alpine-secdb");
    let outcome =
        add_and_sync(&store.store, SourceSpec::new("alpine", SourceType::AlpineSecdb, path.display().to_string()))
            .await;
    assert_eq!(outcome.error, None);
    let expected = built(parapet_catalog::build::Inputs { alpine_secdb: vec![path], ..Default::default() });
    assert_eq!(synced(&store.store).await, expected);
    let tick = store.store.catalog_tick().await.unwrap();
    let again = sync(&store.store, "alpine").await;
    assert_eq!((again.counts.new, again.counts.updated), (0, 0));
    assert_eq!(again.counts.unchanged as usize, expected.len());
    assert_eq!(store.store.catalog_tick().await.unwrap(), tick);
}
