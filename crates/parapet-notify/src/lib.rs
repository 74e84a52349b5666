//! Notifications, the parts without I/O: subscription tokens, accepted addresses and composing
//! mail ([`email`]), signing webhook messages as the Standard Webhooks specification says
//! ([`webhook`]), deciding which targets a server may deliver to ([`target`]), and when to try a
//! failed delivery again ([`retry`]).

pub mod email;
pub mod retry;
pub mod target;
pub mod webhook;
