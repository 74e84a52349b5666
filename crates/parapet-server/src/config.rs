//! Typed settings: built-in defaults, then a TOML file, then `PARAPET_*` environment variables.
//!
//! Unknown keys are errors wherever they come from, so that a typo never silently falls back to
//! a default. Secrets are wrapped in [`Secret`], whose `Debug` and `Display` never show them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

/// A value that must never be printed or logged.
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub intake: IntakeSettings,
    pub security_txt: SecurityTxtSettings,
    pub cve: CveSettings,
    pub publisher: PublisherSettings,
    pub releases: ReleaseSettings,
    pub catalog: CatalogSettings,
    pub notifications: NotificationSettings,
    pub fleet: FleetSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    /// The address users reach the server at; used in links (tracking links, security.txt).
    pub public_url: String,
    /// `text` or `json`.
    pub log_format: String,
    /// The largest request body accepted, except attachments.
    pub max_body_bytes: usize,
    /// Seconds to let requests in flight finish on shutdown.
    pub shutdown_grace_seconds: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            listen: "127.0.0.1:8080".parse().expect("valid default address"),
            public_url: "http://127.0.0.1:8080".into(),
            log_format: "text".into(),
            max_body_bytes: 256 * 1024,
            shutdown_grace_seconds: 10,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://…` to use PostgreSQL; empty for the embedded SQLite file in the data folder.
    pub url: Secret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    pub session_hours: i64,
    /// Mark cookies `Secure`. Browsers accept secure cookies from http://localhost, so this stays
    /// on unless the console is reached over plain HTTP on another host.
    pub secure_cookies: bool,
    /// Failed logins per user name (and ten times that per client address) before logins are refused.
    pub login_max_failures: i64,
    pub login_window_minutes: i64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings { session_hours: 12, secure_cookies: true, login_max_failures: 5, login_window_minutes: 15 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntakeSettings {
    /// Reports accepted per client address per minute.
    pub reports_per_minute: u32,
    pub max_attachment_bytes: usize,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        IntakeSettings { reports_per_minute: 5, max_attachment_bytes: 10 * 1024 * 1024 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityTxtSettings {
    /// `Contact:` lines besides the report page, e.g. `mailto:security@example.com`.
    pub contact: Vec<String>,
    /// `Policy:` URL; defaults to the server's disclosure policy page.
    pub policy: String,
    pub preferred_languages: String,
    /// How long a generated security.txt stays valid.
    pub expires_days: i64,
}

impl Default for SecurityTxtSettings {
    fn default() -> Self {
        SecurityTxtSettings {
            contact: Vec::new(),
            policy: String::new(),
            preferred_languages: "en".into(),
            expires_days: 180,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CveSettings {
    /// Reserved CVE IDs to assign from: single IDs or ranges `CVE-2026-1000..CVE-2026-1099`.
    pub pool: Vec<String>,
}

/// Who publishes the bulletins and advisories, and the CSAF trusted provider's key.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PublisherSettings {
    /// The publisher's name in CSAF documents and the provider metadata.
    pub name: String,
    /// An https:// URL identifying the publisher; empty for the server's public URL.
    pub namespace: String,
    /// CSAF publisher category: vendor, coordinator, discoverer, translator, user or other.
    pub category: String,
    /// How to reach the publisher, e.g. "mailto:psirt@example.com".
    pub contact_details: String,
    /// A legal disclaimer added to every CSAF document.
    pub disclaimer: String,
    /// The CNA's organization UUID and short name, for CVE records.
    pub cna_org_id: String,
    pub cna_short_name: String,
    /// ID patterns; `{year}` and `{seq}` (or `{seq:03}` for zero-padding) are filled in.
    pub bulletin_ids: String,
    pub advisory_ids: String,
    /// Also publish one `csaf_vex` document per product a bulletin affects.
    pub vex: bool,
    /// Unlocks the provider's OpenPGP signing key, which is stored encrypted with it. Every
    /// server sharing a database needs the same value; when empty, `parapet serve` keeps a
    /// random one in the data folder.
    pub key_passphrase: Secret,
}

impl Default for PublisherSettings {
    fn default() -> Self {
        PublisherSettings {
            name: "Security Response Center".into(),
            namespace: String::new(),
            category: "vendor".into(),
            contact_details: String::new(),
            disclaimer: String::new(),
            cna_org_id: String::new(),
            cna_short_name: String::new(),
            bulletin_ids: "PSB-{year}-{seq:03}".into(),
            advisory_ids: "PSA-{year}-{seq:03}".into(),
            vex: false,
            key_passphrase: Secret::default(),
        }
    }
}

/// The monthly release day and the scheduler that publishes on it.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReleaseSettings {
    /// Which day of each month: first, second, third, fourth or last, then a weekday.
    pub day: String,
    /// The release time, 24-hour, in `time_zone`.
    pub time: String,
    /// An IANA time zone such as "America/Los_Angeles", or "UTC".
    pub time_zone: String,
    /// How often the scheduler looks for documents due for publication.
    pub check_seconds: u64,
}

impl Default for ReleaseSettings {
    fn default() -> Self {
        ReleaseSettings {
            day: "second tuesday".into(),
            time: "17:00".into(),
            time_zone: "UTC".into(),
            check_seconds: 10,
        }
    }
}

/// Advance notification and the messages that follow publication.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationSettings {
    /// Business days before each monthly release when its advance notice goes out.
    pub advance_business_days: u32,
    /// Dates (`YYYY-MM-DD`, in the release time zone) that are not business days.
    pub holidays: Vec<String>,
    /// Deliver to loopback, private and link-local addresses (tests, or a trusted network).
    pub allow_internal_targets: bool,
    /// Seconds a webhook receiver has to answer.
    pub webhook_timeout_seconds: u64,
    /// Failed deliveries in a row after which an endpoint is paused.
    pub webhook_pause_after: i64,
    /// The SMTP server mail goes through: `smtp://host:25` or
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS). Empty: no email subscriptions.
    pub smtp_url: Secret,
    /// The sender of notification mail, e.g. `Example PSIRT <psirt@example.com>`.
    pub mail_from: String,
    /// SMTP connections each server uses at once.
    pub smtp_connections: u32,
    /// Hours a confirmation link stays good.
    pub confirm_link_hours: u64,
    /// Seconds an SMTP server has for each step of a send.
    pub smtp_timeout_seconds: u64,
    /// Seconds a server holds the deliveries it claimed. A server that dies holding some leaves
    /// them to the others (or to itself, restarted) after this long; it must exceed the webhook
    /// and SMTP timeouts, or a slow delivery could be taken over while still running.
    pub delivery_lease_seconds: u64,
    /// Retries: the first waits this many seconds, each next one twice as long (with jitter), up
    /// to `retry_cap_seconds`; after `retry_max_attempts` attempts, or once the message is
    /// `retry_max_age_hours` old, the delivery goes to the dead letters.
    pub retry_base_seconds: u64,
    pub retry_cap_seconds: u64,
    pub retry_max_attempts: u32,
    pub retry_max_age_hours: u64,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            advance_business_days: 3,
            holidays: Vec::new(),
            allow_internal_targets: false,
            webhook_timeout_seconds: 10,
            webhook_pause_after: 10,
            smtp_url: Secret::default(),
            mail_from: String::new(),
            smtp_connections: 8,
            confirm_link_hours: 72,
            smtp_timeout_seconds: 30,
            delivery_lease_seconds: 60,
            retry_base_seconds: 5,
            retry_cap_seconds: 3600,
            retry_max_attempts: 12,
            retry_max_age_hours: 72,
        }
    }
}

