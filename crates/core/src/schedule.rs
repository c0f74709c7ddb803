//! When notifications are held instead of shown: do-not-disturb until a time,
//! quiet hours per weekday, and "hold while I am on a call or in after-call
//! work". Held notifications are kept and released as one summary.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveTime, TimeZone, Timelike, Utc, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::event::agent::AgentStatus;
use crate::notification::{Kind, Notification};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Schedule {
    /// `mon = ["18:00-08:00"]`: a range past midnight runs into the next day.
    pub quiet_hours: BTreeMap<Day, Vec<TimeRange>>,
    pub do_not_disturb_until: Option<DateTime<Utc>>,
    pub hold_while_on_call: bool,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            quiet_hours: BTreeMap::new(),
            do_not_disturb_until: None,
            hold_while_on_call: true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl<'de> Deserialize<'de> for Day {
    // By hand, through a string, so a config error's path names the day.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.to_ascii_lowercase().as_str() {
            "mon" | "monday" => Day::Mon,
            "tue" | "tuesday" => Day::Tue,
            "wed" | "wednesday" => Day::Wed,
            "thu" | "thursday" => Day::Thu,
            "fri" | "friday" => Day::Fri,
            "sat" | "saturday" => Day::Sat,
            "sun" | "sunday" => Day::Sun,
            _ => {
                return Err(serde::de::Error::custom(format!(
                    "unknown day {s:?}, expected mon..sun"
                )))
            }
        })
    }
}

impl Day {
    pub const ALL: [Day; 7] = [
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
        Day::Sun,
    ];

    /// The config's and the page's key: `mon`.
    pub fn as_str(self) -> &'static str {
        match self {
            Day::Mon => "mon",
            Day::Tue => "tue",
            Day::Wed => "wed",
            Day::Thu => "thu",
            Day::Fri => "fri",
            Day::Sat => "sat",
            Day::Sun => "sun",
        }
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Day::Mon => "Monday",
            Day::Tue => "Tuesday",
            Day::Wed => "Wednesday",
            Day::Thu => "Thursday",
            Day::Fri => "Friday",
            Day::Sat => "Saturday",
            Day::Sun => "Sunday",
        })
    }
}

impl From<Weekday> for Day {
    fn from(w: Weekday) -> Self {
        match w {
            Weekday::Mon => Day::Mon,
            Weekday::Tue => Day::Tue,
            Weekday::Wed => Day::Wed,
            Weekday::Thu => Day::Thu,
            Weekday::Fri => Day::Fri,
            Weekday::Sat => Day::Sat,
            Weekday::Sun => Day::Sun,
        }
    }
}

/// `HH:MM-HH:MM`; equal ends mean the whole day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRange {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// A quiet-hours range that is not `HH:MM-HH:MM`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected HH:MM-HH:MM, got {0:?}")]
pub struct TimeRangeError(pub String);

impl TimeRange {
    pub fn parse(s: &str) -> Result<TimeRange, TimeRangeError> {
        let bad = || TimeRangeError(s.to_owned());
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let t = |x: &str| NaiveTime::parse_from_str(x.trim(), "%H:%M").map_err(|_| bad());
        Ok(TimeRange {
            start: t(a)?,
            end: t(b)?,
        })
    }

    fn crosses_midnight(&self) -> bool {
        self.start > self.end
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

impl Serialize for TimeRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TimeRange::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    DoNotDisturb,
    QuietHours,
    OnCall,
    /// Not a hold: what a source caught up on after time offline (Xelion's
    /// missed calls), shown as one summary the same way.
    Away,
}

impl HoldReason {
    /// The held summary's title ("While you were on a call").
    pub fn while_phrase(self, l: &crate::l10n::Locale) -> String {
        use crate::l10n::Msg;
        l.text(
            match self {
                HoldReason::DoNotDisturb => Msg::HeldDoNotDisturb,
                HoldReason::QuietHours => Msg::HeldQuietHours,
                HoldReason::OnCall => Msg::HeldOnCall,
                HoldReason::Away => Msg::HeldAway,
            },
            &[],
        )
    }
}

impl Schedule {
    /// Why notifications are held at `now` (local time with its offset), if
    /// they are. `my_status` is my own agent status from the board.
    pub fn hold_reason(
        &self,
        now: DateTime<FixedOffset>,
        my_status: Option<&AgentStatus>,
    ) -> Option<HoldReason> {
        if self
            .do_not_disturb_until
            .is_some_and(|until| now.with_timezone(&Utc) < until)
        {
            return Some(HoldReason::DoNotDisturb);
        }
        if self.in_quiet_hours(now) {
            return Some(HoldReason::QuietHours);
        }
        if self.hold_while_on_call && my_status.is_some_and(AgentStatus::is_on_call) {
            return Some(HoldReason::OnCall);
        }
        None
    }

