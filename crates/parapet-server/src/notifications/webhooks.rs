//! Webhooks: endpoint secrets sealed at rest with AES-256-GCM under a key derived from the
//! server's passphrase, and delivering one message to one endpoint — signed per Standard
//! Webhooks, or shaped for Slack, Teams and Matrix — with a timeout, no redirects and the target
//! check on every resolved address. Retries, pausing and dead letters are the worker's
//! (`delivery.rs`).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use parapet_notify::retry::Policy;
use parapet_notify::webhook::Secret;
use parapet_store::{Attempt, ClaimedDelivery};
use sha2::Digest;
use std::time::{Duration, Instant};

use super::delivery::failure;
use crate::error::ApiError;
use crate::state::AppState;

/// The key that seals secrets: SHA-256 of a label and the server's passphrase (servers sharing
/// a database share the passphrase, so each opens what another sealed).
fn cipher(state: &AppState) -> Aes256Gcm {
    let mut hasher = sha2::Sha256::new();
    hasher.update(b"parapet sealed secrets\0");
    hasher.update(state.settings.publisher.key_passphrase.expose().as_bytes());
    Aes256Gcm::new_from_slice(&hasher.finalize()).expect("a 32-byte key")
}

/// Seals a secret: base64 of a random 96-bit nonce and the ciphertext.
pub fn seal(state: &AppState, plaintext: &str) -> String {
    let mut nonce = [0u8; 12];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut nonce);
    let sealed =
        cipher(state).encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes()).expect("AES-GCM seals any length");
    STANDARD.encode([nonce.as_slice(), &sealed].concat())
}

/// Opens a sealed secret; `None` when it was sealed under another passphrase or is damaged.
pub fn open(state: &AppState, sealed: &str) -> Option<String> {
    let bytes = STANDARD.decode(sealed).ok()?;
    let (nonce, ciphertext) = bytes.split_at_checked(12)?;
    let plain = cipher(state).decrypt(Nonce::from_slice(nonce), ciphertext).ok()?;
    String::from_utf8(plain).ok()
}

/// How an endpoint wants its messages: signed JSON (Standard Webhooks) or a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    Standard,
    Slack,
    Teams,
    Matrix,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Standard => "standard",
            WebhookFormat::Slack => "slack",
            WebhookFormat::Teams => "teams",
            WebhookFormat::Matrix => "matrix",
        }
    }
}

impl std::str::FromStr for WebhookFormat {
    type Err = ApiError;
    fn from_str(s: &str) -> Result<WebhookFormat, ApiError> {
        match s {
            "standard" => Ok(WebhookFormat::Standard),
            "slack" => Ok(WebhookFormat::Slack),
            "teams" => Ok(WebhookFormat::Teams),
            "matrix" => Ok(WebhookFormat::Matrix),
            other => Err(ApiError::invalid(
                "format",
                format!("unknown format {other:?}; expected standard, slack, teams or matrix"),
            )),
        }
    }
}

/// The body an endpoint receives: the message with absolute links, or a chat message.
fn body_for(state: &AppState, format: WebhookFormat, payload: &serde_json::Value) -> serde_json::Value {
    let mut payload = payload.clone();
    if let Some(path) = payload["path"].as_str() {
        payload["url"] = state.url(path).into();
    }
    let line = || {
        let title = payload["title"].as_str().or(payload["month"].as_str()).unwrap_or("");
        let kind = payload["type"].as_str().unwrap_or("notification");
        format!("{kind}: {title} {}", payload["url"].as_str().unwrap_or(""))
    };
    match format {
        WebhookFormat::Slack | WebhookFormat::Teams => serde_json::json!({"text": line()}),
        WebhookFormat::Matrix => serde_json::json!({"msgtype": "m.text", "body": line()}),
        WebhookFormat::Standard => payload,
    }
}

