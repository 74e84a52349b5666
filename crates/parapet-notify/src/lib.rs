//! Notifications, the parts without I/O: signing webhook messages as the Standard Webhooks
//! specification says ([`webhook`]), deciding which targets a server may deliver to
//! ([`target`]), and when to try a failed delivery again ([`retry`]).

pub mod retry;
pub mod target;
pub mod webhook;
