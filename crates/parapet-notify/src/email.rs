//! Email: the tokens in subscription links, what addresses are accepted, and composing a
//! notification as a multipart (text and HTML) message with the list headers of RFC 2369 and the
//! one-click unsubscription of RFC 8058.
//!
//! Tokens are not stored anywhere: each is an HMAC-SHA256, under a key only the server knows,
//! over its purpose, the subscriber's ID and the subscriber's current nonce. So a token is good
//! for one purpose of one subscriber, cannot be guessed without the key, and stops working when
//! the nonce changes (a new subscription request, a confirmation).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use sha2::{Digest, Sha256};
use std::str::FromStr;

/// What a link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Confirm a pending subscription.
    Confirm,
    /// Change preferences or unsubscribe.
    Manage,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Confirm => b"confirm",
            Purpose::Manage => b"manage",
        }
    }
}

/// The key subscription tokens are made with.
#[derive(Clone)]
pub struct TokenKey([u8; 32]);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(***)")
    }
}

impl TokenKey {
    /// Derives the key from the server's secret passphrase (servers sharing a database share it,
    /// so a link made by one works on another).
    pub fn derive(passphrase: &str) -> TokenKey {
        let mut hasher = Sha256::new();
        hasher.update(b"parapet subscription links\0");
        hasher.update(passphrase.as_bytes());
        TokenKey(hasher.finalize().into())
    }

    fn mac(&self, purpose: Purpose, subscriber: i64, nonce: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose.label());
        mac.update(b"\0");
        mac.update(&subscriber.to_be_bytes());
        mac.update(nonce.as_bytes());
        mac
    }

    /// The token for `purpose` of `subscriber` while its nonce is `nonce`.
    pub fn token(&self, purpose: Purpose, subscriber: i64, nonce: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(purpose, subscriber, nonce).finalize().into_bytes())
    }

    /// Whether `token` is the one for `purpose` of `subscriber` and `nonce` (in constant time).
    pub fn verify(&self, purpose: Purpose, subscriber: i64, nonce: &str, token: &str) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(token.trim()) else { return false };
        self.mac(purpose, subscriber, nonce).verify_slice(&bytes).is_ok()
    }
}

/// A random nonce for a subscriber's tokens.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Why an address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("an email address is required")]
    Empty,
    #[error("the address is longer than 254 characters")]
    TooLong,
    #[error("{0:?} is not an email address such as name@example.com")]
    Syntax(String),
    #[error("the domain {0:?} cannot receive mail from the internet (it needs a dot and no address literal)")]
    Domain(String),
}

/// Checks an address someone wants notifications at: the syntax of RFC 5321 as lettre reads
/// it, at most 254 characters, and a domain name with a dot (no `localhost`, no `[192.0.2.1]`).
pub fn check_address(text: &str) -> Result<lettre::Address, AddressError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AddressError::Empty);
    }
    if text.len() > 254 {
        return Err(AddressError::TooLong);
    }
    let address = lettre::Address::from_str(text).map_err(|_| AddressError::Syntax(text.to_owned()))?;
    let domain = address.domain();
    let labels_ok = domain.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    });
    if !domain.contains('.') || domain.starts_with('[') || !labels_ok {
        return Err(AddressError::Domain(domain.to_owned()));
    }
    Ok(address)
}

/// One mail to one subscriber.
#[derive(Debug, Clone)]
pub struct Mail<'a> {
    pub from: &'a Mailbox,
    pub to: lettre::Address,
    pub subject: &'a str,
    pub text: String,
    pub html: String,
    /// The same for every attempt to send it: a receiver may drop duplicates by it.
    pub message_id: String,
    /// The RFC 2919 list identifier, e.g. `<notifications.example.com>`.
    pub list_id: &'a str,
    /// The one-click unsubscription URL (RFC 8058); none for confirmation mails.
    pub unsubscribe: Option<&'a str>,
    /// The preferences page (RFC 2369 `List-Help`).
    pub preferences: Option<&'a str>,
}

/// Why a mail cannot be composed.
#[derive(Debug, thiserror::Error)]
#[error("cannot compose the mail: {0}")]
pub struct ComposeError(String);

