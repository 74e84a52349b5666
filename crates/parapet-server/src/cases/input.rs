//! What the cases API and console read from requests and write back beside JSON and pages: the
//! case list's query string, attachment uploads and downloads.

use axum::extract::Multipart;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use parapet_model::{CaseState, Severity};
use parapet_store::{CaseQuery, CaseSort, NewAttachment};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The case list's query string, shared with the console's list.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CaseListParams {
    pub state: Option<String>,
    pub severity: Option<String>,
    pub product: Option<i64>,
    pub q: Option<String>,
    pub sort: Option<String>,
    pub order: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Which way a list is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
}

impl std::str::FromStr for Order {
    type Err = parapet_model::FieldError;
    fn from_str(s: &str) -> Result<Order, Self::Err> {
        match s {
            "asc" => Ok(Order::Ascending),
            "desc" => Ok(Order::Descending),
            other => {
                Err(parapet_model::FieldError::new("order", format!("unknown order {other:?}; expected asc or desc")))
            }
        }
    }
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl CaseListParams {
    pub fn to_query(&self) -> ApiResult<CaseQuery> {
        let states = match given(&self.state) {
            Some(list) => list.split(',').map(|s| s.trim().parse::<CaseState>()).collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let severity = given(&self.severity).map(str::parse::<Severity>).transpose()?;
        let sort = given(&self.sort).map(CaseSort::parse).transpose()?.unwrap_or_default();
        let ascending = match given(&self.order).map(str::parse::<Order>).transpose()? {
            Some(order) => order == Order::Ascending,
            None => sort == CaseSort::Title,
        };
        let per_page = self.per_page.unwrap_or(50);
        if !(1..=500).contains(&per_page) {
            return Err(ApiError::invalid("per_page", "must be between 1 and 500"));
        }
        Ok(CaseQuery {
            states,
            severity,
            product_id: self.product,
            text: given(&self.q).map(str::to_owned),
            sort,
            ascending,
            page: self.page.unwrap_or(1).max(1),
            per_page,
        })
    }
}

/// Reads the `file` part of a multipart upload, within the configured size, and the `csrf`
/// part a console form sends beside it.
pub(crate) async fn read_upload(
    state: &AppState,
    mut multipart: Multipart,
) -> ApiResult<(NewAttachment, Option<String>)> {
    let limit = state.settings.intake.max_attachment_bytes;
    let malformed = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(format!("malformed upload: {}", e.body_text()))
    };
    let mut file = None;
    let mut csrf = None;
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        match field.name() {
            Some("file") => {
                let filename = field.file_name().unwrap_or("attachment").to_owned();
                let filename =
                    parapet_model::validate::required_text("file", &filename.replace(['/', '\\'], "_"), 255)?;
                let content_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
                let mut content = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                    if content.len() + chunk.len() > limit {
                        return Err(
                            ApiError::too_large(format!("attachments are limited to {limit} bytes")).with_field("file")
                        );
                    }
                    content.extend_from_slice(&chunk);
                }
                if content.is_empty() {
                    return Err(ApiError::invalid("file", "the file is empty"));
                }
                let sha256 = hex::encode(Sha256::digest(&content));
                file = Some(NewAttachment { filename, content_type, sha256, content });
            }
            Some("csrf") => csrf = Some(field.text().await.unwrap_or_default()),
            _ => {}
        }
    }
    Ok((file.ok_or_else(|| ApiError::invalid("file", "no file was sent in the \"file\" field"))?, csrf))
}

/// An uploaded file, as a download that no browser renders as a page of ours.
pub(crate) fn attachment_response(attachment: parapet_store::Attachment, content: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", attachment.filename.replace(['"', '\r', '\n'], "_"));
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        content,
    )
        .into_response()
}
