//! The agent on every host of a fleet. This library reads what a check-in reports: the host's
//! facts and its package inventory, from `/` or from a root filesystem (`--root`), through the
//! same collection `parapet scan` uses, so that the server and a scan see the same packages.
//!
//! It has no server dependencies: the agent talks to the server only through the check-in
//! protocol, whose types are in `parapet_model::fleet`.

pub mod client;
pub mod harden;
pub mod jobs;
pub mod malware;
pub mod report;
pub mod state;

pub use client::{AgentError, Outcome};
pub use report::{Report, check_in, digest};
pub use state::{AgentState, StateError};
