//! Bounded-memory dedupe: remembers fingerprints for a time window, and at
//! most `capacity` of them (oldest forgotten first).

use std::collections::{HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::{DateTime, Duration, Utc};

use crate::event::{DecodedEvent, Event};

#[derive(Debug)]
pub struct Dedupe {
    capacity: usize,
    window: Duration,
    order: VecDeque<(u64, DateTime<Utc>)>,
    seen: HashSet<u64>,
}

impl Dedupe {
    pub fn new(capacity: usize, window: Duration) -> Self {
        Dedupe {
            capacity: capacity.max(1),
            window,
            order: VecDeque::new(),
            seen: HashSet::new(),
        }
    }

    /// True the first time `fingerprint` is offered within the window.
    pub fn first_time(&mut self, fingerprint: u64, now: DateTime<Utc>) -> bool {
        while self
            .order
            .front()
            .is_some_and(|&(_, at)| at + self.window <= now)
        {
            self.forget_oldest();
        }
        if self.seen.contains(&fingerprint) {
            return false;
        }
        // Room is made only for something new: a duplicate evicts nothing.
        while self.order.len() >= self.capacity {
            self.forget_oldest();
        }
        self.seen.insert(fingerprint);
        self.order.push_back((fingerprint, now));
        true
    }

    fn forget_oldest(&mut self) {
        if let Some((fp, _)) = self.order.pop_front() {
            self.seen.remove(&fp);
        }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// What is remembered, oldest first: what a restart needs to remember.
    pub fn remembered(&self) -> impl Iterator<Item = (u64, DateTime<Utc>)> + '_ {
        self.order.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// A stable 64-bit fingerprint (SipHash with fixed keys, same in every run).
pub fn fingerprint(value: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// What makes two deliveries "the same event": Xelion's repeated hangup is
/// the same (callId, type); anything else is the same when everything we
/// decoded from it is, which also catches byte-different redeliveries.
pub fn event_fingerprint(ev: &DecodedEvent) -> u64 {
    let mut h = DefaultHasher::new();
    match &ev.event {
        Event::Xelion(x) if x.call.call_id.is_some() => {
            (
                "xelion",
                x.kind.as_str(),
                x.call.call_id.as_ref().map(|c| c.as_str()),
            )
                .hash(&mut h);
        }
        Event::Unknown { name, raw } => ("unknown", name, raw.get()).hash(&mut h),
        _ => {
            // Serialising a decoded event cannot fail: no maps with non-string
            // keys. Into one buffer, hashed once: SipHash fed the serialiser's
            // many small pieces was most of `deskbell check`'s time.
            let mut buf = Vec::with_capacity(1024);
            let _ = serde_json::to_writer(&mut buf, ev);
            h.write(&buf);
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
    }

    #[test]
    fn remembers_within_window_and_forgets_after() {
        let mut d = Dedupe::new(100, Duration::seconds(60));
        assert!(d.first_time(1, t(0)));
        assert!(!d.first_time(1, t(59)));
        assert!(d.first_time(1, t(61)));
    }

    #[test]
    fn memory_is_bounded() {
        let mut d = Dedupe::new(3, Duration::days(1));
        for fp in 0..10 {
            assert!(d.first_time(fp, t(0)));
        }
        assert_eq!(d.len(), 3);
        // The oldest were forgotten, the newest are remembered.
        assert!(!d.first_time(9, t(1)));
        assert!(d.first_time(0, t(1)));
    }

    #[test]
    fn a_duplicate_does_not_push_anything_out() {
        let mut d = Dedupe::new(3, Duration::days(1));
        for fp in 0..3 {
            assert!(d.first_time(fp, t(0)));
        }
        for _ in 0..5 {
            assert!(!d.first_time(2, t(1)));
        }
        // All three are still remembered.
        assert!(!d.first_time(0, t(1)));
        assert_eq!(d.len(), 3);
    }
}
