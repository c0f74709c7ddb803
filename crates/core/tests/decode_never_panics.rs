//! Property tests: the decoder returns a result for any input, never panics.

use deskbell_core::decode;
use proptest::prelude::*;

mod common;
use common::payloadish::payloadish;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn payload_shaped_json_never_panics(v in payloadish(), name in prop::sample::select(vec![
        "onTicketCreate", "onTicketUpdate", "onConversationCreate", "onConversationUpdate", "onContactCreate",
        "onContactUpdate", "onCallCreate", "onCallUpdate", "onPhoneCallCreate", "onPhoneCallUpdate",
        "onAgentUpdate", "missedCallEvent", "callHungUpEvent", "somethingElse",
    ])) {
        let mut v = v;
        if let Some(obj) = v.as_object_mut() {
            obj.insert("event".into(), serde_json::Value::from(name));
        }
        let bytes = serde_json::to_vec(&v).unwrap();
        let _ = decode(&bytes);
    }

    #[test]
    fn fixture_mutations_never_panic(cut in 0usize..4000, byte in any::<u8>()) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/freshdesk/ticket-create.json");
        let mut bytes = std::fs::read(path).unwrap();
        let i = cut % bytes.len();
        bytes[i] = byte;
        let _ = decode(&bytes);
        let _ = decode(&bytes[..i]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    /// The fast path for timestamps reads exactly what chrono's general
    /// parsers read: the same instant, or nothing where they fail too.
    #[test]
    fn timestamps_parse_the_same_on_the_fast_path(
        year in 0u32..10000, month in 0u32..14, day in 0u32..33,
        hour in 0u32..26, minute in 0u32..62, second in 0u32..62,
        sep in prop::sample::select(vec!["T", " ", "_"]),
        suffix in prop::sample::select(vec!["", "Z", " UTC", "+00:00", " +0000", "+05:30", ".5Z", " utc", "Z "]),
    ) {
        let text = format!("{year:04}-{month:02}-{day:02}{sep}{hour:02}:{minute:02}:{second:02}{suffix}");
        let fast = deskbell_core::wire::Timestamp::parse_str(&text);
        let general = deskbell_core::wire::Timestamp::parse_str_general(&text);
        prop_assert_eq!(fast, general, "{}", text);
    }
}
