//! Integration tests: fixture roots built in temporary folders, one table of cases per area,
//! plus the catalogue as a whole and a run against the machine running the tests.

mod accounts;
mod banners;
mod catalogue;
mod filesystem;
mod firewall;
mod fixture;
mod host;
mod kernel;
mod network;
mod perms;
mod services;
mod ssh;
mod updates;