impl NotificationSettings {
    /// The retry policy these settings describe.
    pub fn retry_policy(&self) -> parapet_notify::retry::Policy {
        use std::time::Duration;
        parapet_notify::retry::Policy {
            base: Duration::from_secs(self.retry_base_seconds.max(1)),
            cap: Duration::from_secs(self.retry_cap_seconds.max(self.retry_base_seconds).max(1)),
            max_attempts: self.retry_max_attempts.max(1),
            max_age: Duration::from_secs(self.retry_max_age_hours.max(1) * 3600),
        }
    }

    /// Whether email subscriptions are on.
    pub fn email_enabled(&self) -> bool {
        !self.smtp_url.is_empty()
    }

    /// The sender, checked; the error names the setting.
    pub fn sender(&self) -> Result<lettre::message::Mailbox, String> {
        self.mail_from.parse().map_err(|_| {
            format!(
                "notifications.mail_from: {:?} is not a sender such as \"Example PSIRT <psirt@example.com>\"",
                self.mail_from
            )
        })
    }

    /// The holidays as dates; the error names the one that is not a date.
    pub fn holiday_dates(&self) -> Result<Vec<jiff::civil::Date>, String> {
        self.holidays
            .iter()
            .map(|day| {
                day.parse().map_err(|_| format!("notifications.holidays: {day:?} is not a date such as \"2026-12-25\""))
            })
            .collect()
    }
}

