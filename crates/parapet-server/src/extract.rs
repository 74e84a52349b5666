//! Extractors every feature shares: where a request comes from, query strings, JSON bodies and
//! console forms with our error shape, and IDs from the path.

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The address a request came from, for rate limits. In-process tests have no socket and
/// count as loopback.
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
        Ok(ClientIp(ip))
    }
}

/// Query strings with our error shape: an unknown or malformed parameter is named.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state).await.map(|Query(v)| Params(v)).map_err(|e| {
            let text = e.body_text();
            let field =
                text.split_once("unknown field `").and_then(|(_, r)| r.split_once('`')).map(|(f, _)| f.to_owned());
            ApiError::invalid(
                field.unwrap_or_else(|| "query".into()),
                text.replace("Failed to deserialize query string: ", ""),
            )
        })
    }
}

/// Like `axum::Json`, but a bad body gets our error shape with the field that is wrong.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
                v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(ApiError::unsupported_media_type());
        }
        let bytes = body(req, state).await?;
        decode(&bytes).map(Json)
    }
}

async fn body<S: Send + Sync>(req: Request, state: &S) -> ApiResult<Bytes> {
    Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large("the request body is too large")
        } else {
            ApiError::bad_request("cannot read the request body")
        }
    })
}

/// Decodes a JSON document into `T`, reporting the path of the first problem.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let message = e.inner().to_string();
        let path = e.path().to_string();
        // Serde names missing and unknown fields only in its message.
        let named = ["missing field `", "unknown field `"]
            .iter()
            .find_map(|p| message.split_once(p).and_then(|(_, rest)| rest.split_once('`')).map(|(f, _)| f.to_owned()));
        let field = match (named, path.as_str()) {
            (Some(f), "." | "") => f,
            (Some(f), p) if p == f || p.ends_with(&format!(".{f}")) => p.to_owned(),
            (Some(f), p) => format!("{p}.{f}"),
            (None, "." | "") => "body".to_owned(),
            (None, p) => p.to_owned(),
        };
        let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
        ApiError::invalid(field, message)
    })?;
    deserializer.end().map_err(|_| ApiError::invalid("body", "trailing characters after the JSON document"))?;
    Ok(value)
}

/// A numeric ID from the path (`42`, or with its prefix, `CASE-42`). A malformed ID names
/// nothing, so it is "not found" like a missing object — but only once an operation has checked
/// that the caller may look at such objects at all, so the permission order holds for it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id(Option<i64>);

impl Id {
    pub fn parse(raw: &str) -> Id {
        Id(raw.trim_start_matches("CASE-").parse().ok())
    }

    pub fn of(id: i64) -> Id {
        Id(Some(id))
    }

    /// The ID, or "`what` not found".
    pub fn get(self, what: &str) -> ApiResult<i64> {
        self.0.ok_or_else(|| ApiError::not_found(what))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(raw) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found("page"))?;
        Ok(Id::parse(&raw))
    }
}

/// A signed-in caller, for console pages; anyone else is sent to sign in.
pub struct SignedIn(pub Caller);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if !caller.is_signed_in() {
            return Err(ApiError::unauthenticated());
        }
        Ok(SignedIn(caller))
    }
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A console form post: the caller is signed in and the form carries the session's CSRF token,
/// both checked here once; `T` is the rest of the form, decoded with the field that is wrong
/// named in the error.
pub struct ConsoleForm<T> {
    pub caller: Caller,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for ConsoleForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (mut parts, body_stream) = req.into_parts();
        let SignedIn(caller) = SignedIn::from_request_parts(&mut parts, state).await?;
        let bytes = body(Request::from_parts(parts, body_stream), state).await?;
        let CsrfField { csrf } = serde_urlencoded::from_bytes(&bytes).unwrap_or(CsrfField { csrf: String::new() });
        caller.check_csrf(&csrf)?;
        let form = form_decode(&bytes)?;
        Ok(ConsoleForm { caller, form })
    }
}

/// A form with nothing in it but its CSRF token (a button).
#[derive(Deserialize)]
pub struct Empty {}

/// A urlencoded public form (no session needed), with the same errors as [`ConsoleForm`].
pub struct PublicForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for PublicForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = body(req, state).await?;
        form_decode(&bytes).map(PublicForm)
    }
}

fn form_decode<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    serde_urlencoded::from_bytes(bytes).map_err(|e| {
        let message = e.to_string();
        let field = message
            .split_once("missing field `")
            .and_then(|(_, rest)| rest.split_once('`'))
            .map_or("form", |(f, _)| f)
            .to_owned();
        ApiError::invalid(field, message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Probe {
        title: String,
        nested: Option<Vec<Inner>>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        n: i64,
    }

    #[test]
    fn errors_name_fields() {
        let cases: [(&str, &str); 6] = [
            (r#"{}"#, "title"),
            (r#"{"title": 1}"#, "title"),
            (r#"{"title": "x", "titel": 1}"#, "titel"),
            (r#"{"title": "x", "nested": [{"n": "no"}]}"#, "nested[0].n"),
            (r#"{"title": "x"} x"#, "body"),
            (r#"not json"#, "body"),
        ];
        for (body, field) in cases {
            let err = decode::<Probe>(body.as_bytes()).unwrap_err();
            assert_eq!(err.field.as_deref(), Some(field), "{body}: {}", err.message);
            assert!(!err.message.contains("line"), "{}", err.message);
        }
    }

    #[test]
    fn ids() {
        assert_eq!(Id::parse("42").get("case").unwrap(), 42);
        assert_eq!(Id::parse("CASE-7").get("case").unwrap(), 7);
        assert_eq!(Id::parse("x").get("case").unwrap_err().status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn form_errors_name_fields() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Form {
            title: String,
            count: u32,
        }
        assert_eq!(form_decode::<Form>(b"count=1").unwrap_err().field.as_deref(), Some("title"));
        assert_eq!(form_decode::<Form>(b"title=x&count=no").unwrap_err().status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}
