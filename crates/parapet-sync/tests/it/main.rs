//! Sync tests against real HTTP servers on loopback.