/// Syncing the update catalog.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogSettings {
    /// How often the scheduler looks for sources due for a sync.
    pub check_seconds: u64,
    /// Make the source of this server's own publications (`published`) at start when there is
    /// none, so that its bulletins reach the fleet and scans. Turn off to keep them out.
    pub own_publications: bool,
}

impl Default for CatalogSettings {
    fn default() -> Self {
        CatalogSettings { check_seconds: 30, own_publications: true }
    }
}

/// The fleet: how often agents check in and how their credentials age.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FleetSettings {
    /// How often agents check in; they add up to 10 % of random jitter.
    pub check_in_seconds: u64,
    /// A host that missed this many check-ins is shown as stale.
    pub stale_after_check_ins: u64,
    /// How often the server gives each host a new credential.
    pub credential_rotation_days: u64,
    /// The largest check-in body accepted: a full inventory of a large host is a few MiB.
    pub max_check_in_bytes: usize,
    /// How often each server looks for catalog changes to match against the fleet.
    pub recompute_seconds: u64,
    /// What a host does once a newer malware signature pack is published: scan and remove
    /// into its quarantine (as the monthly removal tool did), scan and report only, or nothing
    /// until someone asks.
    pub malware_scans: MalwareScans,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MalwareScans {
    Remove,
    Detect,
    Off,
}

impl Default for FleetSettings {
    fn default() -> Self {
        FleetSettings {
            check_in_seconds: 3600,
            stale_after_check_ins: 3,
            credential_rotation_days: 30,
            max_check_in_bytes: 32 * 1024 * 1024,
            recompute_seconds: 1,
            malware_scans: MalwareScans::Remove,
        }
    }
}

