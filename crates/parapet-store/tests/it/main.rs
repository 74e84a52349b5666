//! The storage suite. Every test runs twice, on SQLite and on PostgreSQL.
//!
//! PostgreSQL comes from the libpq environment (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`),
//! which `scripts/test.sh` sets up with `pg_virtualenv`; each test gets a database of its own.

mod accounts;
mod audit;
mod blog;
mod cases;
mod catalog;
mod documents;
mod fleet;
mod outbox;
mod products;
mod rollout;
mod subscribers;

use parapet_model::{Role, Viewer};
use parapet_store::Store;

/// A store on a fresh database, and what keeps it alive.
pub struct TestStore {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

impl std::ops::Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Store::sqlite_url(dir.path())).await.unwrap();
    TestStore { store, _dir: Some(dir) }
}

pub async fn postgres() -> TestStore {
    let (admin_url, url) = postgres_urls();
    create_database(&admin_url, url.rsplit('/').next().expect("a database name")).await;
    let store = Store::open(&url).await.unwrap();
    TestStore { store, _dir: None }
}

/// The URL of the server's `postgres` database, and that of a new database's (not made yet).
pub fn postgres_urls() -> (String, String) {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: the PostgreSQL half of the storage suite needs a server; run scripts/test.sh, which starts one with pg_virtualenv")
        })
    };
    let (host, port, user, password) = (var("PGHOST"), var("PGPORT"), var("PGUSER"), var("PGPASSWORD"));
    let name = format!("parapet_test_{}", uuid::Uuid::new_v4().simple());
    (
        format!("postgres://{user}:{password}@{host}:{port}/postgres"),
        format!("postgres://{user}:{password}@{host}:{port}/{name}"),
    )
}

/// Runs `check` against each backend.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name(crate::sqlite().await).await;
                }
                #[tokio::test]
                async fn postgres() {
                    super::$name(crate::postgres().await).await;
                }
            }
        )*
    };
}
pub(crate) use on_both;

pub fn staff(role: Role) -> Viewer {
    Viewer::Staff { user_id: 1, name: format!("test-{role}"), role, scopes: None }
}

async fn create_database(admin_url: &str, name: &str) {
    sqlx::any::install_default_drivers();
    let admin = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(admin_url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.unwrap();
    admin.close().await;
}

/// The SQLite and PostgreSQL migrations make the same tables with the same columns, so that the
/// one set of queries means the same on both.
#[tokio::test]
async fn both_migration_folders_make_the_same_schema() {
    let (sqlite, postgres) = (sqlite().await.schema().await.unwrap(), postgres().await.schema().await.unwrap());
    assert!(sqlite.len() > 20, "{sqlite:?}");
    let tables: std::collections::BTreeSet<&String> = sqlite.keys().chain(postgres.keys()).collect();
    let mut differences = Vec::new();
    for table in tables {
        match (sqlite.get(table), postgres.get(table)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => differences.push(format!(
                "{table}: only in SQLite {:?}, only in PostgreSQL {:?}",
                a.difference(b).collect::<Vec<_>>(),
                b.difference(a).collect::<Vec<_>>()
            )),
            (Some(_), None) => differences.push(format!("{table}: only in SQLite")),
            (None, _) => differences.push(format!("{table}: only in PostgreSQL")),
        }
    }
    assert!(differences.is_empty(), "the migration folders drifted:\n{}", differences.join("\n"));
}
