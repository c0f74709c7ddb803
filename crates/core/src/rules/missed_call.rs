//! Missed calls: an incoming Freshcaller call whose Customer participant
//! ended in a missed status, or a Xelion `missedCallEvent`. One notification
//! per call, however many create/update events arrive.

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::{join, Context, Skip, Verdict};
use crate::actions::Action;
use crate::event::freshcaller::{Call, CallEvent, Direction};
use crate::event::xelion::{XelionCallEvent, XelionKind};
use crate::event::DecodedEvent;
use crate::l10n::Msg;
use crate::notification::{urls, Kind, Notification, Urgency};

/// The one table that says what a participant's `call_status` and an integer
/// `direction` mean. Codes not listed are never guessed: the call is treated
/// as not missed and the code is logged once. Its default is the data file
/// the forwarding app reads too (`freshworks-app/server/call-table.json`),
/// so the app forwards exactly the calls Deskbell would call missed.
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

/// What "Call back" does on a Freshcaller missed call: open the call in
/// Freshcaller (whose own button rings the customer), or dial the number
/// with the desktop's `tel:` handler (a softphone).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallBackVia {
    #[default]
    Freshcaller,
    Tel,
}

/// The shared table, as shipped.
pub const SHIPPED_CALL_TABLE: &str =
    include_str!("../../../../freshworks-app/server/call-table.json");

/// The file's shape: every field required (the config's table, which may
/// leave fields out, defaults to this one, so it cannot default itself).
#[derive(Deserialize)]
struct Shipped {
    missed_statuses: Vec<i64>,
    answered_statuses: Vec<i64>,
    ended_statuses: Vec<i64>,
    incoming_direction_codes: Vec<i64>,
    outgoing_direction_codes: Vec<i64>,
}

impl Default for CallTable {
    fn default() -> Self {
        static SHIPPED: std::sync::LazyLock<CallTable> = std::sync::LazyLock::new(|| {
            // Built into the binary and parsed by a unit test: a broken file
            // fails the build's tests, never an agent's desktop.
            let s: Shipped = serde_json::from_str(SHIPPED_CALL_TABLE)
                .unwrap_or_else(|e| panic!("freshworks-app/server/call-table.json: {e}"));
            CallTable {
                missed_statuses: s.missed_statuses,
                answered_statuses: s.answered_statuses,
                ended_statuses: s.ended_statuses,
                incoming_direction_codes: s.incoming_direction_codes,
                outgoing_direction_codes: s.outgoing_direction_codes,
            }
        });
        SHIPPED.clone()
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

/// Whether `call` is a missed incoming call by `table`, or why not. The
/// relay asks this too (to keep one event per missed call, pushed or polled).
pub fn missed(call: &Call, table: &CallTable) -> Result<(), Skip> {
    match call.direction.as_ref().map(|d| table.heading(d)) {
        Some(Heading::Incoming) => {}
        Some(Heading::Outgoing) => return Err(Skip::CallOutgoing),
        Some(Heading::Unmapped(code)) => {
            warn_once("direction", code.clone());
            return Err(Skip::UnmappedDirection(code));
        }
        None => return Err(Skip::UnmappedDirection("(absent)".into())),
    }
    let customer = call.customer().ok_or(Skip::CallWithoutCustomer)?;
    let status = customer.call_status.ok_or(Skip::CallInProgress)?;
    match table.outcome(status.0) {
        Outcome::Missed => Ok(()),
        Outcome::Answered => Err(Skip::CallAnswered),
        Outcome::Ended => Err(Skip::CallEnded),
        Outcome::Unmapped(code) => {
            warn_once("call_status", code.to_string());
            Err(Skip::UnmappedCallStatus(code))
        }
    }
}

pub fn freshcaller(ev: &DecodedEvent, c: &CallEvent, ctx: &Context<'_>) -> Verdict {
    let call = &c.call;
    if let Err(skip) = missed(call, &ctx.rules.calls) {
        return Verdict::Skip(skip);
    }
    let Some(customer) = call.customer() else {
        return Verdict::Skip(Skip::CallWithoutCustomer);
    };

    let number = customer.caller_number.as_ref().map(|t| t.to_string());
    let dial = number.clone();
    let name = customer
        .caller_name
        .as_ref()
        .map(|t| t.to_string())
        .filter(|n| !n.trim().is_empty() && Some(n) != number.as_ref());
    let l = ctx.locale;
    let who = name
        .clone()
        .or(number.clone())
        .unwrap_or_else(|| l.text(Msg::UnknownCaller, &[]));
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
        title: l.text(Msg::MissedCallTitle, &[("who", (&who).into())]),
        body: join([
            name.and(number),
            call.phone_number
                .as_ref()
                .map(|n| l.text(Msg::MissedCallTo, &[("number", n.as_str().into())])),
        ]),
        url: urls::call(ev.domain.as_ref(), call.call_key()),
        urgency: Urgency::Critical,
        at: call.updated_time.0.or(call.created_time.0).or(ev.timestamp),
        actions: match (ctx.rules.call_back, dial) {
            (CallBackVia::Tel, Some(number)) => vec![Action::Dial { number }],
            _ => Vec::new(),
        },
        account: None,
    }])
}

pub fn xelion(x: &XelionCallEvent, ctx: &Context<'_>) -> Verdict {
    let l = ctx.locale;
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
        title: l.text(
            Msg::MissedCallTitle,
            &[(
                "who",
                (&number
                    .clone()
                    .unwrap_or_else(|| l.text(Msg::UnknownCaller, &[])))
                    .into(),
            )],
        ),
        body: join([call
            .callee_phone_number
            .as_ref()
            .map(|n| l.text(Msg::MissedCallTo, &[("number", n.as_str().into())]))]),
        url: None,
        urgency: Urgency::Critical,
        at: call.date.0,
        // The PBX rings the agent's own phone, then the caller.
        actions: number
            .iter()
            .map(|n| Action::CallBack { number: n.clone() })
            .collect(),
        account: None,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file the forwarding app reads is the core's default table.
    #[test]
    fn the_shipped_table_is_the_default() {
        let table = CallTable::default();
        assert_eq!(table.missed_statuses, [3]);
        assert_eq!(table.answered_statuses, [1]);
        assert_eq!(table.ended_statuses, [10]);
        assert!(table.incoming_direction_codes.is_empty());
    }
}
