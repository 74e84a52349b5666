//! What reaches `parapet harden` from outside: a policy file (written by hand or assigned by a
//! server) and the kernel's socket tables. Whatever the bytes, each returns a value or an
//! error, never panics; an accepted policy reads back as itself and renders a firewall.

#![no_main]

use libfuzzer_sys::fuzz_target;
use parapet_harden::{Policy, Protocol, RoleBook};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let book = RoleBook::builtin();
    if let Ok(policy) = Policy::read(&text, &book) {
        assert_eq!(Policy::read(&policy.to_toml(), &book).expect("an accepted policy reads back"), policy);
        let openings = policy.openings(&book).expect("an accepted policy has openings");
        let table = parapet_harden::firewall::render(&openings);
        assert!(table.contains("policy drop"));
    }
    for (protocol, v6) in [(Protocol::Tcp, false), (Protocol::Tcp, true), (Protocol::Udp, false), (Protocol::Udp, true)] {
        let _ = parapet_harden::net::parse(&text, protocol, v6);
    }
});
