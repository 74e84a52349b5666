//! Public feeds: `/feed.atom` and `/feed.rss` list published bulletins, advisories and blog posts,
//! newest first, narrowed by `kind`, `product` and minimum `severity`. An entry keeps its ID
//! across revisions (the document's or post's URL) and carries the time of its latest revision,
//! so readers update it rather than add a new one. Conditional GET as for the provider directory.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use parapet_model::{DocumentKind, Severity, Viewer};
use parapet_store::DocumentQuery;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::documents::provider::Served;
use crate::error::{ApiError, ApiResult};
use crate::extract::Params;
use crate::routes::{Routes, get};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new().file("/feed.atom", get(atom)).file("/feed.rss", get(rss))
}

/// How many entries a feed carries.
const ENTRIES: usize = 50;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedParams {
    /// `bulletin`, `advisory`, `blog` or `notice` (advance notification), comma-separated; all
    /// when absent.
    pub kind: Option<String>,
    /// Words of a product name: only documents about it (posts and notices are left out).
    pub product: Option<String>,
    /// The least severity of documents (posts and notices are left out).
    pub severity: Option<String>,
}

/// One entry, whatever it came from.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub title: String,
    pub link: String,
    pub summary: String,
    pub category: String,
    pub published: OffsetDateTime,
    pub updated: OffsetDateTime,
}

/// The entries the parameters select, newest first.
pub async fn entries(state: &AppState, params: &FeedParams) -> ApiResult<Vec<Entry>> {
    let kinds: Vec<String> = match params.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(list) => list.split(',').map(|k| k.trim().to_owned()).collect(),
        None => vec!["bulletin".into(), "advisory".into(), "blog".into(), "notice".into()],
    };
    for kind in &kinds {
        if !matches!(kind.as_str(), "bulletin" | "advisory" | "blog" | "notice") {
            return Err(ApiError::invalid(
                "kind",
                format!("unknown kind {kind:?}: expected bulletin, advisory, blog or notice"),
            ));
        }
    }
    let minimum = params.severity.as_deref().filter(|s| !s.is_empty()).map(str::parse::<Severity>).transpose()?;
    let product = params.product.clone().filter(|p| !p.trim().is_empty());
    let mut entries = Vec::new();
    for kind in [DocumentKind::Bulletin, DocumentKind::Advisory] {
        if !kinds.iter().any(|k| k == kind.as_str()) {
            continue;
        }
        // Feeds are public: they read as an outsider, whoever asks.
        let query =
            DocumentQuery { kind: Some(kind), product: product.clone(), page: 1, per_page: 500, ..Default::default() };
        let found = state.store.published_documents(&Viewer::Anonymous, &query).await?;
        for publication in found.items {
            if minimum.is_some_and(|minimum| publication.severity.is_none_or(|s| s < minimum)) {
                continue;
            }
            let severity = publication.severity.map(|s| format!(" ({})", s.label())).unwrap_or_default();
            entries.push(Entry {
                id: state.url(&format!("/documents/{}", publication.document_id)),
                title: format!("{}: {}", publication.document_id, publication.title),
                link: state.url(&format!("/documents/{}", publication.document_id)),
                summary: format!(
                    "{} {}{severity}, version {}{}.",
                    match kind {
                        DocumentKind::Bulletin => "Security bulletin",
                        DocumentKind::Advisory => "Security advisory",
                    },
                    publication.document_id,
                    publication.version,
                    if publication.status == "active" { String::new() } else { format!(", {}", publication.status) }
                ),
                category: kind.as_str().to_owned(),
                published: publication.initial_release,
                updated: publication.current_release,
            });
        }
    }
    if kinds.iter().any(|k| k == "blog") && product.is_none() && minimum.is_none() {
        for post in state.store.posts(false, ENTRIES as u32).await? {
            let published = post.published_at.unwrap_or(post.updated_at);
            entries.push(Entry {
                id: state.url(&format!("/blog/{}", post.slug)),
                title: post.title,
                link: state.url(&format!("/blog/{}", post.slug)),
                summary: post.summary,
                category: "blog".into(),
                published,
                updated: post.updated_at.max(published),
            });
        }
    }
    if kinds.iter().any(|k| k == "notice") && product.is_none() && minimum.is_none() {
        for notice in state.store.advance_notices(12).await? {
            let month = &notice.summary.month;
            entries.push(Entry {
                id: state.url(&format!("/advance-notification/{month}")),
                title: format!("Advance notification for the {month} security release"),
                link: state.url(&format!("/advance-notification/{month}")),
                summary: crate::releases::advance::describe(&notice),
                category: "notice".into(),
                published: notice.published_at,
                updated: notice.published_at,
            });
        }
    }
    entries.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.id.cmp(&b.id)));
    entries.truncate(ENTRIES);
    Ok(entries)
}

fn title(state: &AppState) -> String {
    format!("{} security updates", state.settings.publisher.name)
}

fn chrono_time(t: OffsetDateTime) -> atom_syndication::FixedDateTime {
    let seconds = t.unix_timestamp();
    chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default().fixed_offset()
}

async fn atom(
    State(state): State<AppState>,
    headers: HeaderMap,
    Params(params): Params<FeedParams>,
) -> ApiResult<Response> {
    let entries = entries(&state, &params).await?;
    let updated = entries.iter().map(|e| e.updated).max();
    let feed = atom_syndication::Feed {
        title: title(&state).into(),
        id: state.url("/feed.atom"),
        updated: chrono_time(updated.unwrap_or(OffsetDateTime::UNIX_EPOCH)),
        links: vec![atom_syndication::Link { href: state.url("/feed.atom"), rel: "self".into(), ..Default::default() }],
        entries: entries
            .iter()
            .map(|e| atom_syndication::Entry {
                id: e.id.clone(),
                title: e.title.clone().into(),
                updated: chrono_time(e.updated),
                published: Some(chrono_time(e.published)),
                links: vec![atom_syndication::Link {
                    href: e.link.clone(),
                    rel: "alternate".into(),
                    ..Default::default()
                }],
                summary: Some(e.summary.clone().into()),
                categories: vec![atom_syndication::Category { term: e.category.clone(), ..Default::default() }],
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    Ok(Served::new(feed.to_string(), "application/atom+xml; charset=utf-8", updated).respond(&headers))
}

async fn rss(
    State(state): State<AppState>,
    headers: HeaderMap,
    Params(params): Params<FeedParams>,
) -> ApiResult<Response> {
    let entries = entries(&state, &params).await?;
    let updated = entries.iter().map(|e| e.updated).max();
    let items: Vec<rss::Item> = entries
        .iter()
        .map(|e| rss::Item {
            title: Some(e.title.clone()),
            link: Some(e.link.clone()),
            description: Some(e.summary.clone()),
            guid: Some(rss::Guid { value: e.id.clone(), permalink: true }),
            pub_date: Some(chrono_time(e.updated).to_rfc2822()),
            categories: vec![rss::Category { name: e.category.clone(), domain: None }],
            ..Default::default()
        })
        .collect();
    let channel = rss::Channel {
        title: title(&state),
        link: state.url("/security-updates"),
        description: format!("Security bulletins, advisories and posts from {}", state.settings.publisher.name),
        last_build_date: updated.map(|t| chrono_time(t).to_rfc2822()),
        items,
        ..Default::default()
    };
    Ok(Served::new(channel.to_string(), "application/rss+xml; charset=utf-8", updated).respond(&headers))
}
