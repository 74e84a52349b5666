//! A JSON body extractor whose errors name the offending field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

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
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the request body is too large")
            } else {
                ApiError::bad_request("cannot read the request body")
            }
        })?;
        decode(&bytes).map(Json)
    }
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
}
