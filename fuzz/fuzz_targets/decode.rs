//! Any bytes through decode, dedupe, board and rules: a result, never a panic.
//! Run from fuzz/: cargo +nightly fuzz run decode corpus ../tests/fixtures/freshdesk
//! (after `cargo install cargo-fuzz`); the fixture folders seed the corpus.
#![no_main]

use deskbell_core::pipeline::Classifier;
use deskbell_core::rules::{Identity, Rules};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = deskbell_core::decode(data);
    let mut c = Classifier::new(Rules::default(), Identity::from_strings(&["320".into(), "a@b.c".into()]));
    let now = chrono::DateTime::from_timestamp(1_763_629_673, 0).unwrap_or_default();
    let _ = c.classify_bytes(data, now);
    let _ = c.classify_bytes(data, now);
});
