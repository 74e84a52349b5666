//! The security configuration wizard's knowledge: the roles a server plays (data files in
//! `roles/`, one per role: the units, listening ports and outbound needs it implies, and its
//! hardening settings) and the policies written from them (which roles, from which admin
//! networks, what else is allowed), and the kernel's socket tables read into listeners
//! ([`net`]). Plain data, parsing and checks; nothing here touches the host.

pub mod net;
pub mod policy;
pub mod roles;

pub use policy::{Allow, Policy, PolicyError};
pub use roles::{Port, Protocol, Role, RoleBook};