impl FleetSettings {
    pub fn stale_after_ms(&self) -> i64 {
        (self.check_in_seconds.saturating_mul(self.stale_after_check_ins.max(1)) as i64).saturating_mul(1000)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid configuration in {origin}: {message}")]
    Invalid { origin: String, message: String },
}

const SECTIONS: [&str; 11] = [
    "server",
    "database",
    "auth",
    "intake",
    "security_txt",
    "cve",
    "publisher",
    "releases",
    "catalog",
    "notifications",
    "fleet",
];

impl Settings {
    /// Loads defaults, then `file` if given, then `PARAPET_*` variables from `env`.
    pub fn load(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Settings, ConfigError> {
        let mut table = toml::Table::new();
        let mut origin = "defaults".to_owned();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
            table = text
                .parse::<toml::Table>()
                .map_err(|e| ConfigError::Invalid { origin: path.display().to_string(), message: e.to_string() })?;
            origin = path.display().to_string();
        }
        for (name, value) in env {
            let Some(rest) = name.strip_prefix("PARAPET_") else { continue };
            let rest = rest.to_ascii_lowercase();
            let Some((section, key)) =
                SECTIONS.iter().find_map(|s| rest.strip_prefix(&format!("{s}_")).map(|k| (*s, k)))
            else {
                continue;
            };
            let value = parse_env_value(&value);
            let entry = table.entry(section).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => {
                    t.insert(key.to_owned(), value);
                }
                _ => return Err(ConfigError::Invalid { origin: name, message: format!("{section} must be a table") }),
            }
            origin = format!("{origin} and the environment");
        }
        let settings: Settings = serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
            ConfigError::Invalid { origin: origin.clone(), message: format!("{}: {}", e.path(), e.inner()) }
        })?;
        settings.check().map_err(|message| ConfigError::Invalid { origin, message })?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), String> {
        if !matches!(self.server.log_format.as_str(), "text" | "json") {
            return Err(format!("server.log_format: {:?} is neither \"text\" nor \"json\"", self.server.log_format));
        }
        if !(self.server.public_url.starts_with("http://") || self.server.public_url.starts_with("https://")) {
            return Err(format!("server.public_url: {:?} must start with http:// or https://", self.server.public_url));
        }
        let url = self.database.url.expose();
        let supported =
            url.is_empty() || ["postgres://", "postgresql://", "sqlite:"].iter().any(|p| url.starts_with(p));
        if !supported {
            return Err("database.url: expected postgres://… or sqlite://PATH".into());
        }
        self.calendar()?;
        self.notifications.holiday_dates()?;
        if self.fleet.check_in_seconds < 10 {
            return Err(format!("fleet.check_in_seconds: {} is below the minimum of 10", self.fleet.check_in_seconds));
        }
        let slowest = self.notifications.webhook_timeout_seconds.max(self.notifications.smtp_timeout_seconds);
        if self.notifications.delivery_lease_seconds <= slowest {
            return Err(format!(
                "notifications.delivery_lease_seconds: {} must be longer than the webhook and SMTP timeouts ({slowest} s)",
                self.notifications.delivery_lease_seconds
            ));
        }
        if self.notifications.email_enabled() {
            self.notifications.sender()?;
            // The error never quotes the URL, which may hold a password.
            crate::notifications::smtp::Server::parse(self.notifications.smtp_url.expose())
                .map_err(|e| format!("notifications.smtp_url: {e}"))?;
            if self.notifications.smtp_connections == 0 {
                return Err("notifications.smtp_connections: must be at least 1".into());
            }
        }
        if self.notifications.advance_business_days > 20 {
            return Err("notifications.advance_business_days: at most 20".to_owned());
        }
        for (name, pattern) in
            [("bulletin_ids", &self.publisher.bulletin_ids), ("advisory_ids", &self.publisher.advisory_ids)]
        {
            pattern.parse::<parapet_model::IdPattern>().map_err(|e| format!("publisher.{name}: {}", e.message))?;
        }
        const CATEGORIES: [&str; 6] = ["coordinator", "discoverer", "other", "translator", "user", "vendor"];
        if !CATEGORIES.contains(&self.publisher.category.as_str()) {
            return Err(format!(
                "publisher.category: {:?} is not one of {}",
                self.publisher.category,
                CATEGORIES.join(", ")
            ));
        }
        if !self.publisher.namespace.is_empty() && !self.publisher.namespace.starts_with("https://") {
            return Err(format!("publisher.namespace: {:?} must start with https://", self.publisher.namespace));
        }
        self.cve_pool().map(|_| ())
    }

    /// The monthly release calendar.
    pub fn calendar(&self) -> Result<crate::releases::Calendar, String> {
        crate::releases::Calendar::new(&self.releases.day, &self.releases.time, &self.releases.time_zone)
    }

    /// What CSAF, OSV and CVE records say about the publisher.
    pub fn publish_settings(&self) -> parapet_publish::Settings {
        let public_url = self.server.public_url.trim_end_matches('/').to_owned();
        let namespace =
            if self.publisher.namespace.is_empty() { public_url.clone() } else { self.publisher.namespace.clone() };
        let optional = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        parapet_publish::Settings {
            publisher_name: self.publisher.name.clone(),
            publisher_namespace: namespace,
            contact_details: optional(&self.publisher.contact_details),
            public_url,
            cna_org_id: self.publisher.cna_org_id.clone(),
            cna_short_name: self.publisher.cna_short_name.clone(),
            disclaimer: optional(&self.publisher.disclaimer),
        }
    }

    /// The configured CVE pool, ranges expanded.
    pub fn cve_pool(&self) -> Result<Vec<String>, String> {
        let mut ids = Vec::new();
        for entry in &self.cve.pool {
            let invalid = |e: parapet_model::FieldError| format!("cve.pool: {}", e.message);
            match entry.split_once("..") {
                None => ids.push(parapet_model::validate::cve_id("cve.pool", entry).map_err(invalid)?),
                Some((from, to)) => {
                    let from = parapet_model::validate::cve_id("cve.pool", from).map_err(invalid)?;
                    let to = parapet_model::validate::cve_id("cve.pool", to).map_err(invalid)?;
                    let (year, first) =
                        from.rsplit_once('-').map(|(y, n)| (y.to_owned(), n.to_owned())).unwrap_or_default();
                    let (to_year, last) = to.rsplit_once('-').unwrap_or_default();
                    let (Ok(a), Ok(b)) = (first.parse::<u64>(), last.parse::<u64>()) else {
                        return Err(format!("cve.pool: {entry:?} is not a range"));
                    };
                    if year != to_year || a > b || b - a >= 100_000 {
                        return Err(format!(
                            "cve.pool: {entry:?} must be an ascending range within one year, at most 100000 IDs"
                        ));
                    }
                    let width = first.len();
                    ids.extend((a..=b).map(|n| format!("{year}-{n:0width$}")));
                }
            }
        }
        Ok(ids)
    }

    /// The database URL for a data folder: the configured one, or the SQLite file inside it.
    pub fn database_url(&self, data_dir: &Path) -> String {
        if self.database.url.is_empty() {
            parapet_store::Store::sqlite_url(data_dir)
        } else {
            self.database.url.expose().to_owned()
        }
    }
}

