//! The blog: posts written in Markdown through the API (`/api/v1/posts`), published now or at a
//! scheduled moment, and shown on the portal (`/blog`). Markdown is rendered and then sanitized
//! with an allow-list, so a post can carry no script, style or event handler.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use parapet_model::{Permission, Post, PostInput};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::render::{PageResult, fmt_time, page};
use crate::routes::{Routes, get, post};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .api("/api/v1/posts", get(list).post(create))
        .api("/api/v1/posts/{slug}", get(read).put(update))
        .api("/api/v1/posts/{slug}/publish", post(publish).delete(unschedule))
        .page("/blog", get(index))
        .page("/blog/{slug}", get(show))
}

/// Markdown to HTML that is safe to embed: rendered by pulldown-cmark, then cleaned by ammonia
/// (allowed tags and attributes only; links get `rel="noopener noreferrer nofollow"`).
pub fn render_markdown(markdown: &str) -> String {
    let options = pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH;
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new_ext(markdown, options));
    ammonia::Builder::default().link_rel(Some("noopener noreferrer nofollow")).clean(&html).to_string()
}

/// Whether the caller sees drafts and scheduled posts.
fn staff(caller: &Caller) -> bool {
    caller.is_signed_in() && caller.viewer.can(Permission::EditDocuments)
}

/// A post the caller may see and may act on with `permission`: not signed in → 401, not visible
/// (missing, or a draft to someone who does not see drafts) → 404, not allowed → 403.
async fn allowed(state: &AppState, caller: &Caller, slug: &str, permission: Permission) -> ApiResult<Post> {
    if !caller.is_signed_in() {
        return Err(ApiError::unauthenticated());
    }
    let post = state.store.post(slug, staff(caller)).await?.ok_or_else(|| ApiError::not_found("post"))?;
    caller.require(permission)?;
    Ok(post)
}

async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(serde_json::json!({"items": state.store.posts(staff(&caller), 200).await?})))
}

async fn read(State(state): State<AppState>, caller: Caller, Path(slug): Path<String>) -> ApiResult<impl IntoResponse> {
    let post = state.store.post(&slug, staff(&caller)).await?.ok_or_else(|| ApiError::not_found("post"))?;
    Ok(axum::Json(post))
}

async fn create(State(state): State<AppState>, caller: Caller, Json(input): Json<PostInput>) -> ApiResult<Response> {
    caller.require(Permission::EditDocuments)?;
    let post = state.store.create_post(&caller.actor(), &input.validate()?).await?;
    Ok((StatusCode::CREATED, axum::Json(post)).into_response())
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    Json(mut input): Json<PostInput>,
) -> ApiResult<impl IntoResponse> {
    allowed(&state, &caller, &slug, Permission::EditDocuments).await?;
    input.slug.get_or_insert_with(|| slug.clone());
    Ok(axum::Json(state.store.update_post(&caller.actor(), &slug, &input.validate()?).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishInput {
    /// When to publish; now when absent.
    #[serde(default, with = "time::serde::rfc3339::option")]
    at: Option<OffsetDateTime>,
}

async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<impl IntoResponse> {
    allowed(&state, &caller, &slug, Permission::PublishDocuments).await?;
    // The body is optional: none publishes now.
    let input: PublishInput = if body.iter().all(u8::is_ascii_whitespace) {
        PublishInput::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid("at", format!("expected {{\"at\": RFC 3339 time}}: {e}")))?
    };
    let at = input.at.filter(|at| *at > state.clock.now());
    Ok(axum::Json(state.store.publish_post(&caller.actor(), &slug, at).await?))
}

async fn unschedule(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> ApiResult<impl IntoResponse> {
    allowed(&state, &caller, &slug, Permission::PublishDocuments).await?;
    Ok(axum::Json(state.store.unschedule_post(&caller.actor(), &slug).await?))
}

fn card(post: &Post) -> minijinja::Value {
    context! {
        slug => post.slug,
        title => post.title,
        summary => post.summary,
        published => post.published_at.map(fmt_time),
        author => post.author,
    }
}

async fn index(State(state): State<AppState>, caller: Caller) -> PageResult {
    let posts: Vec<_> = state.store.posts(false, 100).await?.iter().map(card).collect();
    page(&state, &caller, "blog.html", "Blog", "blog", context! { posts })
}

async fn show(State(state): State<AppState>, caller: Caller, Path(slug): Path<String>) -> PageResult {
    let post = state.store.post(&slug, false).await?.ok_or_else(|| ApiError::not_found("post"))?;
    let body_html = render_markdown(&post.body);
    page(&state, &caller, "post.html", &post.title, "blog", context! { post => card(&post), body_html })
}

#[cfg(test)]
mod tests {
    use super::render_markdown;

    #[test]
    fn markdown_is_rendered_and_sanitized() {
        let cases = [
            ("# Title\n\nSome *text*.", "<h1>Title</h1>\n<p>Some <em>text</em>.</p>\n"),
            ("<script>alert(1)</script>hello", "hello"),
            ("[x](javascript:alert(1))", "<p><a rel=\"noopener noreferrer nofollow\">x</a></p>\n"),
            ("<img src=x onerror=alert(1)>", "<img src=\"x\">"),
            (
                "[site](https://example.com)",
                "<p><a href=\"https://example.com\" rel=\"noopener noreferrer nofollow\">site</a></p>\n",
            ),
        ];
        for (markdown, html) in cases {
            assert_eq!(render_markdown(markdown), html, "{markdown}");
        }
    }
}
