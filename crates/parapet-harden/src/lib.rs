//! The security configuration wizard: the roles a server plays (data files in `roles/`, one
//! per role: the units, listening ports and outbound needs it implies, and its hardening
//! settings; `services.toml` for the network services no role needs), the policies written from
//! them, and what is done with a policy on a host.
//!
//! [`roles`], [`policy`], [`firewall`] and [`net`] are plain data, parsing and rendering.
//! [`host`] is the one place that runs `nft` and `systemctl` and touches files; [`analyze`]
//! reads a host, [`apply`] changes it (snapshot, all or nothing, confirm or revert, rollback,
//! drift).

pub mod analyze;
pub mod apply;
pub mod firewall;
pub mod host;
pub mod net;
pub mod policy;
pub mod roles;

pub use apply::{ApplyOptions, Clock, HardenError, Snapshot, SnapshotStatus, SystemClock};
pub use host::Host;
pub use policy::{Allow, Policy, PolicyError, UnitAction};
pub use roles::{Port, Protocol, Role, RoleBook};