fn parse_env_value(value: &str) -> toml::Value {
    // Numbers, booleans and arrays as TOML would read them; anything else is a string.
    format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_owned()))
}

/// The commented example printed by `parapet config default`.
pub const DEFAULT_TOML: &str = include_str!("../parapet.example.toml");

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn layers() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.toml");
        std::fs::write(&file, "[server]\nlisten = \"0.0.0.0:9000\"\nlog_format = \"json\"\n[cve]\npool = [\"CVE-2026-0998..CVE-2026-1001\"]\n").unwrap();
        let s = Settings::load(
            Some(&file),
            env(&[
                ("PARAPET_SERVER_LOG_FORMAT", "text"),
                ("PARAPET_AUTH_SESSION_HOURS", "2"),
                ("PARAPET_ADMIN_PASSWORD", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.listen.port(), 9000);
        assert_eq!(s.server.log_format, "text", "the environment wins over the file");
        assert_eq!(s.auth.session_hours, 2);
        assert_eq!(s.cve_pool().unwrap(), ["CVE-2026-0998", "CVE-2026-0999", "CVE-2026-1000", "CVE-2026-1001"]);
    }

    #[test]
    fn unknown_and_invalid_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("[server]\nlisen = \"x\"\n", "server.lisen"),
            ("[serve]\n", "serve"),
            ("[server]\nlisten = \"not an address\"\n", "server.listen"),
            ("[server]\nlog_format = \"xml\"\n", "log_format"),
            ("[cve]\npool = [\"CVE-2026-9..CVE-2026-1\"]\n", "cve.pool"),
        ];
        for (text, needle) in cases {
            let file = dir.path().join("bad.toml");
            std::fs::write(&file, text).unwrap();
            let err = Settings::load(Some(&file), []).unwrap_err().to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
        let err = Settings::load(None, env(&[("PARAPET_SERVER_LISEN", "x")])).unwrap_err().to_string();
        assert!(err.contains("lisen"), "{err}");
    }

    #[test]
    fn secrets_stay_hidden() {
        let s = Settings::load(None, env(&[("PARAPET_DATABASE_URL", "postgres://u:hunter2@h/db")])).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.database_url(Path::new("/x")), "postgres://u:hunter2@h/db");
    }

    #[test]
    fn the_example_is_valid_and_complete() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("example.toml");
        std::fs::write(&file, DEFAULT_TOML).unwrap();
        Settings::load(Some(&file), []).unwrap();
        for section in SECTIONS {
            assert!(DEFAULT_TOML.contains(&format!("[{section}]")), "{section} is documented");
        }
    }
}
