//! Pulls from Freshcaller's REST API what the forwarding app cannot afford
//! to push within the platform's 50 requests a minute: calls (`GET /calls`
//! by time window, every few seconds) and agent statuses (`GET /users`,
//! every 15 s or so). A missed call found here becomes the same event the
//! app would push, and the log keeps one event per missed call however it
//! arrives; a changed status becomes an `onAgentUpdate` for the board.
//!
//! What to make of an answer is pure (`missed_call_events`, `Statuses`,
//! `Schedule`), with `now` passed in; `run` does the requests and the waits.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use deskbell_core::event::freshcaller::Call;
use deskbell_core::rules::missed_call::missed;
use deskbell_core::rules::CallTable;
use deskbell_core::stream::backoff::Backoff;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::config::FreshcallerConfig;
use crate::freshworks_api::{ApiClient, ApiError, Auth};
use crate::server::Relay;

/// Marks an event the relay made from the API, for the desktop's log.
pub const SOURCE: &str = "freshcaller_api";
/// Records per page, the API's largest.
const PER_PAGE: u64 = 100;
/// Pages read in one poll at most; the next poll goes on.
const MAX_PAGES: u64 = 50;

/// The two things polled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Api {
    Calls,
    Users,
}

impl Api {
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Calls => "calls",
            Api::Users => "users",
        }
    }
}

/// What `/metrics` shows of the polls.
#[derive(Debug, Default)]
pub struct PollMetrics {
    /// Unix seconds of the last successful poll, per API.
    last_success: [AtomicU64; 2],
    /// Failed polls, by API and error code.
    errors: Mutex<HashMap<(Api, &'static str), u64>>,
    /// Missed calls the poll stored before (or without) the app's push.
    found_by_polling: AtomicU64,
    /// Agent updates made from a changed status.
    status_changes: AtomicU64,
}

impl PollMetrics {
    fn slot(api: Api) -> usize {
        match api {
            Api::Calls => 0,
            Api::Users => 1,
        }
    }

    fn succeeded(&self, api: Api, now: DateTime<Utc>) {
        self.last_success[Self::slot(api)].store(now.timestamp().max(0) as u64, Ordering::Relaxed);
    }

    fn failed(&self, api: Api, code: &'static str) {
        if let Ok(mut errors) = self.errors.lock() {
            *errors.entry((api, code)).or_default() += 1;
        }
    }

