//! Tolerant primitives for Freshworks and Xelion payloads: ids that arrive as
//! numbers or strings, dates in four forms, domains with or without a scheme.
//! Each is a small newtype with its own `Deserialize`, so the typed models can
//! stay declarative.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use compact_str::CompactString;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// An identifier that Freshworks sends as a number in one product and a
/// string in another (`account_id`, agent ids, uuids). Kept as text,
/// inline up to 24 bytes: decoding a payload's ids allocates nothing.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(CompactString);

impl Id {
    pub fn new(s: impl AsRef<str>) -> Self {
        Id(CompactString::new(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor("an id (number or string)"))
            .map(Id)
    }
}

/// Text that some payloads send as a number: phone numbers (`"mobile":
/// 7654367287`), names. Numbers are kept as their decimal digits. Inline up
/// to 24 bytes, as `Id`.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Text(CompactString);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(s.into())
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor("text (string or number)"))
            .map(Text)
    }
}

/// Free text as the payload sent it (a subject, a reply's body, a tag):
/// borrowed from the input bytes unless it had escapes, so decoding copies
/// nothing a rule may never read. [`Str::into_owned`] is for what outlives
/// the input (the event kept past its bytes). Reads strings only, as
/// `String` does, with the same error.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Str<'a>(pub std::borrow::Cow<'a, str>);

impl Str<'_> {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_owned(self) -> Str<'static> {
        Str(std::borrow::Cow::Owned(self.0.into_owned()))
    }
}

impl std::ops::Deref for Str<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Str<'_> {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Str<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl From<String> for Str<'_> {
    fn from(s: String) -> Self {
        Str(std::borrow::Cow::Owned(s))
    }
}

impl<'a> From<&'a str> for Str<'a> {
    fn from(s: &'a str) -> Self {
        Str(std::borrow::Cow::Borrowed(s))
    }
}

