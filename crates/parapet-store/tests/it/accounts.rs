use parapet_model::{Role, Scope};
use parapet_store::StoreError;
use time::{Duration, OffsetDateTime};

use crate::{TestStore, on_both};

on_both!(users_and_sessions, tokens, login_failures, setup_once);

async fn users_and_sessions(store: TestStore) {
    let alice = store.create_user("test", "alice", Role::Analyst, Some("hash-a")).await.unwrap();
    assert_eq!(alice.role, Role::Analyst);
    let dup = store.create_user("test", "alice", Role::Admin, None).await.unwrap_err();
    assert!(matches!(dup, StoreError::Invalid(ref e) if e.field == "name"), "{dup:?}");
    let bad = store.create_user("test", "a b", Role::Admin, None).await.unwrap_err();
    assert!(matches!(bad, StoreError::Invalid(ref e) if e.field == "name"));

    let expires = OffsetDateTime::now_utc() + Duration::hours(1);
    store.create_session(alice.id, "s1", "csrf1", expires).await.unwrap();
    let session = store.session("s1").await.unwrap().unwrap();
    assert_eq!((session.user.name.as_str(), session.csrf_token.as_str()), ("alice", "csrf1"));
    assert!(store.session("nope").await.unwrap().is_none());

    // A password change ends sessions.
    store.update_user("admin", alice.id, None, Some("hash-b"), None).await.unwrap();
    assert!(store.session("s1").await.unwrap().is_none());
    let updated = store.user_by_name("alice").await.unwrap().unwrap();
    assert_eq!(updated.password_hash.as_deref(), Some("hash-b"));

    store.create_session(alice.id, "s2", "csrf2", OffsetDateTime::now_utc() - Duration::seconds(1)).await.unwrap();
    assert!(store.session("s2").await.unwrap().is_none(), "expired sessions are not live");
    assert_eq!(store.user_count().await.unwrap(), 1);
}

async fn tokens(store: TestStore) {
    let bob = store.create_user("test", "bob", Role::Auditor, None).await.unwrap();
    let token = store.create_token("bob", bob.id, "ci", "digest", &[Scope::Read]).await.unwrap();
    assert_eq!(token.last_used_at, None);
    let (used, user) = store.use_token("digest").await.unwrap().unwrap();
    assert_eq!((used.id, user.name.as_str()), (token.id, "bob"));
    assert!(used.last_used_at.is_some());
    assert!(store.use_token("other").await.unwrap().is_none());
    let revoked = store.revoke_token("bob", token.id).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert!(store.use_token("digest").await.unwrap().is_none());
    assert_eq!(store.tokens(Some(bob.id)).await.unwrap().len(), 1);
    // Disabled users' tokens stop working.
    store.create_token("bob", bob.id, "ci2", "digest2", &[Scope::Read, Scope::Write]).await.unwrap();
    store.update_user("admin", bob.id, None, None, Some(true)).await.unwrap();
    assert!(store.use_token("digest2").await.unwrap().is_none());
}

async fn login_failures(store: TestStore) {
    let since = OffsetDateTime::now_utc() - Duration::minutes(15);
    for _ in 0..3 {
        store.record_login_failure("carol", "10.0.0.1").await.unwrap();
    }
    store.record_login_failure("dave", "10.0.0.1").await.unwrap();
    assert_eq!(store.login_failures_since("carol", "10.0.0.1", since).await.unwrap(), (3, 4));
    store.clear_login_failures("carol").await.unwrap();
    assert_eq!(store.login_failures_since("carol", "10.0.0.2", since).await.unwrap(), (0, 0));
}

async fn setup_once(store: TestStore) {
    store.create_setup_token("setup", OffsetDateTime::now_utc() + Duration::hours(1)).await.unwrap();
    assert!(store.setup_token_valid("setup").await.unwrap());
    let admin = store.complete_setup("setup", "root", "hash").await.unwrap();
    assert_eq!(admin.role, Role::Admin);
    assert!(!store.setup_token_valid("setup").await.unwrap());
    assert!(matches!(store.complete_setup("setup", "root2", "hash").await, Err(StoreError::NotFound(_))));
}
