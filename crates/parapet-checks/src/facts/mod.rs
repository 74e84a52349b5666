//! What checks read from a target, parsed: each module turns configuration files into plain data
//! with the file and line of every value, so evidence can point at them.

pub mod apt;
pub mod dpkg;
pub mod firewall;
pub mod glob;
pub mod mounts;
pub mod sshd;
pub mod sudoers;
pub mod sysctl;
pub mod systemd;
pub mod users;
