//! The CSAF trusted provider directory under `/.well-known/csaf/` (CSAF 2.0 section 7.1), read
//! from the published revisions in the store: every server sharing the database serves the same
//! directory, and a document and its hashes, signature and index entries appear in one commit or
//! not at all.
//!
//! TLP:WHITE and unlabeled documents are public; TLP:GREEN, AMBER and RED ones are served only to
//! callers who may see documents, and are "not found" to everyone else.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use parapet_model::{Permission, Publication};
use parapet_provider::directory::{self, Digests, Entry, Label, Provider};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use super::publishing;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::routes::{Routes, get};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .file("/.well-known/csaf", get(root))
        .file("/.well-known/csaf/", get(root))
        .file("/.well-known/csaf/{*path}", get(file))
}

fn provider(state: &AppState, fingerprint: &str) -> Provider {
    let publish = state.settings.publish_settings();
    Provider {
        base_url: state.url("/.well-known/csaf"),
        publisher_category: state.settings.publisher.category.clone(),
        publisher_name: publish.publisher_name,
        publisher_namespace: publish.publisher_namespace,
        publisher_contact_details: publish.contact_details,
        fingerprint: fingerprint.to_owned(),
    }
}

/// A file as served: its body, type and the validators for conditional requests.
pub(crate) struct Served {
    body: Vec<u8>,
    content_type: &'static str,
    last_modified: Option<OffsetDateTime>,
}

impl Served {
    pub(crate) fn new(
        body: impl Into<Vec<u8>>,
        content_type: &'static str,
        last_modified: Option<OffsetDateTime>,
    ) -> Served {
        Served { body: body.into(), content_type, last_modified }
    }

    fn json(value: &serde_json::Value, last_modified: Option<OffsetDateTime>) -> Served {
        let text = serde_json::to_string_pretty(value).unwrap_or_default();
        Served::new(text, "application/json", last_modified)
    }

    /// Answers with the body, or `304 Not Modified` when the client's copy is current.
    pub(crate) fn respond(self, request: &HeaderMap) -> Response {
        let etag = format!("\"{}\"", &Digests::of(&self.body).sha256[..32]);
        let last_modified = self.last_modified.map(|t| t.replace_nanosecond(0).unwrap_or(t));
        let not_modified = match request.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
            Some(tags) => tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
            None => match (request.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()), last_modified) {
                (Some(since), Some(modified)) => {
                    OffsetDateTime::parse(since, &Rfc2822).is_ok_and(|since| modified <= since)
                }
                _ => false,
            },
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex is a valid header"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        if let Some(modified) = last_modified.and_then(http_date) {
            headers.insert(header::LAST_MODIFIED, modified);
        }
        if not_modified {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        (headers, self.body).into_response()
    }
}

fn http_date(at: OffsetDateTime) -> Option<HeaderValue> {
    let at = at.to_offset(time::UtcOffset::UTC);
    let text = at
        .format(&time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ))
        .ok()?;
    HeaderValue::from_str(&text).ok()
}

fn entry(p: &Publication) -> Option<Entry> {
    Some(Entry {
        tracking_id: p.document_id.clone(),
        title: p.title.clone(),
        label: p.label.parse().ok()?,
        path: p.path.clone(),
        initial_release: p.initial_release,
        current_release: p.current_release,
        category: p.category.clone(),
    })
}

fn may_read(caller: &Caller, label: Label) -> bool {
    label.is_public() || caller.viewer.can(Permission::ViewDocuments)
}

/// The labels with documents the caller may read.
async fn labels(state: &AppState, caller: &Caller) -> ApiResult<(Vec<Label>, Option<OffsetDateTime>)> {
    let (names, latest) = state.store.provider_labels().await?;
    let labels = names.iter().filter_map(|n| n.parse().ok()).filter(|l| may_read(caller, *l)).collect();
    Ok((labels, latest))
}

async fn root(State(state): State<AppState>, caller: Caller, headers: HeaderMap) -> ApiResult<Response> {
    let (labels, latest) = labels(&state, &caller).await?;
    let mut names: Vec<String> = vec!["provider-metadata.json".into(), "service.json".into(), "openpgp/".into()];
    let mut folders: Vec<Label> = labels;
    folders.push(Label::White);
    folders.sort_unstable();
    folders.dedup();
    names.extend(folders.iter().map(|l| format!("{}/", l.folder())));
    Ok(listing("/.well-known/csaf/", &names, latest).respond(&headers))
}

