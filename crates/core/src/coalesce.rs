//! Bursts become one summary. The first notification of a kind is shown at
//! once; more of that kind within `window` are collected and shown together
//! when the window ends ("12 new tickets"), so one event costs no latency and
//! a storm costs one popup per window.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::l10n::Locale;
use crate::notification::{Kind, Notification};
use crate::schedule::HeldSummary;

/// What the sinks show.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Delivery {
    Single(Notification),
    Burst {
        kind: Kind,
        items: Vec<Notification>,
    },
    Held(HeldSummary),
    /// Take back the notification shown for `key`, if it is still on
    /// screen: it turns into `title` and closes.
    Withdrawn {
        key: String,
        title: String,
    },
}

impl Delivery {
    /// The popup's title in `l`'s language (a single notification's own
    /// was written in it already).
    pub fn title(&self, l: &Locale) -> String {
        match self {
            Delivery::Single(n) => n.title.clone(),
            Delivery::Burst { kind, items } => kind.plural(items.len(), l),
            Delivery::Held(h) => h.reason.while_phrase(l),
            Delivery::Withdrawn { title, .. } => title.clone(),
        }
    }

    pub fn body(&self, l: &Locale) -> String {
        match self {
            Delivery::Single(n) => n.body.clone(),
            Delivery::Burst { items, .. } => {
                let mut titles: Vec<&str> =
                    items.iter().take(3).map(|n| n.title.as_str()).collect();
                if items.len() > 3 {
                    titles.push("…");
                }
                titles.join("\n")
            }
            Delivery::Held(h) => h
                .counts
                .iter()
                .map(|(kind, n)| kind.plural(*n, l))
                .collect::<Vec<_>>()
                .join(", "),
            Delivery::Withdrawn { .. } => String::new(),
        }
    }

    /// What is new to show (and to keep in the feed); none for a withdrawal.
    pub fn notifications(&self) -> &[Notification] {
        match self {
            Delivery::Single(n) => std::slice::from_ref(n),
            Delivery::Burst { items, .. } => items,
            Delivery::Held(h) => &h.items,
            Delivery::Withdrawn { .. } => &[],
        }
    }
}

#[derive(Debug)]
struct Window {
    opened: DateTime<Utc>,
    pending: Vec<Notification>,
}

#[derive(Debug)]
pub struct Coalescer {
    window: Duration,
    open: BTreeMap<Kind, Window>,
}

impl Coalescer {
    pub fn new(window: Duration) -> Self {
        Coalescer {
            window,
            open: BTreeMap::new(),
        }
    }

    pub fn push(&mut self, n: Notification, now: DateTime<Utc>) -> Vec<Delivery> {
        let mut out = self.tick(now);
        match self.open.get_mut(&n.kind) {
            Some(w) => w.pending.push(n),
            None => {
                self.open.insert(
                    n.kind,
                    Window {
                        opened: now,
                        pending: Vec::new(),
                    },
                );
                out.push(Delivery::Single(n));
            }
        }
        out
    }

    /// Flushes windows that ended by `now`. A window that collected something
    /// reopens, so a continuing storm keeps coalescing.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Delivery> {
        let mut out = Vec::new();
        let window = self.window;
        self.open.retain(|kind, w| {
            if w.opened + window > now {
                return true;
            }
            match w.pending.len() {
                0 => false,
                1 => {
                    out.extend(w.pending.pop().map(Delivery::Single));
                    w.opened = now;
                    true
                }
                _ => {
                    out.push(Delivery::Burst {
                        kind: *kind,
                        items: std::mem::take(&mut w.pending),
                    });
                    w.opened = now;
                    true
                }
            }
        });
        out
    }

    /// Drops what waits in a burst for the item `key`.
    pub fn withdraw(&mut self, key: &str) {
        for w in self.open.values_mut() {
            w.pending.retain(|n| n.key != key);
        }
    }

    /// When the next `tick` has something to do.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        self.open.values().map(|w| w.opened + self.window).min()
    }
}