/// An HTTP client for webhook deliveries: a timeout, no redirects, and a resolver that refuses
/// names resolving to internal addresses. The check is in the resolver the connection uses, so a
/// name cannot pass a check and then connect elsewhere (DNS rebinding); IP literals are checked
/// with the URL.
pub(crate) fn client(state: &AppState) -> reqwest::Client {
    let resolver = GuardedResolver { allow_internal: state.settings.notifications.allow_internal_targets };
    reqwest::Client::builder()
        .timeout(Duration::from_secs(state.settings.notifications.webhook_timeout_seconds.max(1)))
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        // Through a proxy, the proxy would resolve the name and the resolver below never see it.
        .no_proxy()
        .dns_resolver(std::sync::Arc::new(resolver))
        .user_agent(concat!("parapet/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("an HTTP client")
}

/// Resolves with the system resolver and refuses the name if any address is internal.
struct GuardedResolver {
    allow_internal: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_internal;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addresses: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for address in &addresses {
                parapet_notify::target::check_address(address.ip(), allow)?;
            }
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

/// Delivers one claimed webhook delivery; returns how the attempt went.
pub(crate) async fn deliver(
    state: &AppState,
    client: &reqwest::Client,
    delivery: &ClaimedDelivery,
    policy: &Policy,
) -> Attempt {
    let started = Instant::now();
    let failed = |error: String, status_code: Option<u16>| failure(delivery, policy, started, error, status_code);
    let endpoint = match state.store.endpoint(delivery.target).await {
        Ok(Some(endpoint)) => endpoint,
        Ok(None) => return Attempt::Cancelled { reason: "the endpoint is gone".into() },
        Err(e) => return failed(format!("cannot read the endpoint: {e}"), None),
    };
    // The URL is checked again (the settings may have changed); names are checked as the client
    // resolves them.
    let allow = state.settings.notifications.allow_internal_targets;
    let Ok(url) = parapet_notify::target::check_url(&endpoint.url, allow) else {
        return failed("the endpoint URL is not allowed".into(), None);
    };
    // An endpoint's format was checked when it was registered.
    let format = endpoint.format.parse().unwrap_or(WebhookFormat::Standard);
    let body = body_for(state, format, &delivery.payload).to_string();
    let mut request = client.post(url.as_str()).header("content-type", "application/json");
    if format == WebhookFormat::Standard {
        let mut secrets = Vec::new();
        if let Some(secret) = open(state, &endpoint.sealed_secret).and_then(|s| Secret::parse(&s).ok()) {
            secrets.push(secret);
        }
        let rotating = endpoint.previous_until.is_some_and(|until| until > time::OffsetDateTime::now_utc());
        if rotating
            && let Some(previous) = endpoint
                .sealed_previous_secret
                .as_deref()
                .and_then(|s| open(state, s))
                .and_then(|s| Secret::parse(&s).ok())
        {
            secrets.push(previous);
        }
        if secrets.is_empty() {
            return failed("the endpoint's secret cannot be opened with this server's passphrase".into(), None);
        }
        let refs: Vec<&Secret> = secrets.iter().collect();
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        for (name, value) in parapet_notify::webhook::headers(&delivery.message_id, timestamp, body.as_bytes(), &refs) {
            request = request.header(name, value);
        }
    }
    match request.body(body).send().await {
        Ok(response) if response.status().is_success() => Attempt::Delivered {
            status_code: Some(response.status().as_u16()),
            duration_ms: started.elapsed().as_millis() as i64,
        },
        Ok(response) => failed(format!("HTTP {}", response.status().as_u16()), Some(response.status().as_u16())),
        Err(e) if e.is_timeout() => failed("timed out".into(), None),
        // The chain names the cause: a refused address, a refused connection, a TLS failure.
        Err(e) => failed(format!("cannot deliver: {}", parapet_sync::error_chain(&e)), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::dns::Resolve;

    #[tokio::test]
    async fn the_resolver_refuses_names_of_internal_addresses() {
        let name = |host: &str| host.parse::<reqwest::dns::Name>().unwrap();
        let refused = GuardedResolver { allow_internal: false }.resolve(name("localhost")).await;
        let error = refused.err().expect("localhost is refused").to_string();
        assert!(error.contains("127.0.0.1") || error.contains("::1"), "{error}");
        let allowed = GuardedResolver { allow_internal: true }.resolve(name("localhost")).await.unwrap();
        assert!(allowed.into_iter().any(|a| a.ip().is_loopback()));
    }
}
