//! One `Change { field, old, new }` for the three places Freshworks puts
//! changes, in their two orders:
//! - Freshdesk `data.ticket.changes` / `data.contact.changes`: `{field: [old, new]}`
//! - Freshchat and agent `data.changes.model_changes`: `{field: [old, new]}`
//! - Freshcaller `data.changes`: `{field: [new, old]}` (as its seed documents)

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

impl Change {
    /// The side as an id-like string (`320`, `"abc"`), `None` for null.
    pub fn old_text(&self) -> Option<String> {
        value_text(&self.old)
    }

    pub fn new_text(&self) -> Option<String> {
        value_text(&self.new)
    }
}

pub(crate) fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The order of the two-element arrays in a changes map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairOrder {
    OldNew,
    NewOld,
}

/// A changes map whose order is not known until the event name is: the
/// Freshcaller form sits at the same place (`data.changes`) as the Freshchat
/// one. Kept as raw pairs and normalised by [`RawChanges::normalise`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawChanges {
    /// Entries of `model_changes`, always `[old, new]`.
    pub model: Vec<(String, Value, Value)>,
    /// Entries directly in the map, order decided by the family.
    pub direct: Vec<(String, Value, Value)>,
}

impl RawChanges {
    pub fn normalise(self, direct_order: PairOrder) -> Vec<Change> {
        let mut out: Vec<Change> = self
            .model
            .into_iter()
            .map(|(field, a, b)| pair(field, a, b, PairOrder::OldNew))
            .collect();
        out.extend(
            self.direct
                .into_iter()
                .map(|(f, a, b)| pair(f, a, b, direct_order)),
        );
        out
    }
}

fn pair(field: String, a: Value, b: Value, order: PairOrder) -> Change {
    match order {
        PairOrder::OldNew => Change {
            field,
            old: a,
            new: b,
        },
        PairOrder::NewOld => Change {
            field,
            old: b,
            new: a,
        },
    }
}

/// Reads one entry's value: a `[x, y]` pair, or anything else as `(null, v)`
/// so that nothing the payload said is dropped.
fn split_pair(v: Value) -> (Value, Value) {
    match v {
        Value::Array(mut items) if items.len() == 2 => {
            let second = items.pop().unwrap_or(Value::Null);
            let first = items.pop().unwrap_or(Value::Null);
            (first, second)
        }
        other => (Value::Null, other),
    }
}

/// `{field: [old, new]}` as Freshdesk writes it inside a ticket or contact.
pub fn old_new<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Change>, D::Error> {
    let raw = Option::<ChangeMap>::deserialize(d)?.unwrap_or_default();
    Ok(raw
        .0
        .into_iter()
        .map(|(f, v)| {
            let (a, b) = split_pair(v);
            pair(f, a, b, PairOrder::OldNew)
        })
        .collect())
}

#[derive(Default)]
struct ChangeMap(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for ChangeMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ChangeMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of field to [old, new]")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ChangeMap, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    out.push((k, v));
                }
                Ok(ChangeMap(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for RawChanges {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawChanges;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a changes object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawChanges, A::Error> {
                let mut out = RawChanges::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "model_changes" => {
                            let inner = map.next_value::<Option<ChangeMap>>()?;
                            for (f, v) in inner.unwrap_or_default().0 {
                                let (a, b) = split_pair(v);
                                out.model.push((f, a, b));
                            }
                        }
                        // Freshchat's siblings of model_changes: nothing we use.
                        "misc_changes" | "system_changes" => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                        _ => {
                            let (a, b) = split_pair(map.next_value::<Value>()?);
                            out.direct.push((key, a, b));
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}
