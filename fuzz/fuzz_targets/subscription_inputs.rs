//! What strangers send to the subscription pages and API: an address, preferences, and the
//! token of a link. Whatever the bytes, checking them returns a value or an error, never panics;
//! an accepted address composes into a mail; a token that verifies is the one the key makes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use parapet_notify::email::{Mail, Purpose, TokenKey, check_address, compose};
use parapet_store::EndpointFilters;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let (address, token, rest) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if let Ok(address) = check_address(address) {
        let from = "PSIRT <psirt@example.com>".parse().unwrap();
        let mail = Mail {
            from: &from,
            to: address,
            subject: rest,
            text: rest.to_owned(),
            html: rest.to_owned(),
            message_id: "<evt_post_fuzz.1@example.com>".into(),
            list_id: "<notifications.example.com>",
            unsubscribe: Some("https://example.com/subscriptions/unsubscribe?s=1&t=x"),
            preferences: None,
        };
        let _ = compose(mail).map(|m| m.formatted());
    }
    let key = TokenKey::derive("fuzz");
    if key.verify(Purpose::Manage, 1, "nonce", token) {
        assert_eq!(token.trim(), key.token(Purpose::Manage, 1, "nonce"));
    }
    if let Ok(filters) = serde_json::from_str::<EndpointFilters>(rest) {
        let _ = filters.check();
    }
    if let Ok(form) = serde_urlencoded::from_str::<Vec<(String, String)>>(rest) {
        let _ = form.len();
    }
});
