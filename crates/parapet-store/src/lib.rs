//! Parapet's storage: one interface, [`Store`], over SQLite (embedded, the default) and
//! PostgreSQL (for several servers sharing one database).
//!
//! Both backends run the same queries through sqlx's `Any` driver, written in the SQL both
//! understand (`$1` parameters, `RETURNING`). What differs lives in [`backend`]: connection
//! set-up, the migrations (one folder per backend, embedded in the binary), how a write
//! transaction starts, and row claiming. Every change is one transaction and writes its audit
//! entry in that same transaction.
//!
//! Only this crate writes SQL, and every query is parameterized.

mod advance;
mod audit;
mod backend;
mod blog;
mod briefings;
mod cases;
mod catalog;
mod documents;
mod error;
mod fleet;
mod malware;
mod outbox;
mod products;
mod subscribers;
mod users;

pub use audit::{AuditEntry, AuditQuery};
pub use backend::Backend;
pub use cases::{Attachment, CaseCounts, CaseQuery, CaseSort, Message, NewAttachment, NewCase};
pub use catalog::{
    CatalogBatch, CatalogEntry, CatalogQuery, CatalogRecord, CatalogUpdate, ChangeFeed, DocumentState, FeedCursor,
    LeaseError, ProblemDocument, RecordChange, RecordFeedItem, Rejection, SourceLease, StoredSource, SyncCounts,
    SyncRun, UpdateChange, UpdateFeedItem, UpdateQuery,
};
pub use documents::{DocumentQuery, Prepare, Schedule, StoredDocument, StoredKey};
pub use error::StoreError;
pub use fleet::{
    AdvisoryStatus, AgentHost, Approval, ApprovalChange, ApprovedBy, CheckInOutcome, CheckInRecord, CheckInWrite,
    ComputedFix, ComputedPackage, Enrollment, EnrollmentSecret, ExposedHost, Exposure, ExposureSample, FamilyCount,
    FleetLease, FleetUpdate, FleetUpdateQuery, Group, GroupHardenPolicy, GroupRemediation, GroupRollout, GroupStatus,
    HostDetail, HostHarden, HostPackage, HostQuery, HostRollout, HostSummary, InstallCounts, MalwareEvent,
    MonthlyMalware, NewEnrollmentSecret, NewGroup, NewHost, NewJobPackage, NewRing, NewRule, PackageFinding,
    PackageToCompute, PlainAccepted, PlainCheckIn, Remediation, RemediationFigure, RemediationStats, ReportRecorded,
    ReportedHarden, Ring, RingProgress, Rule, RuleTarget, StoredJob, SuiteUpdate, UpdateRemediation, UpdateRow,
};
pub use malware::{MalwarePack, NewMalwarePack, PackFiles};
pub use outbox::{
    Attempt, ClaimedDelivery, DeliveryCounts, DeliveryRecord, Endpoint, EndpointFilters, OutboxEntry, OutboxMessage,
};
pub use subscribers::{SubscribeOutcome, Subscriber, SubscriberCounts};
pub use users::{ApiToken, Session, User};

use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Row};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use time::OffsetDateTime;

/// A page of results and the total number of matches.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

/// The storage interface. Cheap to clone; all clones share its connection pools.
#[derive(Clone)]
pub struct Store {
    /// For reads, and on PostgreSQL for writes too.
    pool: AnyPool,
    /// For writes: on SQLite a pool of one connection, so that writers queue in process for
    /// SQLite's single write lock instead of sleeping in its busy handler (it polls, at up to
    /// 100 ms a try), and the writer's page cache is never invalidated by another connection's
    /// commit. On PostgreSQL the same pool as `pool`.
    writer: AnyPool,
    backend: Backend,
    /// Fleet package IDs by identity, as read from committed rows (see `fleet::check_in`).
    package_ids: std::sync::Arc<fleet::PackageIds>,
}

impl Store {
    /// Opens (creating when needed) the database at `url` and applies pending migrations.
    ///
    /// `url` is `sqlite://PATH` or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let backend = Backend::from_url(url)?;
        sqlx::any::install_default_drivers();
        let url = backend.connect_url(url);
        let options = |connections: u32| {
            AnyPoolOptions::new()
                .max_connections(connections)
                .acquire_timeout(Duration::from_secs(30))
                .test_before_acquire(backend.test_before_acquire())
                .after_connect(move |conn, _| Box::pin(async move { backend.prepare_connection(conn).await }))
        };
        let connect_error = |e| StoreError::Connect(redact_url(&url), e);
        let pool = options(backend.max_connections()).connect(&url).await.map_err(connect_error)?;
        let writer = match backend {
            Backend::Sqlite => options(1).connect(&url).await.map_err(connect_error)?,
            Backend::Postgres => pool.clone(),
        };
        let store = Store { pool, writer, backend, package_ids: Default::default() };
        backend.migrate(&store.writer).await?;
        Ok(store)
    }

    /// The SQLite database file inside a data folder.
    pub fn sqlite_url(data_dir: &std::path::Path) -> String {
        format!("sqlite://{}", data_dir.join("parapet.db").display())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The tables the migrations made and their columns, by name: what the SQLite and the
    /// PostgreSQL migrations must agree on.
    pub async fn schema(&self) -> Result<BTreeMap<String, BTreeSet<String>>, StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT m.name AS table_name, c.name AS column_name FROM sqlite_master m, pragma_table_info(m.name) c \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT table_name::text AS table_name, column_name::text AS column_name FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'"
            }
        };
        let mut schema: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for row in sqlx::query(sql).fetch_all(&self.pool).await? {
            schema.entry(row.try_get("table_name")?).or_default().insert(row.try_get("column_name")?);
        }
        Ok(schema)
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }

    async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        self.backend.begin_write(&self.writer).await
    }
}

/// The current time as stored: Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    to_ms(OffsetDateTime::now_utc())
}

pub(crate) fn to_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(crate) fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A database URL safe to show: the password, if any, replaced.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// `$1, $2, …` placeholders for an `IN (…)` list starting at `first`.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// A query argument of a query built at run time.
pub(crate) enum Arg {
    Int(i64),
    Text(String),
}

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

/// The arguments of a query built at run time. Each one added answers with its placeholder, so
/// that no `$n` is counted by hand.
#[derive(Default)]
pub(crate) struct Binds {
    args: Vec<Arg>,
}

impl Binds {
    /// Adds an argument; its placeholder (`$3`).
    pub fn add(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// Adds arguments for an `IN (…)` list; their placeholders (`$3, $4`).
    pub fn list(&mut self, args: impl IntoIterator<Item = Arg>) -> String {
        args.into_iter().map(|arg| self.add(arg)).collect::<Vec<_>>().join(", ")
    }

    /// Binds the arguments, in order, to a query of the SQL they were added for.
    pub fn to<'q>(&self, mut query: AnyQuery<'q>) -> AnyQuery<'q> {
        for arg in &self.args {
            query = match arg {
                Arg::Int(i) => query.bind(*i),
                Arg::Text(s) => query.bind(s.clone()),
            };
        }
        query
    }
}

/// A `LIKE` pattern matching `word` anywhere, with `\\` as the escape character.
pub(crate) fn like_pattern(word: &str) -> String {
    format!("%{}%", word.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_are_redacted() {
        assert_eq!(super::redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact_url("sqlite:///x/parapet.db"), "sqlite:///x/parapet.db");
    }
}
