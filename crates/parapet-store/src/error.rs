//! Errors of the storage layer.

use parapet_model::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: expected sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot connect to the database at {0}")]
    Connect(String, #[source] sqlx::Error),
    #[error("cannot apply database migrations")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A value broke a rule (including a uniqueness rule such as a duplicate CVE ID).
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}

impl StoreError {
    /// Maps a unique-constraint violation to a field error, leaving other errors as they are.
    pub(crate) fn unique(e: sqlx::Error, field: &'static str, message: impl Into<String>) -> StoreError {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Invalid(FieldError::new(field, message))
            }
            _ => StoreError::Database(e),
        }
    }
}
