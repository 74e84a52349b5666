//! Sending notification mail: one multipart (text and HTML) message per subscriber and
//! delivery, rendered from auto-escaped templates, with the subscriber's own preferences and
//! one-click unsubscription links, sent over a pool of SMTP connections ([`super::smtp`]).

use lettre::message::Mailbox;
use minijinja::context;
use parapet_notify::email::{Mail, Purpose, TokenKey};
use parapet_notify::retry::Policy;
use parapet_store::{Attempt, ClaimedDelivery, Subscriber};
use std::time::{Duration, Instant};

use super::delivery::{failure, give_up};
use super::smtp::{Pool, Server};
use crate::config::{NotificationSettings, Settings};
use crate::state::AppState;

/// What sends mail for one server, with what every mail needs worked out once.
pub struct Mailer {
    pool: Pool,
    from: Mailbox,
    /// Makes the links' tokens.
    key: TokenKey,
    /// The public URL's host, for Message-ID and List-Id.
    host: String,
}

impl Mailer {
    /// The mailer the settings describe, or `None` when email is off. The error names the setting
    /// and never shows the URL, which may hold a password.
    pub fn from_settings(settings: &Settings) -> Result<Option<Mailer>, String> {
        let notifications = &settings.notifications;
        if !notifications.email_enabled() {
            return Ok(None);
        }
        let from = notifications.sender()?;
        let server =
            Server::parse(notifications.smtp_url.expose()).map_err(|e| format!("notifications.smtp_url: {e}"))?;
        let timeout = Duration::from_secs(notifications.smtp_timeout_seconds.max(1));
        let host = url::Url::parse(&settings.server.public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "parapet.invalid".into());
        let key = TokenKey::derive(settings.publisher.key_passphrase.expose());
        Ok(Some(Mailer { pool: Pool::new(server, notifications.smtp_connections, timeout), from, key, host }))
    }

    /// Sends one claimed email delivery to `subscriber` (read with the claim; `None` when it is
    /// gone); returns how the attempt went.
    pub(crate) async fn deliver(
        &self,
        state: &AppState,
        delivery: &ClaimedDelivery,
        subscriber: Option<&Subscriber>,
        policy: &Policy,
    ) -> Attempt {
        let started = Instant::now();
        let Some(subscriber) = subscriber else {
            return Attempt::Cancelled { reason: "the subscriber is gone".into() };
        };
        let kind = delivery.payload["type"].as_str().unwrap_or_default();
        let wanted_status = if kind == "subscription.confirm" { "pending" } else { "active" };
        if subscriber.status != wanted_status {
            return Attempt::Cancelled { reason: format!("the subscriber is {}", subscriber.status) };
        }
        let message = match self.compose(state, subscriber, delivery) {
            Ok(message) => message,
            // A message that cannot be made now never can: no retry.
            Err(e) => return give_up(started, e, None),
        };
        match self.pool.send(message.envelope(), &message.formatted()).await {
            Ok(response) => Attempt::Delivered {
                status_code: Some(u16::from(response.code())),
                duration_ms: started.elapsed().as_millis() as i64,
            },
            Err(e) => {
                let code = e.status();
                let error = redacted(&format!("SMTP: {e}"), &state.settings.notifications);
                if e.is_permanent() {
                    // 5xx: the server refuses this mail for good (no such mailbox, policy).
                    give_up(started, error, code)
                } else {
                    failure(delivery, policy, started, error, code)
                }
            }
        }
    }

