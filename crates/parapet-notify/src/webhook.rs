//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>): each message carries
//! `webhook-id` (stable across retries, so receivers drop duplicates), `webhook-timestamp`
//! (seconds since the epoch) and `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of
//! `{id}.{timestamp}.{body}` under the endpoint's secret. During a secret rotation a message is
//! signed with both the new and the old secret, space-separated, so receivers on either verify.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of an endpoint secret as the specification writes it.
pub const SECRET_PREFIX: &str = "whsec_";

/// A secret that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a webhook secret is \"whsec_\" followed by base64 of 24 to 64 bytes")]
pub struct BadSecret;

/// An endpoint secret: 32 random bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// A new random secret (the thread's generator: ChaCha seeded from the operating system).
    pub fn generate() -> Secret {
        let mut bytes = vec![0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        Secret(bytes)
    }

    /// Reads `whsec_…` (the prefix may be left out).
    pub fn parse(text: &str) -> Result<Secret, BadSecret> {
        let encoded = text.trim().strip_prefix(SECRET_PREFIX).unwrap_or(text.trim());
        let bytes = STANDARD.decode(encoded).map_err(|_| BadSecret)?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(BadSecret);
        }
        Ok(Secret(bytes))
    }

    /// `whsec_` and the base64 of the key: how it is shown to the endpoint's owner once.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The three headers of a signed message, signed with every secret given (the current one
/// first, then one being rotated out).
pub fn headers(id: &str, timestamp: i64, body: &[u8], secrets: &[&Secret]) -> [(&'static str, String); 3] {
    let signatures: Vec<String> = secrets.iter().map(|s| s.sign(id, timestamp, body)).collect();
    [
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signatures.join(" ")),
    ]
}

/// Why a received message does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the timestamp is more than {0} seconds away from now")]
    Stale(i64),
    #[error("no signature matches")]
    NoMatch,
}

/// Checks a message as a receiver would: a timestamp within `tolerance` seconds of `now` and a
/// `v1` signature by `secret`, compared in constant time.
pub fn verify(
    secret: &Secret,
    id: &str,
    timestamp: i64,
    body: &[u8],
    signature_header: &str,
    now: i64,
    tolerance: i64,
) -> Result<(), VerifyError> {
    if (now - timestamp).abs() > tolerance {
        return Err(VerifyError::Stale(tolerance));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret.0).expect("HMAC takes keys of any length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    for candidate in signature_header.split_whitespace() {
        if let Some(encoded) = candidate.strip_prefix("v1,")
            && let Ok(signature) = STANDARD.decode(encoded)
            && mac.clone().verify_slice(&signature).is_ok()
        {
            return Ok(());
        }
    }
    Err(VerifyError::NoMatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_rotate() {
        let (old, new) = (Secret::generate(), Secret::generate());
        assert_eq!(Secret::parse(&new.expose()), Ok(new.clone()));
        let body = br#"{"type":"document.published"}"#;
        let [(_, id), (_, timestamp), (_, signature)] = headers("msg_1", 1_700_000_000, body, &[&new, &old]);
        assert_eq!((id.as_str(), timestamp.as_str()), ("msg_1", "1700000000"));
        assert_eq!(signature.split(' ').count(), 2);
        for secret in [&new, &old] {
            assert_eq!(verify(secret, "msg_1", 1_700_000_000, body, &signature, 1_700_000_100, 300), Ok(()));
        }
        let stranger = Secret::generate();
        assert_eq!(
            verify(&stranger, "msg_1", 1_700_000_000, body, &signature, 1_700_000_000, 300),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            verify(&new, "msg_2", 1_700_000_000, body, &signature, 1_700_000_000, 300),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            verify(&new, "msg_1", 1_700_000_000, b"{}", &signature, 1_700_000_000, 300),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            verify(&new, "msg_1", 1_700_000_000, body, &signature, 1_700_001_000, 300),
            Err(VerifyError::Stale(300))
        );
        for bad in ["", "whsec_", "whsec_!!!", "whsec_c2hvcnQ="] {
            assert_eq!(Secret::parse(bad), Err(BadSecret), "{bad}");
        }
        assert_eq!(format!("{new:?}"), "Secret(***)");
    }
}