async fn file(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let key = publishing::signing_key(&state).await.map_err(ApiError::internal)?;
    let provider = provider(&state, key.fingerprint());
    let segments: Vec<&str> = path.split('/').collect();
    let served = match segments.as_slice() {
        ["provider-metadata.json"] => {
            let (labels, latest) = labels(&state, &caller).await?;
            let updated = latest.unwrap_or(OffsetDateTime::UNIX_EPOCH);
            Served::json(&provider.metadata(&labels, updated), latest)
        }
        ["service.json"] => {
            let (labels, latest) = labels(&state, &caller).await?;
            Served::json(&provider.service(&labels), latest)
        }
        ["openpgp", ""] => listing("/.well-known/csaf/openpgp/", &[format!("{}.asc", key.fingerprint())], None),
        ["openpgp", name] if *name == format!("{}.asc", key.fingerprint()) => {
            Served::new(key.armored_public().map_err(ApiError::internal)?, "application/pgp-keys", None)
        }
        [folder, rest @ ..] => {
            let label = Label::from_folder(folder).filter(|l| may_read(&caller, *l)).ok_or_else(not_found)?;
            folder_file(&state, &provider, label, rest).await?
        }
        [] => return Err(not_found()),
    };
    Ok(served.respond(&headers))
}

fn not_found() -> ApiError {
    ApiError::not_found("file")
}

async fn folder_file(state: &AppState, provider: &Provider, label: Label, rest: &[&str]) -> ApiResult<Served> {
    let entries_of = || async {
        let rows = state.store.provider_entries(label.as_str()).await?;
        let latest = rows.iter().map(|p| p.current_release).max();
        ApiResult::Ok((rows.iter().filter_map(entry).collect::<Vec<_>>(), latest))
    };
    let (feed_name, category_name) = (label.feed_file(), label.category_file());
    Ok(match rest {
        [] | [""] => {
            let (entries, latest) = entries_of().await?;
            let mut years: Vec<String> =
                entries.iter().filter_map(|e| e.path.split('/').next()).map(|y| format!("{y}/")).collect();
            years.sort_unstable();
            years.dedup();
            years.reverse();
            let mut names = vec!["index.txt".into(), "changes.csv".into(), feed_name, category_name];
            names.extend(years);
            listing(&format!("/.well-known/csaf/{}/", label.folder()), &names, latest)
        }
        ["index.txt"] => {
            let (entries, latest) = entries_of().await?;
            Served::new(directory::index_txt(&entries), "text/plain; charset=utf-8", latest)
        }
        ["changes.csv"] => {
            let (entries, latest) = entries_of().await?;
            Served::new(directory::changes_csv(&entries), "text/csv; charset=utf-8", latest)
        }
        [name] if *name == feed_name => {
            let (entries, latest) = entries_of().await?;
            Served::json(&provider.feed(label, &entries, latest.unwrap_or(OffsetDateTime::UNIX_EPOCH)), latest)
        }
        [name] if *name == category_name => {
            let (entries, latest) = entries_of().await?;
            Served::json(&directory::category_document(&entries), latest)
        }
        [year, ""] => {
            let (entries, latest) = entries_of().await?;
            let prefix = format!("{year}/");
            let mut names: Vec<String> = Vec::new();
            for e in entries.iter().filter(|e| e.path.starts_with(&prefix)) {
                let file = &e.path[prefix.len()..];
                names.extend([
                    file.to_owned(),
                    format!("{file}.asc"),
                    format!("{file}.sha256"),
                    format!("{file}.sha512"),
                ]);
            }
            if names.is_empty() {
                return Err(not_found());
            }
            listing(&format!("/.well-known/csaf/{}/{year}/", label.folder()), &names, latest)
        }
        [year, name] => {
            let (document, suffix) = match name.rsplit_once(".json") {
                Some((stem, suffix)) => (format!("{year}/{stem}.json"), suffix),
                None => return Err(not_found()),
            };
            let found = state.store.provider_file(label.as_str(), &document).await?.ok_or_else(not_found)?;
            let file_name = document.rsplit('/').next().unwrap_or_default();
            let modified = Some(found.current_release);
            match suffix {
                "" => Served::new(found.csaf, "application/json", modified),
                ".asc" => Served::new(found.signature, "application/pgp-signature", modified),
                ".sha256" => {
                    Served::new(directory::hash_file(&found.sha256, file_name), "text/plain; charset=utf-8", modified)
                }
                ".sha512" => {
                    Served::new(directory::hash_file(&found.sha512, file_name), "text/plain; charset=utf-8", modified)
                }
                _ => return Err(not_found()),
            }
        }
        _ => return Err(not_found()),
    })
}

/// A plain HTML directory listing (CSAF requirement 14); names are escaped.
fn listing(path: &str, names: &[String], latest: Option<OffsetDateTime>) -> Served {
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let mut html = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Index of {0}</title></head><body>\n<h1>Index of {0}</h1>\n<ul>\n",
        escape(path)
    );
    if path != "/.well-known/csaf/" {
        html.push_str("<li><a href=\"../\">../</a></li>\n");
    }
    for name in names {
        html.push_str(&format!("<li><a href=\"{0}\">{0}</a></li>\n", escape(name)));
    }
    html.push_str("</ul>\n</body></html>\n");
    Served::new(html, "text/html; charset=utf-8", latest)
}
