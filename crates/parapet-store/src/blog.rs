//! Blog posts: drafts, scheduled publication (claimed by one server), published posts. Public
//! reads see published posts only.

use parapet_model::{FieldError, Post, PostFields, PostStatus};
use sqlx::{Any, AnyConnection, Row};
use time::OffsetDateTime;

use crate::audit::{Audit, append};
use crate::{Store, StoreError, from_ms, now_ms, to_ms};
use parapet_model::AuditAction;

const COLUMNS: &str = "slug, title, summary, body, status, publish_at, published_at, author, updated_at";

impl Store {
    /// Writes a new draft.
    pub async fn create_post(&self, actor: &str, fields: &PostFields) -> Result<Post, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        sqlx::query::<Any>(
            "INSERT INTO blog_posts (slug, title, summary, body, status, author, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'draft', $5, $6, $6)",
        )
        .bind(&fields.slug)
        .bind(&fields.title)
        .bind(&fields.summary)
        .bind(&fields.body)
        .bind(actor)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "slug", format!("a post at /blog/{} already exists", fields.slug)))?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::PostCreate,
                entity_id: Some(fields.slug.clone()),
                before: None,
                after: Some(view(fields)),
            },
        )
        .await?;
        let post = post_in(&mut tx, &fields.slug).await?.ok_or(StoreError::NotFound("post"))?;
        tx.commit().await?;
        Ok(post)
    }

    /// Replaces a post's text (its slug stays: links to it must keep working).
    pub async fn update_post(&self, actor: &str, slug: &str, fields: &PostFields) -> Result<Post, StoreError> {
        if fields.slug != slug {
            return Err(FieldError::new("slug", "a post's slug cannot change").into());
        }
        let mut tx = self.write_tx().await?;
        let before = post_in(&mut tx, slug).await?.ok_or(StoreError::NotFound("post"))?;
        sqlx::query::<Any>(
            "UPDATE blog_posts SET title = $1, summary = $2, body = $3, updated_at = $4 WHERE slug = $5",
        )
        .bind(&fields.title)
        .bind(&fields.summary)
        .bind(&fields.body)
        .bind(now_ms())
        .bind(slug)
        .execute(&mut *tx)
        .await?;
        let before_view = serde_json::json!({"title": before.title, "summary": before.summary, "body": before.body});
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::PostUpdate,
                entity_id: Some(slug.to_owned()),
                before: Some(before_view),
                after: Some(view(fields)),
            },
        )
        .await?;
        let post = post_in(&mut tx, slug).await?.ok_or(StoreError::NotFound("post"))?;
        tx.commit().await?;
        Ok(post)
    }

    /// Publishes now (`at` is `None`) or schedules for `at`; a published post stays published.
    pub async fn publish_post(&self, actor: &str, slug: &str, at: Option<OffsetDateTime>) -> Result<Post, StoreError> {
        let mut tx = self.write_tx().await?;
        let post = post_in(&mut tx, slug).await?.ok_or(StoreError::NotFound("post"))?;
        if post.status == PostStatus::Published {
            return Err(FieldError::new("status", "the post is already published").into());
        }
        match at {
            Some(at) => {
                sqlx::query::<Any>(
                    "UPDATE blog_posts SET status = 'scheduled', publish_at = $1, updated_at = $2 WHERE slug = $3",
                )
                .bind(to_ms(at))
                .bind(now_ms())
                .bind(slug)
                .execute(&mut *tx)
                .await?;
                append(
                    &mut tx,
                    Audit {
                        actor,
                        action: AuditAction::PostSchedule,
                        entity_id: Some(slug.to_owned()),
                        before: None,
                        after: Some(serde_json::json!({"at": to_ms(at)})),
                    },
                )
                .await?;
            }
            None => publish_in(&mut tx, actor, slug, now_ms()).await?,
        }
        let post = post_in(&mut tx, slug).await?.ok_or(StoreError::NotFound("post"))?;
        tx.commit().await?;
        Ok(post)
    }

    /// Back to a draft: a scheduled post is unscheduled. Published posts stay published.
    pub async fn unschedule_post(&self, actor: &str, slug: &str) -> Result<Post, StoreError> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query::<Any>(
            "UPDATE blog_posts SET status = 'draft', publish_at = NULL, updated_at = $1 WHERE slug = $2 AND status = 'scheduled'",
        )
        .bind(now_ms())
        .bind(slug)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(FieldError::new("status", "the post is not scheduled").into());
        }
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::PostUnschedule,
                entity_id: Some(slug.to_owned()),
                before: None,
                after: None,
            },
        )
        .await?;
        let post = post_in(&mut tx, slug).await?.ok_or(StoreError::NotFound("post"))?;
        tx.commit().await?;
        Ok(post)
    }

    /// Publishes the scheduled posts due at `now`, each claimed by exactly one server, dated at
    /// their scheduled time (also when the server was down across it). Returns their slugs.
    pub async fn publish_due_posts(&self, now: OffsetDateTime) -> Result<Vec<String>, StoreError> {
        let mut done = Vec::new();
        loop {
            let mut tx = self.write_tx().await?;
            let claimed = sqlx::query::<Any>(&format!(
                "SELECT slug, publish_at FROM blog_posts WHERE status = 'scheduled' AND publish_at <= $1 \
                 ORDER BY publish_at, slug LIMIT 1{}",
                self.backend.claim_suffix()
            ))
            .bind(to_ms(now))
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = claimed else {
                tx.rollback().await?;
                return Ok(done);
            };
            let slug: String = row.try_get("slug")?;
            let at: i64 = row.try_get("publish_at")?;
            publish_in(&mut tx, "scheduler", &slug, at).await?;
            tx.commit().await?;
            done.push(slug);
        }
    }

    /// One post; drafts and scheduled posts only when `staff`.
    pub async fn post(&self, slug: &str, staff: bool) -> Result<Option<Post>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let post = post_in(&mut conn, slug).await?;
        Ok(post.filter(|p| staff || p.status == PostStatus::Published))
    }

    /// Posts, newest first: published ones, or every post when `staff`.
    pub async fn posts(&self, staff: bool, limit: u32) -> Result<Vec<Post>, StoreError> {
        let filter = if staff { "1 = 1" } else { "status = 'published'" };
        let rows = sqlx::query::<Any>(&format!(
            "SELECT {COLUMNS} FROM blog_posts WHERE {filter} \
             ORDER BY COALESCE(published_at, publish_at, updated_at) DESC, slug LIMIT $1"
        ))
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(post_row).collect()
    }
}