/// Composes `mail` as a multipart/alternative message.
pub fn compose(mail: Mail<'_>) -> Result<Message, ComposeError> {
    let header = |name: &'static str, value: String| HeaderValue::new(HeaderName::new_from_ascii_str(name), value);
    let mut builder = Message::builder()
        .from(mail.from.clone())
        .to(Mailbox::new(None, mail.to))
        .subject(mail.subject)
        .message_id(Some(mail.message_id))
        .raw_header(header("List-Id", mail.list_id.to_owned()))
        // RFC 3834: an automatic message; vacation responders stay quiet.
        .raw_header(header("Auto-Submitted", "auto-generated".to_owned()));
    if let Some(url) = mail.unsubscribe {
        builder = builder
            .raw_header(header("List-Unsubscribe", format!("<{url}>")))
            .raw_header(header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".to_owned()));
    }
    if let Some(url) = mail.preferences {
        builder = builder.raw_header(header("List-Help", format!("<{url}>")));
    }
    builder.multipart(MultiPart::alternative_plain_html(mail.text, mail.html)).map_err(|e| ComposeError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_good_for_one_purpose_of_one_subscriber_and_nonce() {
        let key = TokenKey::derive("passphrase");
        let token = key.token(Purpose::Manage, 7, "n1");
        assert_eq!(token.len(), 43, "256 bits, base64url without padding");
        assert!(key.verify(Purpose::Manage, 7, "n1", &token));
        for (purpose, subscriber, nonce) in
            [(Purpose::Confirm, 7, "n1"), (Purpose::Manage, 8, "n1"), (Purpose::Manage, 7, "n2")]
        {
            assert!(!key.verify(purpose, subscriber, nonce, &token), "{purpose:?} {subscriber} {nonce}");
        }
        assert!(!TokenKey::derive("another").verify(Purpose::Manage, 7, "n1", &token), "another server key");
        for garbage in ["", "!!!", &token[..42], "AAAA"] {
            assert!(!key.verify(Purpose::Manage, 7, "n1", garbage), "{garbage:?}");
        }
        assert_ne!(new_nonce(), new_nonce());
    }

    #[test]
    fn addresses() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("alice@example.com", Ok("alice@example.com")),
            ("  Bob.Smith+psirt@mail.example.co.uk ", Ok("Bob.Smith+psirt@mail.example.co.uk")),
            ("élodie@exemple.fr", Ok("élodie@exemple.fr")),
            ("", Err("an email address is required")),
            ("alice", Err("\"alice\" is not an email address such as name@example.com")),
            ("alice@", Err("\"alice@\" is not an email address such as name@example.com")),
            ("a b@example.com", Err("\"a b@example.com\" is not an email address such as name@example.com")),
            (
                "root@localhost",
                Err(
                    "the domain \"localhost\" cannot receive mail from the internet (it needs a dot and no address literal)",
                ),
            ),
            (
                "x@[192.0.2.1]",
                Err(
                    "the domain \"[192.0.2.1]\" cannot receive mail from the internet (it needs a dot and no address literal)",
                ),
            ),
            (
                "x@exa_mple.com",
                Err(
                    "the domain \"exa_mple.com\" cannot receive mail from the internet (it needs a dot and no address literal)",
                ),
            ),
            ("x@example..com", Err("\"x@example..com\" is not an email address such as name@example.com")),
        ];
        for (input, expected) in cases {
            let got = check_address(input).map(|a| a.to_string()).map_err(|e| e.to_string());
            assert_eq!(got, expected.map(str::to_owned).map_err(str::to_owned), "{input:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(check_address(&long), Err(AddressError::TooLong));
    }

    #[test]
    fn a_notification_carries_the_list_headers_and_both_parts() {
        let from: Mailbox = "Security Response <security@example.com>".parse().unwrap();
        let mail = Mail {
            from: &from,
            to: check_address("alice@example.org").unwrap(),
            subject: "Security bulletin PSB-2026-001 (Critical)",
            text: "A plain part".into(),
            html: "<p>An HTML part</p>".into(),
            message_id: "<evt_document_PSB-2026-001_1.7@example.com>".into(),
            list_id: "<notifications.example.com>",
            unsubscribe: Some("https://example.com/subscriptions/unsubscribe?s=7&t=abc"),
            preferences: Some("https://example.com/subscriptions/manage?s=7&t=abc"),
        };
        let text = String::from_utf8(compose(mail).unwrap().formatted()).unwrap();
        for expected in [
            "List-Unsubscribe: <https://example.com/subscriptions/unsubscribe?s=7&t=abc>\r\n",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
            "List-Id: <notifications.example.com>\r\n",
            "List-Help: <https://example.com/subscriptions/manage?s=7&t=abc>\r\n",
            "Message-ID: <evt_document_PSB-2026-001_1.7@example.com>\r\n",
            "Auto-Submitted: auto-generated\r\n",
            "Content-Type: multipart/alternative;",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Type: text/html; charset=utf-8",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from\n{text}");
        }
    }
}
