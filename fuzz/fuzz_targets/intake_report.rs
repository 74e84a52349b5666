//! The researcher intake decoder is the one parser anyone on the internet reaches without an
//! account: whatever the bytes, it must answer with a report or an error, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parapet_server::cases::intake::decode_report(data);
    // Staff case edits share the JSON decoder and the field validation behind it.
    if let Ok(draft) = parapet_server::extract::decode::<parapet_model::CaseDraft>(data) {
        let _ = draft.apply(&parapet_model::CaseFields::default());
    }
});