async fn publish_in(conn: &mut AnyConnection, actor: &str, slug: &str, at: i64) -> Result<(), StoreError> {
    if let Some(post) = post_in(conn, slug).await? {
        let message = crate::outbox::OutboxMessage {
            id: format!("evt_post_{slug}"),
            kind: "post.published".into(),
            severity: None,
            products: Vec::new(),
            payload: serde_json::json!({
                "type": "post.published",
                "slug": slug,
                "title": post.title,
                "summary": post.summary,
                "path": format!("/blog/{slug}"),
                "published_at": at / 1000,
            }),
        };
        crate::outbox::enqueue(conn, &message).await?;
    }
    sqlx::query::<Any>(
        "UPDATE blog_posts SET status = 'published', published_at = $1, publish_at = NULL, updated_at = $2 WHERE slug = $3",
    )
    .bind(at)
    .bind(now_ms())
    .bind(slug)
    .execute(&mut *conn)
    .await?;
    append(
        conn,
        Audit {
            actor,
            action: AuditAction::PostPublish,
            entity_id: Some(slug.to_owned()),
            before: None,
            after: Some(serde_json::json!({"published_at": at})),
        },
    )
    .await
}

async fn post_in(conn: &mut AnyConnection, slug: &str) -> Result<Option<Post>, StoreError> {
    let row = sqlx::query::<Any>(&format!("SELECT {COLUMNS} FROM blog_posts WHERE slug = $1"))
        .bind(slug)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(post_row).transpose()
}

/// A `blog_posts` row as stored.
#[derive(sqlx::FromRow)]
struct PostRow {
    slug: String,
    title: String,
    summary: String,
    body: String,
    status: String,
    publish_at: Option<i64>,
    published_at: Option<i64>,
    author: String,
    updated_at: i64,
}

fn post_row(row: &sqlx::any::AnyRow) -> Result<Post, StoreError> {
    let row = <PostRow as sqlx::FromRow<_>>::from_row(row)?;
    let status = row.status;
    Ok(Post {
        slug: row.slug,
        title: row.title,
        summary: row.summary,
        body: row.body,
        status: PostStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("post status {status:?}")))?,
        publish_at: row.publish_at.map(from_ms),
        published_at: row.published_at.map(from_ms),
        author: row.author,
        updated_at: from_ms(row.updated_at),
    })
}

fn view(fields: &PostFields) -> serde_json::Value {
    serde_json::json!({"title": fields.title, "summary": fields.summary, "body": fields.body})
}
