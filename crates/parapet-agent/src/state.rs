//! What the agent keeps between runs, in one file of its state folder
//! (`/var/lib/parapet-agent/state.json` unless `--state` says otherwise): the server, the host
//! ID and credential enrollment gave, and where the check-ins stand.
//!
//! The file holds a secret, so it is written with mode 0600 and the folder with 0700. It is
//! written whole or not at all: a temporary file beside it, synced, then renamed over it, so a
//! crash or a full disk leaves the previous state readable.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file name inside the state folder.
pub const FILE: &str = "state.json";

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentState {
    /// The server's base URL, as given to `enroll`.
    pub server: String,
    pub host_id: String,
    /// The host credential; sent with every request, never logged.
    pub credential: String,
    /// The number of the last check-in sent; the next one is one more.
    pub sequence: u64,
    /// The digest of the last inventory the server accepted, so an unchanged one is not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_digest: Option<String>,
    /// When the last check-in ended (RFC 3339), and how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check_in: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_result: Option<String>,
    /// The tags the host was enrolled with, sent with every check-in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<parapet_model::fleet::Tag>,
    /// How often the server wants check-ins, as it last said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_seconds: Option<u64>,
    /// The job running now, written before it starts: an agent that stops mid-job reports what
    /// happened at its next start instead of running it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<crate::jobs::RunningJob>,
    /// Reports of finished jobs the server does not have yet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reports: Vec<crate::jobs::PendingReport>,
    /// The security configuration report the server last accepted, so that an unchanged one
    /// is not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub harden_reported: Option<parapet_model::HardenReport>,
}

/// Debug output goes to logs: the credential never does.
impl std::fmt::Debug for AgentState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentState")
            .field("server", &self.server)
            .field("host_id", &self.host_id)
            .field("credential", &"<redacted>")
            .field("sequence", &self.sequence)
            .field("accepted_digest", &self.accepted_digest)
            .field("last_check_in", &self.last_check_in)
            .field("last_result", &self.last_result)
            .field("tags", &self.tags)
            .field("interval_seconds", &self.interval_seconds)
            .field("job", &self.job)
            .field("reports", &self.reports)
            .field("harden_reported", &self.harden_reported)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not an agent state file ({source}); enroll again with --force to replace it")]
    Corrupt { path: PathBuf, source: serde_json::Error },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io { path: path.to_owned(), source }
}

impl AgentState {
    /// The state in `folder`, or `None` when the agent was never enrolled there.
    pub fn load(folder: &Path) -> Result<Option<AgentState>, StateError> {
        let path = folder.join(FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&path)(e)),
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|source| StateError::Corrupt { path, source })
    }

    /// Writes the state to `folder` whole, creating the folder if needed.
    pub fn save(&self, folder: &Path) -> Result<(), StateError> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(folder).map_err(io(folder))?;
        let path = folder.join(FILE);
        let temporary = folder.join(format!(".{FILE}.{}", std::process::id()));
        let written = (|| {
            let mut file =
                std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&temporary)?;
            // A file left by an earlier run may have other permissions; this one holds a secret.
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
            file.write_all(&json)?;
            file.write_all(b"\n")?;
            file.sync_all()?;
            std::fs::rename(&temporary, &path)?;
            // The rename is durable once the folder is.
            std::fs::File::open(folder)?.sync_all()
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written.map_err(io(&path))
    }
}
