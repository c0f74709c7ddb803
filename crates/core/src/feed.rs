//! The window's feed: recent notifications, newest first, kept across
//! restarts (bounded), each with the link that opens its item; and, on top,
//! what arrived while the agent was away (on a call, in quiet hours or
//! do-not-disturb). Fed by the deliveries the sinks show, in the same order.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::actions::Action;
use crate::coalesce::Delivery;
use crate::notification::{Kind, Notification};
use crate::schedule::HoldReason;
use crate::state_file::StateFile;

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
    /// The thing it is about (the notification's key): the newest item of
    /// a key carries its buttons, older ones none.
    #[serde(default)]
    pub key: String,
    /// What the agent can do from the row, as from the popup.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
    /// The account it came from, where its actions go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

impl FeedItem {
    /// The notification it shows, for carrying out one of its actions.
    pub fn notification(&self) -> Notification {
        Notification {
            kind: self.kind,
            key: self.key.clone(),
            dedupe_key: String::new(),
            title: self.title.clone(),
            body: self.body.clone(),
            url: self.url.clone(),
            urgency: crate::notification::Urgency::Normal,
            at: Some(crate::wire::Timestamp(self.shown_at)),
            actions: self.actions.clone(),
            account: self.account.clone(),
        }
    }
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
    #[serde(deserialize_with = "bounded")]
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
            // A later word on the same thing (an outcome, an update, a
            // reminder) takes the buttons over.
            for old in self.items.iter_mut().filter(|i| i.key == n.key) {
                old.actions.clear();
            }
            let item = FeedItem {
                id: self.next_id,
                kind: n.kind,
                title: n.title.clone(),
                body: n.body.clone(),
                url: n.url.clone(),
                shown_at: now,
                held,
                key: n.key.clone(),
                actions: n.actions.clone(),
                account: n.account.clone(),
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

/// A feed file edited by hand keeps its newest items only.
fn bounded<'de, D: serde::Deserializer<'de>>(d: D) -> Result<VecDeque<FeedItem>, D::Error> {
    let mut items = VecDeque::<FeedItem>::deserialize(d)?;
    items.truncate(FEED_CAPACITY);
    Ok(items)
}

/// `feed.json` in the state dir. Damaged, it costs the history only.
pub type FeedStore = StateFile<Feed>;

impl FeedStore {
    pub fn default_location() -> Option<Self> {
        StateFile::named("feed.json")
    }
}
