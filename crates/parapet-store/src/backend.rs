//! What differs between SQLite and PostgreSQL: connecting, migrations, transactions.

use sqlx::{AnyConnection, AnyPool, Executor};

use crate::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(url.split("://").next().unwrap_or(url).to_owned()))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    pub(crate) fn connect_url(self, url: &str) -> String {
        match self {
            // Create the file on first start.
            Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_owned(),
        }
    }

    pub(crate) fn max_connections(self) -> u32 {
        match self {
            // Readers, beside the one writer connection (WAL mode lets them run while it writes).
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        }
    }

    /// Whether a pooled connection is pinged before it is handed out: a connection to a
    /// database file cannot drop, and the ping is a round trip to SQLite's worker thread.
    pub(crate) fn test_before_acquire(self) -> bool {
        self == Backend::Postgres
    }

    pub(crate) async fn prepare_connection(self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        if self == Backend::Sqlite {
            // WAL lets the CLI write while a server runs; the busy timeout makes writers queue
            // instead of failing. A fleet's inventories are millions of index entries: 16 MiB of
            // page cache per connection (not SQLite's 2) keeps their upper levels in memory, and
            // statement journals stay in memory instead of temporary files.
            conn.execute(
                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                 PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY;",
            )
            .await?;
        }
        Ok(())
    }

    pub(crate) async fn migrate(self, pool: &AnyPool) -> Result<(), StoreError> {
        match self {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(pool).await?,
            // Several servers may start at once; sqlx's migrator takes an advisory lock.
            Backend::Postgres => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Starts a transaction that will write.
    ///
    /// SQLite takes the write lock up front (`BEGIN IMMEDIATE`): a deferred transaction that
    /// reads first fails without waiting when another writer commits in between.
    pub(crate) async fn begin_write(self, pool: &AnyPool) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self {
            Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => pool.begin().await?,
        })
    }

    /// The row-locking suffix for reading a row that this transaction will change, waiting for
    /// any other transaction that holds it.
    pub(crate) fn lock_suffix(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// The row-locking suffix for claiming one free row among concurrent servers.
    pub(crate) fn claim_suffix(self) -> &'static str {
        match self {
            // The write transaction already holds SQLite's single write lock.
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}
