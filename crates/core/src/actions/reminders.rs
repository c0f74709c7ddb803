//! "Remind me later": the notification comes back once, after
//! [`REMIND_AFTER_MINUTES`], unless what it is about was dealt with
//! meanwhile (the ticket got an agent, the call was withdrawn). Kept in
//! `reminders.json` across restarts; `now` is always passed in.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::REMIND_AFTER_MINUTES;
use crate::l10n::{Locale, Msg};
use crate::notification::Notification;

/// At most this many wait at once; the oldest goes first beyond it.
const MAX_REMINDERS: usize = 200;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reminder {
    pub due: DateTime<Utc>,
    pub notification: Notification,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reminders {
    #[serde(default)]
    waiting: Vec<Reminder>,
}

/// `reminders.json` in the state dir. Damaged, it costs the reminders set
/// before the restart, and says so in the log.
pub type ReminderStore = crate::state_file::StateFile<Reminders>;

impl ReminderStore {
    pub fn default_location() -> Option<Self> {
        crate::state_file::StateFile::named("reminders.json")
    }
}

impl Reminders {
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Reminder> {
        self.waiting.iter()
    }

    /// Remind of `n` at `now` + the delay; a second press on the same
    /// thing moves its reminder rather than adding one.
    pub fn add(&mut self, n: Notification, now: DateTime<Utc>) -> DateTime<Utc> {
        let due = now + Duration::minutes(REMIND_AFTER_MINUTES);
        self.waiting.retain(|r| r.notification.key != n.key);
        if self.waiting.len() >= MAX_REMINDERS {
            self.waiting.remove(0);
        }
        self.waiting.push(Reminder {
            due,
            notification: n,
        });
        due
    }

    /// What `key` is about was dealt with: its reminder is dropped.
    pub fn settle(&mut self, key: &str) -> bool {
        let before = self.waiting.len();
        self.waiting.retain(|r| r.notification.key != key);
        self.waiting.len() != before
    }

    /// The reminders due at `now`, each once, as notifications to show:
    /// the same key (it replaces what is still on screen), a new dedupe
    /// key, and its buttons (remind again included).
    pub fn take_due(&mut self, now: DateTime<Utc>, l: &Locale) -> Vec<Notification> {
        let (due, waiting): (Vec<Reminder>, Vec<Reminder>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|r| r.due <= now);
        self.waiting = waiting;
        if due.is_empty() {
            return Vec::new();
        }
        // A reminder put off again keeps one "Reminder:".
        let prefix = l.text(Msg::ReminderTitle, &[("title", "".into())]);
        due.into_iter()
            .map(|r| {
                let mut n = r.notification;
                n.dedupe_key = format!("reminder:{}:{}", n.key, r.due.timestamp());
                if !n.title.starts_with(&prefix) {
                    n.title = l.text(Msg::ReminderTitle, &[("title", (&n.title).into())]);
                }
                n
            })
            .collect()
    }
}
