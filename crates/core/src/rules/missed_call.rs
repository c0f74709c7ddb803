//! Missed calls: an incoming Freshcaller call whose Customer participant
//! ended in a missed status, or a Xelion `missedCallEvent`. One notification
//! per call, however many create/update events arrive.

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::{join, Context, Skip, Verdict};
use crate::event::freshcaller::{CallEvent, Direction};
use crate::event::xelion::{XelionCallEvent, XelionKind};
use crate::event::DecodedEvent;
use crate::notification::{urls, Kind, Notification, Urgency};

/// The one table that says what a participant's `call_status` and an integer
/// `direction` mean. Codes not listed are never guessed: the call is treated
/// as not missed and the code is logged once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallTable {
    pub missed_statuses: Vec<i64>,
    pub answered_statuses: Vec<i64>,
    pub ended_statuses: Vec<i64>,
    /// Integer `direction` codes meaning incoming / outgoing. None are known
    /// from the documentation, so none are assumed.
    pub incoming_direction_codes: Vec<i64>,
    pub outgoing_direction_codes: Vec<i64>,
}

impl Default for CallTable {
    fn default() -> Self {
        CallTable {
            missed_statuses: vec![3],
            answered_statuses: vec![1],
            ended_statuses: vec![10],
            incoming_direction_codes: Vec::new(),
            outgoing_direction_codes: Vec::new(),
        }
    }
}

/// A call's direction after the table: unmapped ones say what they were.
enum Heading {
    Incoming,
    Outgoing,
    Unmapped(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Missed,
    Answered,
    Ended,
    Unmapped(i64),
}

impl CallTable {
    pub fn outcome(&self, status: i64) -> Outcome {
        if self.missed_statuses.contains(&status) {
            Outcome::Missed
        } else if self.answered_statuses.contains(&status) {
            Outcome::Answered
        } else if self.ended_statuses.contains(&status) {
            Outcome::Ended
        } else {
            Outcome::Unmapped(status)
        }
    }

    fn heading(&self, d: &Direction) -> Heading {
        match d {
            Direction::Incoming => Heading::Incoming,
            Direction::Outgoing => Heading::Outgoing,
            Direction::Code(c) if self.incoming_direction_codes.contains(c) => Heading::Incoming,
            Direction::Code(c) if self.outgoing_direction_codes.contains(c) => Heading::Outgoing,
            Direction::Code(c) => Heading::Unmapped(c.to_string()),
            Direction::Unknown(s) => Heading::Unmapped(format!("{s:?}")),
        }
    }
}

/// Logs an unmapped code once per process, not once per event.
fn warn_once(what: &str, code: String) {
    static SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let key = format!("{what}:{code}");
    let first = SEEN
        .lock()
        .map(|mut seen| seen.insert(key))
        .unwrap_or(false);
    if first {
        tracing::warn!(%what, %code, "not in the call table; treated as not missed");
    }
}

pub fn freshcaller(ev: &DecodedEvent, c: &CallEvent, ctx: &Context<'_>) -> Verdict {
    let table = &ctx.rules.calls;
    let call = &c.call;
    match call.direction.as_ref().map(|d| table.heading(d)) {
        Some(Heading::Incoming) => {}
        Some(Heading::Outgoing) => return Verdict::Skip(Skip::CallOutgoing),
        Some(Heading::Unmapped(code)) => {
            warn_once("direction", code.clone());
            return Verdict::Skip(Skip::UnmappedDirection(code));
        }
        None => return Verdict::Skip(Skip::UnmappedDirection("(absent)".into())),
    }
    let Some(customer) = call.customer() else {
        return Verdict::Skip(Skip::CallWithoutCustomer);
    };
    let Some(status) = customer.call_status else {
        return Verdict::Skip(Skip::CallInProgress);
    };
    match table.outcome(status.0) {
        Outcome::Missed => {}
        Outcome::Answered => return Verdict::Skip(Skip::CallAnswered),
        Outcome::Ended => return Verdict::Skip(Skip::CallEnded),
        Outcome::Unmapped(code) => {
            warn_once("call_status", code.to_string());
            return Verdict::Skip(Skip::UnmappedCallStatus(code));
        }
    }

    let number = customer.caller_number.as_ref().map(|t| t.to_string());
    let name = customer
        .caller_name
        .as_ref()
        .map(|t| t.to_string())
        .filter(|n| !n.trim().is_empty() && Some(n) != number.as_ref());
    let who = name
        .clone()
        .or(number.clone())
        .unwrap_or_else(|| "unknown caller".into());
    let scope = ev
        .domain
        .as_ref()
        .map(|d| d.to_string())
        .or(ev.account_id.as_ref().map(|a| a.to_string()))
        .unwrap_or_default();
    let key = format!("call:{scope}:{}", call.call_key());
    Verdict::Notify(vec![Notification {
        kind: Kind::MissedCall,
        dedupe_key: format!("missed:{key}"),
        key,
        title: format!("Missed call from {who}"),
        body: join([
            name.and(number),
            call.phone_number.as_ref().map(|n| format!("to {n}")),
        ]),
        url: urls::call(ev.domain.as_ref(), call.call_key()),
        urgency: Urgency::Critical,
        at: call.updated_time.0.or(call.created_time.0).or(ev.timestamp),
    }])
}

pub fn xelion(x: &XelionCallEvent) -> Verdict {
    if x.kind != XelionKind::MissedCallEvent {
        return Verdict::Skip(Skip::NotNotifiable);
    }
    let call = &x.call;
    let number = call.caller_phone_number.as_ref().map(|t| t.to_string());
    let id = call
        .call_id
        .as_ref()
        .map(|i| i.to_string())
        .or(x.oid.as_ref().map(|o| o.to_string()))
        .unwrap_or_else(|| format!("{}@{:?}", number.as_deref().unwrap_or(""), call.date.0));
    let key = format!("xelion:{id}");
    Verdict::Notify(vec![Notification {
        kind: Kind::MissedCall,
        dedupe_key: format!("missed:{key}"),
        key,
        title: format!(
            "Missed call from {}",
            number.as_deref().unwrap_or("unknown caller")
        ),
        body: join([call.callee_phone_number.as_ref().map(|n| format!("to {n}"))]),
        url: None,
        urgency: Urgency::Critical,
        at: call.date.0,
    }])
}
