//! Any bytes through decode, dedupe, board and rules: a result, never a panic;
//! and the fast and the careful decode paths give the same event or error.
//! Run from fuzz/: cargo +nightly fuzz run decode corpus ../tests/fixtures/freshdesk
//! (after `cargo install cargo-fuzz`); the fixture folders seed the corpus.
#![no_main]

use deskbell_core::pipeline::Classifier;
use deskbell_core::rules::{Identity, Rules};
use libfuzzer_sys::fuzz_target;

fn outcome(
    r: Result<deskbell_core::DecodedEvent<'_>, deskbell_core::DecodeError>,
) -> Result<String, &'static str> {
    match r {
        Ok(ev) => Ok(serde_json::to_string(&ev).unwrap_or_default()),
        // Where serde_json places a syntax error depends on what it read.
        Err(e) if e.code() == "invalid_json" => Err("invalid_json"),
        Err(e) => Ok(e.to_string()),
    }
}

fuzz_target!(|data: &[u8]| {
    assert_eq!(
        outcome(deskbell_core::decode(data)),
        outcome(deskbell_core::event::decode_carefully(data))
    );
    let mut c = Classifier::new(Rules::default(), Identity::from_strings(&["320".into(), "a@b.c".into()]));
    let now = chrono::DateTime::from_timestamp(1_763_629_673, 0).unwrap_or_default();
    let _ = c.classify_bytes(data, now);
    let _ = c.classify_bytes(data, now);
});
