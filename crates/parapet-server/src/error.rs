//! The one HTTP error type. Client errors go back as they are, naming the field; internal
//! errors are logged with their cause chain and answered with a generic message and the
//! request id, so that nothing internal (or under embargo) leaks through an error body.
//!
//! API routes answer errors as JSON; page routes render the same errors as pages (see
//! [`render_error_pages`]), so a handler of either kind returns [`ApiError`].

use axum::extract::{FromRequestParts, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use parapet_model::FieldError;
use parapet_store::StoreError;
use serde::Serialize;

use crate::auth::Caller;
use crate::state::AppState;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    internal: Option<anyhow::Error>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

/// What an error response said, kept on the response for the page layer to render.
#[derive(Debug, Clone)]
struct Shown {
    status: StatusCode,
    message: String,
    field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), field: None, internal: None }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError { field: Some(field.into()), ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message) }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "sign in or send Authorization: Bearer TOKEN")
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "your role or token scope does not allow this")
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    pub fn too_many(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    pub fn unsupported_media_type() -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as Content-Type: application/json",
        )
    }

    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> ApiError {
        ApiError {
            internal: Some(error.into()),
            ..ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; the server log has details")
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    /// The field and the message in one line, as a form shows it beside its fields.
    pub fn describe(&self) -> String {
        match &self.field {
            Some(field) => format!("{field}: {}", self.message),
            None => self.message.clone(),
        }
    }

    /// Everything about the error, the internal chain included: for the server's own log when
    /// no response carries it (background work).
    pub fn detail(&self) -> String {
        match &self.internal {
            Some(e) => format!("{e:#}"),
            None => self.describe(),
        }
    }

    /// Logs an internal error once, with its chain.
    fn log(&self) {
        if let Some(e) = &self.internal {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::invalid(e.field, e.message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Invalid(field) => field.into(),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        let body = Body { error: Inner { code: self.code, message: &self.message, field: self.field.as_deref() } };
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response.extensions_mut().insert(Shown { status: self.status, message: self.message, field: self.field });
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Whether a response is an error that was not already shaped by us (axum's own rejections: a
/// method the route lacks, a malformed body).
fn unshaped_error(response: &Response, shaped_type: &[u8]) -> bool {
    let status = response.status();
    let shaped = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(shaped_type));
    (status.is_client_error() || status.is_server_error()) && !shaped && response.extensions().get::<Shown>().is_none()
}

/// Gives every API error the one body shape, including those axum answers by itself.
pub(crate) async fn api_error_shape(response: Response) -> Response {
    if !unshaped_error(&response, b"application/json") {
        return response;
    }
    let status = response.status();
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = status.canonical_reason().unwrap_or("error").to_lowercase();
    let mut shaped = ApiError::new(status, code, message).into_response();
    if let Some(allow) = response.headers().get(header::ALLOW) {
        shaped.headers_mut().insert(header::ALLOW, allow.clone());
    }
    shaped
}

/// Renders the errors of page routes in the console's layout, with the caller's header and
/// navigation; callers who are not signed in are sent to sign in instead of seeing a 401.
pub(crate) async fn render_error_pages(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut saved =
        axum::http::Request::builder().uri(request.uri().clone()).body(()).unwrap_or_default().into_parts().0;
    saved.headers = request.headers().clone();
    let response = next.run(request).await;
    let shown = match response.extensions().get::<Shown>() {
        Some(shown) => shown.clone(),
        None if unshaped_error(&response, b"text/html") => Shown {
            status: response.status(),
            message: response.status().canonical_reason().unwrap_or("error").to_owned(),
            field: None,
        },
        None => return response,
    };
    if shown.status == StatusCode::UNAUTHORIZED {
        return Redirect::to("/login").into_response();
    }
    let caller = Caller::from_request_parts(&mut saved, &state).await.unwrap_or_else(|_| Caller::anonymous());
    let heading = match shown.status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::TOO_MANY_REQUESTS => "Slow down",
        s if s.is_client_error() => "That did not work",
        _ => "Something went wrong",
    };
    let ctx = context! { heading, message => shown.message, field => shown.field };
    match crate::render::page(&state, &caller, "error.html", heading, "", ctx) {
        Ok(mut page) => {
            *page.status_mut() = shown.status;
            page
        }
        Err(_) => response,
    }
}