    /// Prometheus lines, `now` for the lag.
    pub fn render(&self, now: DateTime<Utc>) -> String {
        let mut out = String::from(
            "# HELP deskbell_relay_poll_last_success_seconds Unix time of the last successful poll of Freshcaller's API.\n\
             # TYPE deskbell_relay_poll_last_success_seconds gauge\n",
        );
        let mut lag = String::from(
            "# HELP deskbell_relay_poll_lag_seconds Seconds since the last successful poll (since start, before the first).\n\
             # TYPE deskbell_relay_poll_lag_seconds gauge\n",
        );
        for api in [Api::Calls, Api::Users] {
            let at = self.last_success[Self::slot(api)].load(Ordering::Relaxed);
            out.push_str(&format!(
                "deskbell_relay_poll_last_success_seconds{{api=\"{}\"}} {at}\n",
                api.as_str()
            ));
            let since = if at == 0 {
                0
            } else {
                (now.timestamp().max(0) as u64).saturating_sub(at)
            };
            lag.push_str(&format!(
                "deskbell_relay_poll_lag_seconds{{api=\"{}\"}} {since}\n",
                api.as_str()
            ));
        }
        out.push_str(&lag);
        out.push_str(
            "# HELP deskbell_relay_poll_errors_total Failed polls of Freshcaller's API, by API and reason.\n\
             # TYPE deskbell_relay_poll_errors_total counter\n",
        );
        if let Ok(errors) = self.errors.lock() {
            let mut rows: Vec<_> = errors.iter().collect();
            rows.sort_by_key(|((api, code), _)| (api.as_str(), *code));
            for ((api, code), n) in rows {
                out.push_str(&format!(
                    "deskbell_relay_poll_errors_total{{api=\"{}\",reason=\"{code}\"}} {n}\n",
                    api.as_str()
                ));
            }
        }
        out.push_str(&format!(
            "# HELP deskbell_relay_missed_calls_found_by_polling_total Missed calls stored from the API poll before, or without, the forwarding app's push: a sign the app is over its budget.\n\
             # TYPE deskbell_relay_missed_calls_found_by_polling_total counter\n\
             deskbell_relay_missed_calls_found_by_polling_total {}\n\
             # HELP deskbell_relay_polled_status_changes_total Agent status changes found by polling.\n\
             # TYPE deskbell_relay_polled_status_changes_total counter\n\
             deskbell_relay_polled_status_changes_total {}\n",
            self.found_by_polling.load(Ordering::Relaxed),
            self.status_changes.load(Ordering::Relaxed),
        ));
        out
    }
}

/// The window of one call poll: calls are listed by when they started, and
/// a missed call's outcome is known up to a few minutes later.
pub fn calls_window(now: DateTime<Utc>, lookback: Duration) -> (DateTime<Utc>, DateTime<Utc>) {
    let from = now - chrono::Duration::from_std(lookback).unwrap_or_default();
    (from, now)
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The events for the missed calls among `calls` (the API's call objects),
/// as the forwarding app would push them: `onCallUpdate` with the call as
/// it was listed. Calls that do not decode are counted, not fatal.
pub fn missed_call_events(
    calls: &[Value],
    domain: &str,
    table: &CallTable,
    now: DateTime<Utc>,
) -> (Vec<Value>, usize) {
    let mut events = Vec::new();
    let mut undecodable = 0;
    for raw in calls {
        match serde_json::from_value::<Call>(raw.clone()) {
            Ok(call) if missed(&call, table).is_ok() => events.push(json!({
                "event": "onCallUpdate",
                "domain": domain,
                "timestamp": now.timestamp(),
                "deskbell_source": SOURCE,
                "data": {"call": raw, "changes": {}},
            })),
            Ok(_) => {}
            Err(_) => undecodable += 1,
        }
    }
    (events, undecodable)
}

/// The statuses last seen per agent: a poll turns into an update only for
/// the agents whose status (or teams, or name) changed since.
#[derive(Debug, Default)]
pub struct Statuses {
    seen: HashMap<String, Value>,
}

impl Statuses {
    /// `onAgentUpdate` events (Freshcaller's shape) for what changed in
    /// `users` (the API's user objects). The first poll reports everyone.
    pub fn changes(&mut self, users: &[Value], domain: &str, now: DateTime<Utc>) -> Vec<Value> {
        let mut events = Vec::new();
        for user in users {
            let Some(id) = user.get("id").filter(|v| v.is_number() || v.is_string()) else {
                continue;
            };
            let id_key = id.to_string();
            // What the board shows of an agent; the API's other fields
            // (last seen, preferences) change without meaning anything.
            let shown = json!({
                "id": id,
                "name": user.get("name"),
                "email": user.get("email"),
                "status": user.get("status"),
                "teams": user.get("teams"),
                "deleted": user.get("deleted"),
            });
            let before = self.seen.insert(id_key, shown.clone());
            if before.as_ref() == Some(&shown) {
                continue;
            }
            let old_status = before.as_ref().and_then(|b| b.get("status").cloned());
            let mut agent = shown;
            if let Some(map) = agent.as_object_mut() {
                map.retain(|_, v| !v.is_null());
            }
            events.push(json!({
                "event": "onAgentUpdate",
                "domain": domain,
                "timestamp": now.timestamp(),
                "deskbell_source": SOURCE,
                "data": {
                    "agent": agent,
                    "changes": {"model_changes": {"status": [old_status, user.get("status")]}},
                },
            }));
        }
        events
    }
}

/// When to poll next: the interval after a success, the backoff after a
/// failure, and never sooner than a 429's `Retry-After`.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    pub interval: Duration,
    pub backoff: Backoff,
    failures: u32,
}

impl Schedule {
    pub fn new(interval: Duration) -> Schedule {
        Schedule {
            interval,
            backoff: Backoff {
                base: interval.max(Duration::from_secs(1)),
                cap: Duration::from_secs(300),
                reset_after: Duration::ZERO,
            },
            failures: 0,
        }
    }

    /// The wait before the next poll, after `outcome`; `jitter` in [0, 1).
    pub fn next(&mut self, outcome: Result<(), &ApiError>, jitter: f64) -> Duration {
        match outcome {
            Ok(()) => {
                self.failures = 0;
                self.interval
            }
            Err(e) => {
                let wait = self.backoff.delay(self.failures, jitter).max(self.interval);
                self.failures = self.failures.saturating_add(1);
                match e {
                    ApiError::RateLimited(after) => self.backoff.honour_retry_after(wait, *after),
                    _ => wait,
                }
            }
        }
    }
}

/// Reads every page of a Freshcaller list (`meta.total_pages`), up to
/// `MAX_PAGES`; `field` names the list in the answer.
async fn all_pages(
    client: &ApiClient,
    path: &str,
    field: &str,
    query: &[(&str, String)],
) -> Result<Vec<Value>, ApiError> {
    let mut out = Vec::new();
    for page in 1..=MAX_PAGES {
        let mut q = query.to_vec();
        q.push(("per_page", PER_PAGE.to_string()));
        q.push(("page", page.to_string()));
        let answer = client.get(path, &q).await?;
        let items = answer
            .get(field)
            .and_then(Value::as_array)
            .ok_or_else(|| ApiError::Unexpected(format!("no \"{field}\" list in the answer")))?;
        let count = items.len() as u64;
        out.extend(items.iter().cloned());
        let total_pages = answer["meta"]["total_pages"].as_u64();
        let last = match total_pages {
            Some(total) => page >= total,
            None => count < PER_PAGE,
        };
        if last {
            break;
        }
    }
    Ok(out)
}

/// The poller, running until `stop`.
pub struct Poller {
    client: ApiClient,
    config: FreshcallerConfig,
    relay: Relay,
    metrics: Arc<PollMetrics>,
}

impl Poller {
    pub fn new(
        config: FreshcallerConfig,
        relay: Relay,
        metrics: Arc<PollMetrics>,
    ) -> Result<Poller, ApiError> {
        let client = ApiClient::for_account(
            &config.url,
            "api/v1/",
            config.api_key.as_ref(),
            Auth::ApiAuthHeader,
        )?;
        Ok(Poller {
            client,
            config,
            relay,
            metrics,
        })
    }

    pub async fn run(self, stop: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let calls = tokio::spawn(this.clone().poll_loop(Api::Calls, stop.clone()));
        let users = tokio::spawn(this.clone().poll_loop(Api::Users, stop));
        let _ = tokio::join!(calls, users);
    }

    async fn poll_loop(self: Arc<Self>, api: Api, mut stop: watch::Receiver<bool>) {
        let every = match api {
            Api::Calls => self.config.poll_calls_seconds,
            Api::Users => self.config.poll_users_seconds,
        };
        let mut schedule = Schedule::new(Duration::from_secs(every.max(1)));
        let mut statuses = Statuses::default();
        loop {
            let outcome = match api {
                Api::Calls => self.poll_calls().await,
                Api::Users => self.poll_users(&mut statuses).await,
            };
            match &outcome {
                Ok(()) => self.metrics.succeeded(api, Utc::now()),
                Err(e) => {
                    self.metrics.failed(api, e.code());
                    tracing::warn!(
                        api = api.as_str(),
                        reason = e.code(),
                        "Freshcaller poll failed: {e}"
                    );
                }
            }
            let wait = schedule.next(outcome.as_ref().map(|_| ()), fastrand::f64());
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }

    async fn poll_calls(&self) -> Result<(), ApiError> {
        let now = Utc::now();
        let (from, to) = calls_window(now, Duration::from_secs(self.config.call_lookback_seconds));
        let calls = all_pages(
            &self.client,
            "calls",
            "calls",
            &[("by_time[from]", iso(from)), ("by_time[to]", iso(to))],
        )
        .await?;
        let (events, undecodable) =
            missed_call_events(&calls, self.client.host(), &CallTable::default(), now);
        if undecodable > 0 {
            tracing::warn!(
                api = "calls",
                undecodable,
                "calls in the API's answer did not decode; skipped"
            );
        }
        for event in events {
            let body = serde_json::to_vec(&event).unwrap_or_default();
            match self.relay.accept(&body).await {
                Ok(a) if !a.appended.duplicate => {
                    self.metrics
                        .found_by_polling
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::info!(
                        api = "calls",
                        id = a.appended.id,
                        "missed call found by polling, before any push"
                    );
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(api = "calls", "a polled call was not stored: {e:?}");
                    return Err(ApiError::Unexpected(
                        "the log did not take a polled call".into(),
                    ));
                }
            }
        }
        Ok(())
    }

    async fn poll_users(&self, statuses: &mut Statuses) -> Result<(), ApiError> {
        let users = all_pages(&self.client, "users", "users", &[]).await?;
        // The same list names the agents and their teams for desktops.
        self.relay.set_directory_part(
            crate::directory::Part::Freshcaller,
            crate::directory::freshcaller_directory(&users),
        );
        for event in statuses.changes(&users, self.client.host(), Utc::now()) {
            let body = serde_json::to_vec(&event).unwrap_or_default();
            match self.relay.accept(&body).await {
                Ok(_) => {
                    self.metrics.status_changes.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    tracing::error!(api = "users", "a polled status was not stored: {e:?}");
                    return Err(ApiError::Unexpected(
                        "the log did not take a polled status".into(),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn fixture_call(name: &str) -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/freshcaller")
            .join(name);
        let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        v["data"]["call"].clone()
    }

    #[test]
    fn only_missed_calls_become_events_shaped_as_the_app_pushes_them() {
        let calls = [
            fixture_call("call-update-incoming-missed.json"),
            fixture_call("call-update-incoming-answered.json"),
            fixture_call("call-update-outgoing-unanswered.json"),
            json!({"id": "not a call", "participants": 7}),
        ];
        let now = at("2026-12-01T10:00:00Z");
        let (events, undecodable) =
            missed_call_events(&calls, "acme.freshcaller.com", &CallTable::default(), now);
        assert_eq!(undecodable, 1);
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e["event"], "onCallUpdate");
        assert_eq!(e["data"]["call"], calls[0]);
        // The relay's own decoder reads it as the missed call it is.
        let bytes = serde_json::to_vec(e).unwrap();
        let decoded = deskbell_core::decode(&bytes).unwrap();
        assert!(crate::server::missed_call_once(&decoded).is_some());
    }

    #[test]
    fn statuses_report_everyone_first_then_only_changes() {
        let now = at("2026-12-01T10:00:00Z");
        let users = |tom: i64| {
            vec![
                json!({"id": 1, "name": "Tom", "status": tom, "last_seen_time": now.to_rfc3339()}),
                json!({"id": 2, "name": "Ann", "status": 1}),
            ]
        };
        let mut s = Statuses::default();
        assert_eq!(s.changes(&users(1), "acme.freshcaller.com", now).len(), 2);
        assert!(s.changes(&users(1), "acme.freshcaller.com", now).is_empty());
        let changed = s.changes(&users(2), "acme.freshcaller.com", now);
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0]["data"]["agent"]["id"], 1);
        assert_eq!(
            changed[0]["data"]["changes"]["model_changes"]["status"],
            json!([1, 2])
        );
        let bytes = serde_json::to_vec(&changed[0]).unwrap();
        let decoded = deskbell_core::decode(&bytes).unwrap();
        assert_eq!(decoded.name.as_str(), "onAgentUpdate");
    }

    #[test]
    fn a_rate_limit_waits_at_least_its_retry_after_and_success_resets() {
        let mut s = Schedule::new(Duration::from_secs(10));
        assert_eq!(s.next(Ok(()), 0.5), Duration::from_secs(10));
        let limited = ApiError::RateLimited(Some(Duration::from_secs(42)));
        assert!(s.next(Err(&limited), 0.0) >= Duration::from_secs(42));
        let down = ApiError::Status(503);
        let mut waits = Vec::new();
        for _ in 0..10 {
            waits.push(s.next(Err(&down), 0.999));
        }
        assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
        assert!(waits.iter().all(|w| *w <= Duration::from_secs(300)));
        assert_eq!(s.next(Ok(()), 0.5), Duration::from_secs(10));
    }

    #[test]
    fn the_window_looks_back_from_now() {
        let (from, to) = calls_window(at("2026-12-01T10:00:00Z"), Duration::from_secs(300));
        assert_eq!(iso(from), "2026-12-01T09:55:00Z");
        assert_eq!(iso(to), "2026-12-01T10:00:00Z");
    }
}
