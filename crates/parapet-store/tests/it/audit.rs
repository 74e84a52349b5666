use parapet_model::Role;
use parapet_store::AuditQuery;

use crate::{TestStore, on_both};

on_both!(every_change_is_audited);

async fn every_change_is_audited(store: TestStore) {
    let user = store.create_user("root", "erin", Role::Publisher, Some("secret-hash")).await.unwrap();
    store.update_user("root", user.id, Some(Role::Analyst), None, None).await.unwrap();
    let page = store
        .audit_entries(&AuditQuery { entity: Some(parapet_model::Entity::User), per_page: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    let update = &page.items[0];
    assert_eq!((update.actor.as_str(), update.action.as_str()), ("root", "user.update"));
    assert_eq!(update.before.as_ref().unwrap()["role"], "publisher");
    assert_eq!(update.after.as_ref().unwrap()["role"], "analyst");
    let text = serde_json::to_string(&page.items).unwrap();
    assert!(!text.contains("secret-hash"), "password hashes stay out of the audit log");
}