impl fmt::Debug for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Str<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(std::borrow::Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(std::borrow::Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// What `Text` and `Id` read; the fast decoder's event names too.
pub(crate) struct TextVisitor(pub(crate) &'static str);

impl Visitor<'_> for TextVisitor {
    type Value = CompactString;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(CompactString::new(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    // Most ids arrive as numbers: itoa skips the formatting machinery.
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(CompactString::new(itoa::Buffer::new().format(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(CompactString::new(itoa::Buffer::new().format(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // 1.0e3 style numbers only make sense as ids when integral.
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            Ok(CompactString::new(itoa::Buffer::new().format(v as i64)))
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
}

/// A small integer code (status, priority, source) that may arrive as a
/// number or a numeric string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Code(pub i64);

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Code;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer code")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Code, E> {
                i64::try_from(v)
                    .map(Code)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Code, E> {
                Ok(Code(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Code, E> {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(Code(v as i64))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Code, E> {
                v.trim()
                    .parse()
                    .map(Code)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

/// A point in time as Freshworks writes it: RFC 3339 (`2015-07-09T13:08:06Z`,
/// `2017-01-17T17:52:18+05:30`), `2022-08-29 18:45:26 UTC`, or an epoch as an
/// integer or a float (seconds; milliseconds when it is too large to be
/// seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

/// Epochs above this are taken as milliseconds (year 5138 in seconds).
const MILLIS_THRESHOLD: f64 = 1.0e11;

impl Timestamp {
    /// Parses the text forms; `None` names nothing, the caller says what failed.
    pub fn parse_str(s: &str) -> Option<Timestamp> {
        let s = s.trim();
        // Nearly every timestamp on the wire is UTC to the second; chrono's
        // general parsers (a format string read per call) are the slow path.
        if let Some(t) = Self::parse_utc_seconds(s) {
            return Some(t);
        }
        Self::parse_any(s)
    }

    /// `YYYY-MM-DD?HH:MM:SS` (`T` or a space) then `Z`, ` UTC`, `+00:00`,
    /// ` +0000` or nothing, as the general parsers pair them; `None` for
    /// anything else, left to `parse_any`.
    fn parse_utc_seconds(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        if b.len() < 19 {
            return None;
        }
        // The pairs the general parsers accept, and no others.
        match (b[10], &b[19..]) {
            (b'T' | b' ', b"" | b"Z") | (b' ', b" UTC" | b" +0000") | (b'T', b"+00:00") => {}
            _ => return None,
        }
        let num = |range: std::ops::Range<usize>| -> Option<u32> {
            b[range].iter().try_fold(0u32, |n, d| {
                d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
            })
        };
        let seps = b[4] == b'-' && b[7] == b'-' && b[13] == b':' && b[16] == b':';
        if !seps {
            return None;
        }
        let year = i32::try_from(num(0..4)?).ok()?;
        let date = chrono::NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?)?;
        let time = chrono::NaiveTime::from_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
        Some(Timestamp(Utc.from_utc_datetime(&date.and_time(time))))
    }

    /// The general parsers alone, without the fast path: what the fast
    /// path is tested against (tests/decode_never_panics.rs).
    #[doc(hidden)]
    pub fn parse_str_general(s: &str) -> Option<Timestamp> {
        Self::parse_any(s.trim())
    }

    fn parse_any(s: &str) -> Option<Timestamp> {
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Some(Timestamp(t.with_timezone(&Utc)));
        }
        for (suffix, format) in [
            (" UTC", "%Y-%m-%d %H:%M:%S%.f"),
            (" +0000", "%Y-%m-%d %H:%M:%S%.f"),
            ("Z", "%Y-%m-%d %H:%M:%S%.f"),
            ("", "%Y-%m-%d %H:%M:%S%.f"),
            ("", "%Y-%m-%dT%H:%M:%S%.f"),
        ] {
            if let Some(body) = s.strip_suffix(suffix) {
                if let Ok(t) = NaiveDateTime::parse_from_str(body, format) {
                    return Some(Timestamp(Utc.from_utc_datetime(&t)));
                }
            }
        }
        if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f %z") {
            return Some(Timestamp(t.with_timezone(&Utc)));
        }
        if let Ok(n) = s.parse::<f64>() {
            return Timestamp::from_epoch(n);
        }
        None
    }

    pub fn from_epoch(n: f64) -> Option<Timestamp> {
        if !n.is_finite() || n < 0.0 {
            return None;
        }
        let millis = if n >= MILLIS_THRESHOLD { n } else { n * 1000.0 };
        DateTime::from_timestamp_millis(millis.round() as i64).map(Timestamp)
    }

    pub fn to_rfc3339(self) -> String {
        self.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date (RFC 3339, \"YYYY-MM-DD HH:MM:SS UTC\" or an epoch)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                self.visit_f64(v as f64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
                Timestamp::from_epoch(v)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse_str(v)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for LenientTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// A date that is informative but never needed: a value in no known form is
/// kept as `None` instead of failing the whole event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LenientTime(pub Option<Timestamp>);

impl<'de> Deserialize<'de> for LenientTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientTime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date or anything else")
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientTime, E> {
                Ok(LenientTime(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<LenientTime, E> {
                Ok(LenientTime(None))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientTime, E> {
                Ok(LenientTime(Timestamp::from_epoch(v as f64)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientTime, E> {
                Ok(LenientTime(Timestamp::from_epoch(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LenientTime, E> {
                Ok(LenientTime(Timestamp::from_epoch(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientTime, E> {
                Ok(LenientTime(Timestamp::parse_str(v)))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<LenientTime, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(LenientTime(None))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<LenientTime, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(LenientTime(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A helpdesk's host name, normalised: scheme, path and trailing dots removed,
/// lower-cased. `http://sample.freshdesk.com/` becomes `sample.freshdesk.com`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Domain(CompactString);

impl Serialize for Domain {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl Domain {
    /// `None` when nothing that could be a host name is left.
    pub fn parse(raw: &str) -> Option<Domain> {
        let s = raw.trim();
        // A scheme, in either case, is dropped: `https://x/` names `x`.
        let start = ["https://", "http://"]
            .into_iter()
            .find(|scheme| {
                s.len() >= scheme.len()
                    && s.as_bytes()[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes())
            })
            .map_or(0, str::len);
        let rest = &s.as_bytes()[start..];
        let end = start + memchr::memchr3(b'/', b'?', b'#', rest).unwrap_or(rest.len());
        // Every cut is at an ASCII byte, so on a char boundary.
        let host = s.get(start..end)?.trim_end_matches('.');
        let valid = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':');
        valid.then(|| {
            let mut host = CompactString::new(host);
            host.make_ascii_lowercase();
            Domain(host)
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn id_from_number_and_string_compare_equal() {
        let a: Id = serde_json::from_str("13").unwrap();
        let b: Id = serde_json::from_str("\"13\"").unwrap();
        assert_eq!(a, b);
        let u: Id = serde_json::from_str("\"2823233e-7122-4f87-9d56-38aaaaeb676a\"").unwrap();
        assert_eq!(u.as_str(), "2823233e-7122-4f87-9d56-38aaaaeb676a");
        assert!(serde_json::from_str::<Id>("true").is_err());
        assert!(serde_json::from_str::<Id>("1.5").is_err());
    }

    #[test]
    fn text_accepts_numbers() {
        let t: Text = serde_json::from_str("7654367287").unwrap();
        assert_eq!(t.as_str(), "7654367287");
    }

    #[test]
    fn code_accepts_numeric_strings_only() {
        assert_eq!(serde_json::from_str::<Code>("3").unwrap(), Code(3));
        assert_eq!(serde_json::from_str::<Code>("\"3\"").unwrap(), Code(3));
        assert!(serde_json::from_str::<Code>("\"high\"").is_err());
    }

    #[test]
    fn timestamp_forms_agree() {
        let want = ts("\"2017-01-16T09:12:13Z\"");
        assert_eq!(ts("1484557933"), want);
        assert_eq!(ts("1484557933.0"), want);
        assert_eq!(ts("1484557933000"), want);
        assert_eq!(ts("\"2017-01-16 09:12:13 UTC\""), want);
        assert_eq!(ts("\"2017-01-16T14:42:13+05:30\""), want);
        assert_eq!(ts("\"1484557933\""), want);
    }

    #[test]
    fn float_epoch_keeps_milliseconds() {
        let t = ts("1661798726.25");
        assert_eq!(t.0.timestamp_millis(), 1_661_798_726_250);
    }

    #[test]
    fn timestamp_rejects_nonsense() {
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
        assert!(serde_json::from_str::<Timestamp>("-5").is_err());
    }

    #[test]
    fn lenient_time_keeps_none_for_nonsense() {
        let t: LenientTime = serde_json::from_str("\"soon\"").unwrap();
        assert_eq!(t, LenientTime(None));
        let t: LenientTime = serde_json::from_str("1484557933").unwrap();
        assert!(t.0.is_some());
    }

    #[test]
    fn domain_with_or_without_scheme() {
        for raw in [
            "sample.freshdesk.com",
            "http://sample.freshdesk.com",
            "https://Sample.Freshdesk.com/",
            " sample.freshdesk.com/a/tickets/1 ",
        ] {
            assert_eq!(
                Domain::parse(raw).unwrap().as_str(),
                "sample.freshdesk.com",
                "{raw}"
            );
        }
        assert_eq!(Domain::parse("http://"), None);
        assert_eq!(Domain::parse("evil.com\"><script>"), None);
    }
}
