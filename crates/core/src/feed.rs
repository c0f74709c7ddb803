//! The window's feed: recent notifications, newest first, kept across
//! restarts (bounded), each with the link that opens its item; and, on top,
//! what arrived while the agent was away (on a call, in quiet hours or
//! do-not-disturb). Fed by the deliveries the sinks show, in the same order.

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::coalesce::Delivery;
use crate::notification::Kind;
use crate::schedule::HoldReason;

/// Items kept; older ones drop off.
pub const FEED_CAPACITY: usize = 200;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedItem {
    /// Increases by one per item, across restarts.
    pub id: u64,
    pub kind: Kind,
    pub title: String,
    pub body: String,
    /// Already checked against the source's domains by the pipeline.
    pub url: Option<String>,
    pub shown_at: DateTime<Utc>,
    /// Held back while the agent was away, and shown in a summary.
    pub held: Option<HoldReason>,
}

/// What arrived while the agent was away, from the last released hold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AwaySummary {
    pub reason: HoldReason,
    pub counts: BTreeMap<Kind, usize>,
    pub released_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Feed {
    items: VecDeque<FeedItem>,
    next_id: u64,
    away: Option<AwaySummary>,
}

impl Feed {
    /// Records what a delivery showed; returns the new items, newest first.
    pub fn record(&mut self, delivery: &Delivery, now: DateTime<Utc>) -> Vec<FeedItem> {
        let held = match delivery {
            Delivery::Held(summary) => {
                self.away = Some(AwaySummary {
                    reason: summary.reason,
                    counts: summary.counts.clone(),
                    released_at: now,
                });
                Some(summary.reason)
            }
            _ => None,
        };
        let mut added = Vec::new();
        for n in delivery.notifications() {
            let item = FeedItem {
                id: self.next_id,
                kind: n.kind,
                title: n.title.clone(),
                body: n.body.clone(),
                url: n.url.clone(),
                shown_at: now,
                held,
            };
            self.next_id += 1;
            self.items.push_front(item.clone());
            added.push(item);
        }
        self.items.truncate(FEED_CAPACITY);
        added.reverse();
        added
    }

    pub fn newest_first(&self) -> impl Iterator<Item = &FeedItem> {
        self.items.iter()
    }

    pub fn get(&self, id: u64) -> Option<&FeedItem> {
        self.items.iter().find(|i| i.id == id)
    }

    pub fn away(&self) -> Option<&AwaySummary> {
        self.away.as_ref()
    }

    /// The agent has read the away summary.
    pub fn dismiss_away(&mut self) {
        self.away = None;
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// `feed.json` in the state dir, written atomically. A damaged file costs
/// the history only: it is reported and replaced on the next save.
#[derive(Clone, Debug)]
pub struct FeedStore {
    path: PathBuf,
}

impl FeedStore {
    pub fn at(path: impl Into<PathBuf>) -> Self {
        FeedStore { path: path.into() }
    }

    pub fn default_location() -> Option<Self> {
        crate::resume::state_dir().map(|d| FeedStore::at(d.join("feed.json")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn load(&self) -> Feed {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                let mut feed: Feed = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                    tracing::warn!(path = %self.path.display(), "feed unreadable ({e}); starting empty");
                    Feed::default()
                });
                feed.items.truncate(FEED_CAPACITY);
                feed
            }
            Err(_) => Feed::default(),
        }
    }

    pub fn save(&self, feed: &Feed) -> io::Result<()> {
        let bytes = serde_json::to_vec(feed).map_err(io::Error::other)?;
        crate::config::write_atomically(&self.path, &bytes)
    }
}
