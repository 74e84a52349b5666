//! Who is calling: API tokens, browser sessions, passwords, CSRF and sign-in throttling.
//!
//! Secrets (passwords, session cookies, API tokens, setup and tracking links) are random
//! strings handed out once; only argon2 hashes (passwords) or SHA-256 digests (the rest)
//! are stored.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use base64::Engine;
use parapet_model::{Permission, Viewer};
use parapet_store::User;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "parapet_session";
/// Double-submit cookie protecting the sign-in form, which has no session yet.
pub const LOGIN_CSRF_COOKIE: &str = "parapet_login_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const TOKEN_PREFIX: &str = "ppt_";

/// A fresh random secret: 256 bits, URL-safe.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn new_api_token() -> String {
    format!("{TOKEN_PREFIX}{}", new_secret())
}

/// The digest under which a secret is stored.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::internal(anyhow::anyhow!("password hashing failed: {e}")))
}

/// Checks a password against a stored hash. With no hash, a dummy hash is still checked so
/// that unknown and known user names take the same time.
pub async fn verify_password(hash: Option<String>, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        const DUMMY: &str =
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4ZqQ+0FlWg2dD3wXGjEWN9Sw7XQ2zkVQe8xFvWYQpHE";
        let stored = hash.as_deref().unwrap_or(DUMMY);
        let Ok(parsed) = PasswordHash::new(stored) else { return false };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && hash.is_some()
    })
    .await
    .unwrap_or(false)
}

/// Checks the rules for a new password.
pub fn check_password(password: &str) -> Result<(), ApiError> {
    let len = password.chars().count();
    if len < 10 {
        return Err(ApiError::invalid("password", format!("is {len} characters long; use at least 10")));
    }
    if len > 1024 {
        return Err(ApiError::invalid("password", "is longer than 1024 characters"));
    }
    Ok(())
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Nothing,
    Session,
    Token,
}

/// The caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub viewer: Viewer,
    pub user: Option<User>,
    pub via: Via,
    /// The session's CSRF token, for forms.
    pub csrf: Option<String>,
}

impl Caller {
    pub fn anonymous() -> Caller {
        Caller { viewer: Viewer::Anonymous, user: None, via: Via::Nothing, csrf: None }
    }

    /// Fails with 401 for anonymous callers and 403 for those without the permission.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.via == Via::Nothing {
            return Err(ApiError::unauthenticated());
        }
        if self.viewer.can(permission) { Ok(()) } else { Err(ApiError::forbidden()) }
    }

    pub fn is_signed_in(&self) -> bool {
        self.via != Via::Nothing
    }

    pub fn actor(&self) -> String {
        self.viewer.actor_name()
    }

    /// Checks a form's CSRF token against the session's.
    pub fn check_csrf(&self, provided: &str) -> Result<(), ApiError> {
        match &self.csrf {
            Some(expected) if constant_time_eq(expected.as_bytes(), provided.as_bytes()) => Ok(()),
            _ => Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "csrf",
                "the form has expired; reload the page and try again",
            )),
        }
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let caller = identify(parts, state).await?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

async fn identify(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim).ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "the Authorization header must be \"Bearer TOKEN\"",
            )
        })?;
        let Some((token, user)) = state.store.use_token(&digest(token)).await? else {
            return Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "the token is unknown or revoked",
            ));
        };
        let viewer =
            Viewer::Staff { user_id: user.id, name: user.name.clone(), role: user.role, scopes: Some(token.scopes) };
        return Ok(Caller { viewer, user: Some(user), via: Via::Token, csrf: None });
    }
    if let Some(secret) = cookie(&parts.headers, SESSION_COOKIE)
        && let Some(session) = state.store.session(&digest(secret)).await?
    {
        let user = session.user;
        let viewer = Viewer::Staff { user_id: user.id, name: user.name.clone(), role: user.role, scopes: None };
        let caller = Caller { viewer, user: Some(user), via: Via::Session, csrf: Some(session.csrf_token) };
        // A cookie rides along with any cross-site request, so the API asks for proof
        // that the page making an unsafe call is ours.
        let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if unsafe_method && parts.uri.path().starts_with("/api/") {
            let header = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            caller.check_csrf(header)?;
        }
        return Ok(caller);
    }
    Ok(Caller::anonymous())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(Some(hash.clone()), "correct horse battery".into()).await);
        assert!(!verify_password(Some(hash), "wrong".into()).await);
        assert!(!verify_password(None, "anything".into()).await);
        assert!(check_password("short").is_err());
    }

    #[test]
    fn secrets_are_unique_and_digested() {
        let (a, b) = (new_api_token(), new_api_token());
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() > 40);
        assert_eq!(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(constant_time_eq(b"x", b"x") && !constant_time_eq(b"x", b"y") && !constant_time_eq(b"x", b"xy"));
    }
}
