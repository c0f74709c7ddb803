//! Generated JSON shaped like payloads: the keys the decoder looks for, at
//! any depth, with leaves of every JSON type. For the property tests.

use proptest::prelude::*;

/// JSON values shaped like payloads, keys at the places the decoder looks.
pub fn payloadish() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        "[a-zA-Z0-9 :+.-]{0,24}".prop_map(serde_json::Value::from),
        Just(serde_json::Value::from("2022-08-29 18:45:26 UTC")),
    ];
    let keys = prop::sample::select(vec![
        "event",
        "events",
        "notificationType",
        "data",
        "ticket",
        "requester",
        "call",
        "phone_call",
        "agent",
        "actor",
        "associations",
        "user",
        "conversation",
        "contact",
        "changes",
        "model_changes",
        "participants",
        "id",
        "name",
        "email",
        "subject",
        "priority",
        "status",
        "spam",
        "direction",
        "call_status",
        "participant_type",
        "created_at",
        "timestamp",
        "domain",
        "account_id",
        "notification",
        "oid",
        "callId",
        "teams",
        "tags",
        "ticket_id",
        "root_call_id",
    ]);
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map(keys.clone(), inner, 0..6).prop_map(|m| {
                serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}
