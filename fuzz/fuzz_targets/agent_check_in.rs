//! What agents send: a check-in's JSON and the `KEY=VALUE` tags they are enrolled with. Whatever
//! the bytes, decoding and checking return a value or an error naming the field, never panic; a
//! report that passes its checks survives a round trip through JSON unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;
use parapet_model::fleet::{CheckIn, Tag};

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = serde_json::from_slice::<CheckIn>(data)
        && report.validate().is_ok()
    {
        let again: CheckIn = serde_json::from_slice(&serde_json::to_vec(&report).unwrap()).unwrap();
        assert_eq!(again, report);
    }
    let text = String::from_utf8_lossy(data);
    for line in text.lines() {
        if let Ok(tag) = line.parse::<Tag>() {
            // A tag that was accepted reads back as itself.
            assert_eq!(tag.to_string().parse::<Tag>().unwrap(), tag);
        }
    }
});