    fn compose(
        &self,
        state: &AppState,
        subscriber: &Subscriber,
        delivery: &ClaimedDelivery,
    ) -> Result<lettre::Message, String> {
        let payload = &delivery.payload;
        let kind = payload["type"].as_str().unwrap_or_default();
        let settings = &state.settings;
        let site = settings.publisher.name.as_str();
        let link = |path: &str, purpose: Purpose| {
            state.url(&format!(
                "{path}?s={}&t={}",
                subscriber.id,
                self.key.token(purpose, subscriber.id, &subscriber.token_nonce)
            ))
        };
        let (confirm_url, manage_url, unsubscribe_url) = if kind == "subscription.confirm" {
            (Some(link("/subscriptions/confirm", Purpose::Confirm)), None, None)
        } else {
            (
                None,
                Some(link("/subscriptions/manage", Purpose::Manage)),
                Some(link("/subscriptions/unsubscribe", Purpose::Manage)),
            )
        };
        let severity = payload["severity"]
            .as_str()
            .or(payload["summary"]["highest_severity"].as_str())
            .and_then(|s| s.parse::<parapet_model::Severity>().ok());
        let document_kind = payload["kind"].as_str().and_then(|k| k.parse::<parapet_model::DocumentKind>().ok());
        let kind_label = document_kind.map_or("Security document", |k| k.label());
        let subject = match kind {
            "subscription.confirm" => format!("Confirm your subscription to {site} security notifications"),
            "subscription.reminder" => format!("Your subscription to {site} security notifications"),
            "document.published" => format!(
                "{kind_label} {}{}: {}",
                payload["id"].as_str().unwrap_or_default(),
                severity.map(|s| format!(" ({})", s.label())).unwrap_or_default(),
                payload["title"].as_str().unwrap_or_default()
            ),
            "post.published" => format!("{site} blog: {}", payload["title"].as_str().unwrap_or_default()),
            "advance_notice.published" => {
                format!("Advance notification: {} security release", payload["month"].as_str().unwrap_or_default())
            }
            other => return Err(format!("no mail for messages of type {other:?}")),
        };
        let release_at = payload["summary"]["release_at"].as_str().unwrap_or_default();
        let ctx = context! {
            type => kind,
            subject,
            site,
            email => subscriber.email,
            hours => settings.notifications.confirm_link_hours,
            confirm_url,
            manage_url,
            unsubscribe_url,
            kind_label,
            id => payload["id"].as_str(),
            revision => payload["revision"].as_str(),
            title => payload["title"].as_str(),
            summary => payload["summary"].as_str(),
            severity_label => severity.map(|s| s.label()),
            products => payload["products"].as_array().map(|a| a.iter().filter_map(|p| p.as_str()).collect::<Vec<_>>())
                .or(payload["summary"]["product_families"].as_array().map(|a| a.iter().filter_map(|p| p.as_str()).collect())),
            url => payload["path"].as_str().map(|p| state.url(p)),
            csaf_url => payload["csaf"].as_str().map(|p| state.url(p)),
            month => payload["month"].as_str(),
            version => payload["version"].as_i64(),
            release_at,
            bulletins => payload["summary"]["bulletins"].as_i64(),
            restart => payload["summary"]["restart_required"].as_bool(),
        };
        let text = state.templates.try_render("email/message.txt", ctx.clone()).map_err(|e| e.to_string())?;
        let html = state.templates.try_render("email/message.html", ctx).map_err(|e| e.to_string())?;
        let host = &self.host;
        let to = parapet_notify::email::check_address(&subscriber.email).map_err(|e| e.to_string())?;
        parapet_notify::email::compose(Mail {
            from: &self.from,
            to,
            subject: &subject,
            text,
            html,
            // The same for every attempt at this delivery: receivers drop duplicates by it.
            message_id: format!("<{}.{}@{host}>", delivery.message_id, subscriber.id),
            list_id: &format!("<notifications.{host}>"),
            unsubscribe: unsubscribe_url.as_deref(),
            preferences: manage_url.as_deref(),
        })
        .map_err(|e| e.to_string())
    }
}

/// The key subscription links are made with, from the server's passphrase.
pub(crate) fn token_key(state: &AppState) -> TokenKey {
    TokenKey::derive(state.settings.publisher.key_passphrase.expose())
}

/// `text` without the SMTP URL's password, should an error quote it.
fn redacted(text: &str, settings: &NotificationSettings) -> String {
    let url = settings.smtp_url.expose();
    let password = url::Url::parse(url).ok().and_then(|u| u.password().map(str::to_owned));
    match password {
        Some(password) if !password.is_empty() => text.replace(&password, "***"),
        _ => text.to_owned(),
    }
}
