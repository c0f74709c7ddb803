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

/// One entry's value: a `[x, y]` pair, or anything else as `(null, v)` so
/// that nothing the payload said is dropped. Read straight from the input:
/// a pair builds its two sides and no array around them.
struct Pair(Value, Value);

impl<'de> Deserialize<'de> for Pair {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pair;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Pair, A::Error> {
                let Some(first) = seq.next_element::<Value>()? else {
                    return Ok(Pair(Value::Null, Value::Array(Vec::new())));
                };
                let Some(second) = seq.next_element::<Value>()? else {
                    return Ok(Pair(Value::Null, Value::Array(vec![first])));
                };
                let Some(third) = seq.next_element::<Value>()? else {
                    return Ok(Pair(first, second));
                };
                // Not a pair: kept whole.
                let mut items = vec![first, second, third];
                while let Some(more) = seq.next_element::<Value>()? {
                    items.push(more);
                }
                Ok(Pair(Value::Null, Value::Array(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Pair, A::Error> {
                let v = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Pair(Value::Null, v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Pair, E> {
                Ok(Pair(Value::Null, Value::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Pair, E> {
                Ok(Pair(Value::Null, Value::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Pair, E> {
                Ok(Pair(Value::Null, Value::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Pair, E> {
                Ok(Pair(Value::Null, Value::from(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Pair, E> {
                Ok(Pair(Value::Null, Value::String(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Pair, E> {
                Ok(Pair(Value::Null, Value::String(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Pair, E> {
                Ok(Pair(Value::Null, Value::Null))
            }
            fn visit_none<E: de::Error>(self) -> Result<Pair, E> {
                Ok(Pair(Value::Null, Value::Null))
            }
        }
        d.deserialize_any(V)
    }
}

/// `{field: [old, new]}` as Freshdesk writes it inside a ticket or contact.
pub fn old_new<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Change>, D::Error> {
    let raw = Option::<ChangeMap>::deserialize(d)?.unwrap_or_default();
    Ok(raw
        .0
        .into_iter()
        .map(|(f, Pair(a, b))| pair(f, a, b, PairOrder::OldNew))
        .collect())
}

#[derive(Default)]
struct ChangeMap(Vec<(String, Pair)>);

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
                while let Some((k, v)) = map.next_entry::<String, Pair>()? {
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
                            for (f, Pair(a, b)) in inner.unwrap_or_default().0 {
                                out.model.push((f, a, b));
                            }
                        }
                        // Freshchat's siblings of model_changes: nothing we use.
                        "misc_changes" | "system_changes" => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                        _ => {
                            let Pair(a, b) = map.next_value()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_pair_is_two_sides_and_anything_else_is_kept_as_the_new_side() {
        let text = r#"{"a":[1,"x"],"b":[1],"c":[1,2,3],"d":"x","e":{"k":[1]},"f":null,"g":[],"h":[[1],{"k":2}]}"#;
        let mut de = serde_json::Deserializer::from_str(text);
        let changes = old_new(&mut de).unwrap();
        let seen: Vec<(&str, Value, Value)> = changes
            .iter()
            .map(|c| (c.field.as_str(), c.old.clone(), c.new.clone()))
            .collect();
        assert_eq!(
            seen,
            [
                ("a", json!(1), json!("x")),
                ("b", Value::Null, json!([1])),
                ("c", Value::Null, json!([1, 2, 3])),
                ("d", Value::Null, json!("x")),
                ("e", Value::Null, json!({"k": [1]})),
                ("f", Value::Null, Value::Null),
                ("g", Value::Null, json!([])),
                ("h", json!([1]), json!({"k": 2})),
            ]
        );
    }
}
