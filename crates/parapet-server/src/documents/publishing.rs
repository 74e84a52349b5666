//! Publication: the provider's signing key, turning a document into a signed provider entry, and
//! the scheduler that publishes what is due.
//!
//! The scheduler runs in every server. Each due document is claimed inside its own transaction
//! (see `Store::publish_due`), so with several servers on one database each document is published
//! by exactly one of them, and a document whose instant passed while every server was down is
//! published by the first one back.

use parapet_model::{Document, Publication};
use parapet_provider::SigningKey;
use parapet_store::{StoreError, StoredKey};
use std::sync::Arc;
use std::time::Duration;

use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "publisher.key_passphrase is empty: set it (the same on every server sharing the database) to unlock the \
         CSAF signing key"
    )]
    NoPassphrase,
    #[error(
        "the CSAF signing key in the database does not open with publisher.key_passphrase: every server sharing \
         the database needs the same passphrase"
    )]
    WrongPassphrase,
    #[error("the CSAF signing key: {0}")]
    Key(#[from] parapet_provider::KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("key generation stopped: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// The provider's signing key: the stored one, or, on first use, a new one (when several servers
/// start together, the first stored wins and all use it). The unlocked key is kept in memory and
/// reloaded when another process replaced the stored one (`parapet csaf key import`).
pub async fn signing_key(state: &AppState) -> Result<Arc<SigningKey>, KeyError> {
    let stored_fingerprint = state.store.signing_key_fingerprint().await?;
    if let Some(key) = state.signing_key.read().await.as_ref()
        && Some(key.fingerprint()) == stored_fingerprint.as_deref()
    {
        return Ok(key.clone());
    }
    let mut slot = state.signing_key.write().await;
    let passphrase = state.settings.publisher.key_passphrase.expose().to_owned();
    if passphrase.is_empty() {
        return Err(KeyError::NoPassphrase);
    }
    let stored = match state.store.signing_key().await? {
        Some(stored) => stored,
        None => {
            let uid = key_user_id(state);
            let pass = passphrase.clone();
            let key = tokio::task::spawn_blocking(move || SigningKey::generate(&uid, &pass)).await??;
            let new = StoredKey {
                fingerprint: key.fingerprint().to_owned(),
                secret_key: key.armored_secret()?,
                public_key: key.armored_public()?,
            };
            state.store.init_signing_key(&new).await?
        }
    };
    let key = tokio::task::spawn_blocking(move || SigningKey::from_armored(&stored.secret_key, &passphrase))
        .await?
        .map_err(|e| match e {
            parapet_provider::KeyError::Passphrase => KeyError::WrongPassphrase,
            other => KeyError::Key(other),
        })?;
    tracing::info!(fingerprint = key.fingerprint(), "CSAF signing key ready");
    let key = Arc::new(key);
    *slot = Some(key.clone());
    Ok(key)
}

fn key_user_id(state: &AppState) -> String {
    let name = &state.settings.publisher.name;
    match state.settings.publisher.contact_details.strip_prefix("mailto:") {
        Some(mail) => format!("{name} CSAF signing key <{mail}>"),
        None => format!("{name} CSAF signing key"),
    }
}

/// Makes the signed provider entry of a document being published, or says why it cannot be.
pub fn preparer(
    state: &AppState,
    key: Arc<SigningKey>,
) -> impl Fn(&Document, Option<&str>) -> Result<Vec<Publication>, String> {
    let settings = state.settings.publish_settings();
    let vex = state.settings.publisher.vex;
    move |document, release_month| {
        parapet_provider::publication::from_document(document, &settings, release_month, vex, &key)
            .map_err(|e| e.to_string())
    }
}

/// Publishes everything due at the state's clock; returns what was published and what refused.
pub async fn run_due(state: &AppState) -> anyhow::Result<Vec<(String, Result<String, String>)>> {
    for slug in state.store.publish_due_posts(state.clock.now()).await? {
        tracing::info!(post = %slug, "blog post published");
    }
    crate::malware::publish_due(state).await?;
    // Before the documents: a release's own publication must not revise its notice afterwards.
    crate::releases::advance::run(state).await?;
    if !state.store.has_due_documents(state.clock.now()).await? {
        return Ok(Vec::new());
    }
    let key = signing_key(state).await?;
    let prepare = preparer(state, key);
    let outcomes = state.store.publish_due(state.clock.now(), &prepare).await?;
    for (id, outcome) in &outcomes {
        match outcome {
            Ok(revision) => tracing::info!(document = %id, %revision, "published"),
            Err(reason) => tracing::warn!(document = %id, %reason, "scheduled publication refused"),
        }
    }
    if outcomes.iter().any(|(_, outcome)| outcome.is_ok()) {
        state.catalog_wake.notify_one();
    }
    Ok(outcomes)
}

/// Runs [`run_due`] every `releases.check_seconds` until `stop` turns true.
pub async fn scheduler(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let period = Duration::from_secs(state.settings.releases.check_seconds.max(1));
    loop {
        if let Err(e) = run_due(&state).await {
            tracing::error!(error = format!("{e:#}"), "the publication scheduler failed; retrying");
        }
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