    pub fn in_quiet_hours(&self, now: DateTime<FixedOffset>) -> bool {
        let today = Day::from(now.weekday());
        let yesterday = Day::from(now.weekday().pred());
        let t = NaiveTime::from_hms_opt(now.hour(), now.minute(), now.second())
            .unwrap_or(NaiveTime::MIN);
        let ranges = |d: Day| self.quiet_hours.get(&d).into_iter().flatten();
        let today_hit = ranges(today).any(|r| {
            if r.start == r.end {
                true
            } else if r.crosses_midnight() {
                t >= r.start
            } else {
                r.start <= t && t < r.end
            }
        });
        today_hit || ranges(yesterday).any(|r| r.crosses_midnight() && t < r.end)
    }
}

/// Do-not-disturb choices in the tray menu, the window and `deskbell dnd`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dnd {
    OneHour,
    /// `deskbell dnd 30m`.
    HalfAnHour,
    UntilTomorrowMorning,
    Off,
}

/// When "until tomorrow morning" ends, in the agent's own time.
const MORNING: NaiveTime = match NaiveTime::from_hms_opt(8, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

impl Dnd {
    /// When it ends, chosen at `now` in the agent's time zone; `None` for off.
    pub fn until<Tz: TimeZone>(self, now: DateTime<Tz>) -> Option<DateTime<Utc>> {
        match self {
            Dnd::OneHour => Some(now.to_utc() + chrono::Duration::hours(1)),
            Dnd::HalfAnHour => Some(now.to_utc() + chrono::Duration::minutes(30)),
            Dnd::UntilTomorrowMorning => {
                let tomorrow = now.date_naive().succ_opt()?.and_time(MORNING);
                now.timezone()
                    .from_local_datetime(&tomorrow)
                    .earliest()
                    .map(|t| t.to_utc())
            }
            Dnd::Off => None,
        }
    }
}

/// Held notifications, released as one summary when the hold ends. Items are
/// kept up to a bound; counts per kind are always exact.
#[derive(Debug, Default)]
pub struct Gate {
    held: Vec<Notification>,
    counts: BTreeMap<Kind, usize>,
    reason: Option<HoldReason>,
}

/// Items kept in a hold; beyond this only the counts grow.
const MAX_HELD_ITEMS: usize = 500;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeldSummary {
    pub reason: HoldReason,
    pub counts: BTreeMap<Kind, usize>,
    pub items: Vec<Notification>,
}

impl Gate {
    /// Passes `n` through, or holds it.
    pub fn offer(&mut self, n: Notification, hold: Option<HoldReason>) -> Option<Notification> {
        let Some(reason) = hold else {
            return Some(n);
        };
        self.reason.get_or_insert(reason);
        *self.counts.entry(n.kind).or_default() += 1;
        if self.held.len() < MAX_HELD_ITEMS {
            self.held.push(n);
        }
        None
    }

    /// The summary of everything held, once the hold is over.
    pub fn release(&mut self, hold: Option<HoldReason>) -> Option<HeldSummary> {
        if hold.is_some() || self.counts.is_empty() {
            return None;
        }
        let reason = self.reason.take().unwrap_or(HoldReason::DoNotDisturb);
        Some(HeldSummary {
            reason,
            counts: std::mem::take(&mut self.counts),
            items: std::mem::take(&mut self.held),
        })
    }

    pub fn held_count(&self) -> usize {
        self.counts.values().sum()
    }

    /// Forgets what is held for the item `key`: the summary after the hold
    /// neither lists nor counts it.
    pub fn withdraw(&mut self, key: &str) {
        let counts = &mut self.counts;
        self.held.retain(|n| {
            if n.key != key {
                return true;
            }
            if let Some(c) = counts.get_mut(&n.kind) {
                *c = c.saturating_sub(1);
            }
            false
        });
        self.counts.retain(|_, c| *c > 0);
        if self.counts.is_empty() {
            self.reason = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn quiet(day: Day, range: &str) -> Schedule {
        let mut s = Schedule::default();
        s.quiet_hours
            .insert(day, vec![TimeRange::parse(range).unwrap()]);
        s
    }

    #[test]
    fn do_not_disturb_ends_when_chosen() {
        let now = at("2026-11-23T17:40:00+01:00");
        assert_eq!(
            Dnd::HalfAnHour.until(now),
            Some(at("2026-11-23T18:10:00+01:00").to_utc())
        );
        assert_eq!(
            Dnd::OneHour.until(now),
            Some(at("2026-11-23T18:40:00+01:00").to_utc())
        );
        assert_eq!(
            Dnd::UntilTomorrowMorning.until(now),
            Some(at("2026-11-24T08:00:00+01:00").to_utc())
        );
        assert_eq!(Dnd::Off.until(now), None);
    }

    #[test]
    fn overnight_range_runs_into_next_day() {
        // 2026-11-23 is a Monday.
        let s = quiet(Day::Mon, "18:00-08:00");
        assert!(!s.in_quiet_hours(at("2026-11-23T17:59:00+01:00")));
        assert!(s.in_quiet_hours(at("2026-11-23T18:00:00+01:00")));
        assert!(s.in_quiet_hours(at("2026-11-24T07:59:00+01:00")));
        assert!(!s.in_quiet_hours(at("2026-11-24T08:00:00+01:00")));
        // Sunday night is not Monday's range.
        assert!(!s.in_quiet_hours(at("2026-11-23T07:00:00+01:00")));
    }

    #[test]
    fn local_offset_decides_the_weekday() {
        let s = quiet(Day::Sat, "00:00-00:00");
        // Friday 23:30 UTC is already Saturday in UTC+2.
        assert!(s.in_quiet_hours(at("2026-11-28T01:30:00+02:00")));
        assert!(!s.in_quiet_hours(at("2026-11-27T23:30:00+00:00")));
    }

    #[test]
    fn bad_range_is_rejected_with_the_input() {
        let err = TimeRange::parse("9-17").unwrap_err();
        assert_eq!(err.to_string(), "expected HH:MM-HH:MM, got \"9-17\"");
    }

    #[test]
    fn dnd_until_then_clear() {
        let s = Schedule {
            do_not_disturb_until: Some(at("2026-11-23T10:00:00Z").with_timezone(&Utc)),
            ..Schedule::default()
        };
        assert_eq!(
            s.hold_reason(at("2026-11-23T09:59:59Z"), None),
            Some(HoldReason::DoNotDisturb)
        );
        assert_eq!(s.hold_reason(at("2026-11-23T10:00:00Z"), None), None);
    }

    #[test]
    fn on_call_holds_only_when_enabled() {
        let mut s = Schedule::default();
        let now = at("2026-11-23T10:00:00Z");
        assert_eq!(
            s.hold_reason(now, Some(&AgentStatus::Busy)),
            Some(HoldReason::OnCall)
        );
        assert_eq!(
            s.hold_reason(now, Some(&AgentStatus::AfterCallWork)),
            Some(HoldReason::OnCall)
        );
        assert_eq!(s.hold_reason(now, Some(&AgentStatus::Online)), None);
        s.hold_while_on_call = false;
        assert_eq!(s.hold_reason(now, Some(&AgentStatus::Busy)), None);
    }

    #[test]
    fn a_long_hold_keeps_exact_counts_and_releases_once() {
        use crate::notification::Urgency;
        let mut gate = Gate::default();
        for i in 0..(MAX_HELD_ITEMS + 100) {
            let n = Notification {
                kind: Kind::NewTicket,
                key: format!("t{i}"),
                dedupe_key: format!("t{i}"),
                title: String::new(),
                body: String::new(),
                url: None,
                urgency: Urgency::Normal,
                at: None,
                actions: Vec::new(),
                account: None,
            };
            assert!(gate.offer(n, Some(HoldReason::QuietHours)).is_none());
        }
        assert!(
            gate.release(Some(HoldReason::QuietHours)).is_none(),
            "still held"
        );
        let summary = gate.release(None).expect("released");
        assert_eq!(summary.reason, HoldReason::QuietHours);
        assert_eq!(summary.counts[&Kind::NewTicket], MAX_HELD_ITEMS + 100);
        assert_eq!(summary.items.len(), MAX_HELD_ITEMS);
        assert!(gate.release(None).is_none());
    }
}
