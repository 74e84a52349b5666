//! Blog posts: drafts are private, scheduled posts publish once at their time (dated then, even
//! when the server was down across it), slugs are unique and stable.

use parapet_model::{PostInput, PostStatus};
use parapet_store::StoreError;
use time::macros::datetime;

use crate::{TestStore, on_both};

on_both!(drafts_schedules_and_publication);

fn input(slug: Option<&str>, title: &str) -> PostInput {
    PostInput {
        slug: slug.map(str::to_owned),
        title: title.to_owned(),
        summary: "What changes this month.".to_owned(),
        body: "# Heading\n\nSome *Markdown*.".to_owned(),
    }
}

async fn drafts_schedules_and_publication(store: TestStore) {
    let draft = store.create_post("pat", &input(None, "December release notes").validate().unwrap()).await.unwrap();
    assert_eq!((draft.slug.as_str(), draft.status), ("december-release-notes", PostStatus::Draft));
    let duplicate = store.create_post("pat", &input(None, "December release notes").validate().unwrap()).await;
    assert!(matches!(duplicate, Err(StoreError::Invalid(ref e)) if e.field == "slug"), "{duplicate:?}");
    assert!(store.post("december-release-notes", false).await.unwrap().is_none(), "a draft is not public");
    assert!(store.posts(false, 10).await.unwrap().is_empty());

    let mut edited = input(Some("december-release-notes"), "December release notes (updated)").validate().unwrap();
    edited.body = "New text".into();
    let updated = store.update_post("pat", "december-release-notes", &edited).await.unwrap();
    assert_eq!(updated.body, "New text");
    let renamed =
        store.update_post("pat", "december-release-notes", &input(Some("other"), "x").validate().unwrap()).await;
    assert!(matches!(renamed, Err(StoreError::Invalid(ref e)) if e.field == "slug"));

    let at = datetime!(2026-12-08 17:00 UTC);
    let scheduled = store.publish_post("pat", "december-release-notes", Some(at)).await.unwrap();
    assert_eq!((scheduled.status, scheduled.publish_at), (PostStatus::Scheduled, Some(at)));
    assert!(store.publish_due_posts(datetime!(2026-12-08 16:59 UTC)).await.unwrap().is_empty());
    // The server was down across the instant: the post is published late, dated on time, once.
    let published = store.publish_due_posts(datetime!(2026-12-08 19:30 UTC)).await.unwrap();
    assert_eq!(published, vec!["december-release-notes"]);
    assert!(store.publish_due_posts(datetime!(2026-12-09 00:00 UTC)).await.unwrap().is_empty());
    let public = store.post("december-release-notes", false).await.unwrap().unwrap();
    assert_eq!((public.status, public.published_at), (PostStatus::Published, Some(at)));
    assert!(store.publish_post("pat", "december-release-notes", None).await.is_err(), "published once");

    store.create_post("pat", &input(Some("second"), "Second").validate().unwrap()).await.unwrap();
    store.publish_post("pat", "second", Some(at)).await.unwrap();
    store.unschedule_post("pat", "second").await.unwrap();
    assert!(store.publish_due_posts(datetime!(2027-01-01 00:00 UTC)).await.unwrap().is_empty());
    assert_eq!(store.posts(true, 10).await.unwrap().len(), 2);
    assert_eq!(store.posts(false, 10).await.unwrap().len(), 1);
    assert!(matches!(store.publish_post("pat", "missing", None).await, Err(StoreError::NotFound(_))));
}
