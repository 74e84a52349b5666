//! Version strings come from advisories, package databases and scanned hosts: whatever the
//! bytes, comparing them, reading `vers` and CSAF ranges and evaluating OSV events must answer
//! or refuse, never panic. Comparisons must also be an order: reflexive and antisymmetric.

#![no_main]

use libfuzzer_sys::fuzz_target;
use parapet_versions::csaf::ProductVersionRange;
use parapet_versions::osv::{Event, Range};
use parapet_versions::vers::Vers;
use parapet_versions::Scheme;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the scheme; the rest is two versions separated by a newline.
    let Some((&selector, rest)) = data.split_first() else { return };
    let scheme = Scheme::ALL[usize::from(selector) % Scheme::ALL.len()];
    let text = String::from_utf8_lossy(rest);
    let (a, b) = text.split_once('\n').unwrap_or((&text, ""));

    if let (Ok(ab), Ok(ba)) = (scheme.compare(a, b), scheme.compare(b, a)) {
        assert_eq!(ab, ba.reverse(), "{scheme}: {a:?} vs {b:?}");
    }
    if let Ok(order) = scheme.compare(a, a) {
        assert!(order.is_eq(), "{scheme}: {a:?} is not equal to itself");
    }

    if let Ok(vers) = Vers::parse(&text) {
        let _ = vers.contains(a);
        let _ = vers.to_string();
    }
    if let Ok(range) = ProductVersionRange::parse(a, scheme) {
        let _ = range.contains(b);
    }
    let events = vec![Event::Introduced(a.to_owned()), Event::Fixed(b.to_owned()), Event::Limit("*".to_owned())];
    if let Ok(range) = Range::new(scheme, events) {
        let _ = range.affects(a);
        let _ = range.affects(b);
    }
});
