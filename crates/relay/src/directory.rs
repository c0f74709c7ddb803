//! The directory: who is who in the helpdesk, read by the relay with the
//! admin API keys (never on a desktop). Freshdesk's part (`GET
//! /api/v2/agents`, `GET /api/v2/groups`) is read here at start and every
//! `directory_refresh_seconds`; Freshcaller's (`GET /api/v1/users`, whose
//! teams name themselves) comes from the poller's users poll, which reads
//! that list anyway. Every stream gets the directory when it starts and
//! again whenever it changes (docs/stream-protocol.md). A failed read keeps
//! the last directory and shows in `/metrics` and the log.
//!
//! What to make of an answer is pure (`freshdesk_directory`,
//! `freshcaller_directory`); `Refresher::run` does the requests and waits.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use deskbell_core::directory::{Directory, DirectoryAgent, DirectoryGroup, Product};
use deskbell_core::stream::backoff::Backoff;
use serde_json::Value;
use tokio::sync::watch;

use crate::config::FreshdeskConfig;
use crate::freshworks_api::{ApiClient, ApiError};
use crate::server::Relay;

/// Freshdesk's largest page.
const PER_PAGE: u32 = 100;
/// Pages read per list at most (10,000 agents).
const MAX_PAGES: usize = 100;
/// A 429 is waited out by its `Retry-After` this many times per refresh;
/// then the refresh fails and the next one tries again.
const RATE_LIMIT_RETRIES: u32 = 3;
/// Longest `Retry-After` waited within a refresh.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Below this many requests left in the minute, the refresh pauses before
/// each page: the account's limit is shared with the forwarding app, the
/// Freshcaller poller and the agents' own browsers.
const RATE_LIMIT_RESERVE: u64 = 20;
const RESERVE_PAUSE: Duration = Duration::from_secs(10);

/// The id of an API object, a number or a string, as text.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Freshdesk's agents (`id`, `contact.name`, `contact.email`, `group_ids`)
/// and groups (`id`, `name`). Entries without an id are skipped.
pub fn freshdesk_directory(agents: &[Value], groups: &[Value]) -> Directory {
    Directory {
        agents: agents
            .iter()
            .filter_map(|a| {
                Some(DirectoryAgent {
                    product: Product::Freshdesk,
                    id: id_text(&a["id"])?,
                    name: text(&a["contact"]["name"]),
                    email: text(&a["contact"]["email"]),
                    group_ids: a["group_ids"]
                        .as_array()
                        .map(|ids| ids.iter().filter_map(id_text).collect())
                        .unwrap_or_default(),
                })
            })
            .collect(),
        groups: groups
            .iter()
            .filter_map(|g| {
                Some(DirectoryGroup {
                    product: Product::Freshdesk,
                    id: id_text(&g["id"])?,
                    name: text(&g["name"])?,
                })
            })
            .collect(),
    }
}

/// Freshcaller's users (`id`, `name`, `email`, `teams: [{id, name}]`); the
/// teams are its groups. Deleted users are left out.
pub fn freshcaller_directory(users: &[Value]) -> Directory {
    let mut groups: Vec<DirectoryGroup> = Vec::new();
    let mut agents = Vec::new();
    for u in users {
        if u["deleted"] == Value::Bool(true) {
            continue;
        }
        let Some(id) = id_text(&u["id"]) else {
            continue;
        };
        let mut group_ids = Vec::new();
        for t in u["teams"].as_array().into_iter().flatten() {
            let Some(team) = id_text(&t["id"]) else {
                continue;
            };
            if let (Some(name), false) = (text(&t["name"]), groups.iter().any(|g| g.id == team)) {
                groups.push(DirectoryGroup {
                    product: Product::Freshcaller,
                    id: team.clone(),
                    name,
                });
            }
            group_ids.push(team);
        }
        agents.push(DirectoryAgent {
            product: Product::Freshcaller,
            id,
            name: text(&u["name"]),
            email: text(&u["email"]),
            group_ids,
        });
    }
    Directory { agents, groups }
}

/// Which product's part of the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Freshdesk,
    Freshcaller,
}

impl Part {
    pub fn slot(self) -> usize {
        match self {
            Part::Freshdesk => 0,
            Part::Freshcaller => 1,
        }
    }
}

/// The products' directories, one after the other.
pub fn merged(parts: &[Option<Directory>]) -> Directory {
    let mut out = Directory::default();
    for part in parts.iter().flatten() {
        out.agents.extend(part.agents.iter().cloned());
        out.groups.extend(part.groups.iter().cloned());
    }
    out
}

/// What `/metrics` shows of the directory.
#[derive(Debug)]
pub struct DirectoryMetrics {
    /// Unix seconds of the last complete read of Freshdesk's part.
    last_success: AtomicU64,
    errors: Mutex<HashMap<&'static str, u64>>,
    /// Freshdesk's `X-RateLimit-Remaining` at the last page; -1 unknown.
    rate_limit_remaining: AtomicI64,
}

impl Default for DirectoryMetrics {
    fn default() -> Self {
        DirectoryMetrics {
            last_success: AtomicU64::new(0),
            errors: Mutex::new(HashMap::new()),
            rate_limit_remaining: AtomicI64::new(-1),
        }
    }
}

impl DirectoryMetrics {
    /// Prometheus lines; `agents` and `groups` are what streams get now.
    pub fn render(&self, agents: usize, groups: usize) -> String {
        let mut out = format!(
            "# HELP deskbell_relay_directory_last_success_seconds Unix time of the last complete read of Freshdesk's agents and groups (0: none yet).\n\
             # TYPE deskbell_relay_directory_last_success_seconds gauge\n\
             deskbell_relay_directory_last_success_seconds {}\n\
             # HELP deskbell_relay_directory_agents Agents in the directory desktops get.\n\
             # TYPE deskbell_relay_directory_agents gauge\n\
             deskbell_relay_directory_agents {agents}\n\
             # HELP deskbell_relay_directory_groups Groups and teams in the directory desktops get.\n\
             # TYPE deskbell_relay_directory_groups gauge\n\
             deskbell_relay_directory_groups {groups}\n\
             # HELP deskbell_relay_freshdesk_rate_limit_remaining Freshdesk's X-RateLimit-Remaining at the last directory page (-1: not known).\n\
             # TYPE deskbell_relay_freshdesk_rate_limit_remaining gauge\n\
             deskbell_relay_freshdesk_rate_limit_remaining {}\n\
             # HELP deskbell_relay_directory_errors_total Failed reads of Freshdesk's agents and groups, by reason; the last directory is kept.\n\
             # TYPE deskbell_relay_directory_errors_total counter\n",
            self.last_success.load(Ordering::Relaxed),
            self.rate_limit_remaining.load(Ordering::Relaxed),
        );
        if let Ok(errors) = self.errors.lock() {
            let mut rows: Vec<_> = errors.iter().collect();
            rows.sort();
            for (reason, n) in rows {
                out.push_str(&format!(
                    "deskbell_relay_directory_errors_total{{reason=\"{reason}\"}} {n}\n"
                ));
            }
        }
        out
    }
}

/// Reads Freshdesk's part at start and every `every`, until `stop`.
pub struct Refresher {
    client: ApiClient,
    every: Duration,
    relay: Relay,
    metrics: Arc<DirectoryMetrics>,
}

impl Refresher {
    pub fn new(
        config: &FreshdeskConfig,
        every: Duration,
        relay: Relay,
        metrics: Arc<DirectoryMetrics>,
    ) -> Result<Refresher, ApiError> {
        Ok(Refresher {
            client: config.api_client()?,
            every: every.max(Duration::from_secs(1)),
            relay,
            metrics,
        })
    }

    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        // A failure is tried again sooner than the next refresh, and
        // never more often than the refresh itself.
        let retry = Backoff {
            base: Duration::from_secs(30).min(self.every),
            cap: self.every,
            reset_after: Duration::ZERO,
        };
        let mut failures = 0u32;
        loop {
            let wait = match self.read_freshdesk().await {
                Ok(dir) => {
                    failures = 0;
                    self.metrics
                        .last_success
                        .store(Utc::now().timestamp().max(0) as u64, Ordering::Relaxed);
                    if self.relay.set_directory_part(Part::Freshdesk, dir) {
                        tracing::info!("the directory changed; streams are told");
                    }
                    self.every
                }
                Err(e) => {
                    if let Ok(mut errors) = self.metrics.errors.lock() {
                        *errors.entry(e.code()).or_default() += 1;
                    }
                    tracing::warn!(
                        product = "freshdesk",
                        reason = e.code(),
                        "reading the directory failed; the last one is kept: {e}"
                    );
                    failures = failures.saturating_add(1);
                    retry.delay(failures - 1, fastrand::f64())
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }

    async fn read_freshdesk(&self) -> Result<Directory, ApiError> {
        let agents = self.freshdesk_list("agents").await?;
        let groups = self.freshdesk_list("groups").await?;
        Ok(freshdesk_directory(&agents, &groups))
    }

    /// Every page of a Freshdesk list, following `Link: rel="next"`; a 429
    /// waits its `Retry-After` (a few times at most).
    async fn freshdesk_list(&self, path: &str) -> Result<Vec<Value>, ApiError> {
        let client = &self.client;
        let mut url = client
            .base()
            .join(path)
            .map_err(|e| ApiError::Unexpected(e.to_string()))?;
        url.query_pairs_mut()
            .append_pair("per_page", &PER_PAGE.to_string())
            .append_pair("page", "1");
        let mut out = Vec::new();
        let mut limited = 0;
        for _ in 0..MAX_PAGES {
            let page = match client.get_page(url.clone()).await {
                Ok(page) => page,
                Err(ApiError::RateLimited(after)) if limited < RATE_LIMIT_RETRIES => {
                    limited += 1;
                    let wait = after
                        .unwrap_or(Duration::from_secs(60))
                        .clamp(Duration::from_secs(1), MAX_RETRY_AFTER);
                    tracing::info!(
                        list = path,
                        wait_s = wait.as_secs(),
                        "Freshdesk said 429; waiting its Retry-After"
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if let Some(left) = page.remaining {
                self.metrics
                    .rate_limit_remaining
                    .store(left.min(i64::MAX as u64) as i64, Ordering::Relaxed);
            }
            let items = page
                .body
                .as_array()
                .ok_or_else(|| ApiError::Unexpected(format!("{path}: the answer is not a list")))?;
            out.extend(items.iter().cloned());
            match page.next {
                Some(next) => url = next,
                None => return Ok(out),
            }
            if page.remaining.is_some_and(|left| left < RATE_LIMIT_RESERVE) {
                tokio::time::sleep(RESERVE_PAUSE).await;
            }
        }
        Err(ApiError::Unexpected(format!(
            "{path}: more than {MAX_PAGES} pages"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn freshdesk_agents_and_groups_become_names_and_garbage_is_skipped() {
        let agents = [
            json!({"id": 43000000320u64, "contact": {"name": "Tom Agent", "email": "tom@acme.example"}, "group_ids": [351, "352"]}),
            json!({"contact": {"name": "No Id"}}),
            json!("not an agent"),
        ];
        let groups = [json!({"id": 351, "name": "Billing"}), json!({"id": 352})];
        let d = freshdesk_directory(&agents, &groups);
        assert_eq!(d.agents.len(), 1);
        assert_eq!(d.agents[0].id, "43000000320");
        assert_eq!(d.agents[0].name.as_deref(), Some("Tom Agent"));
        assert_eq!(d.agents[0].group_ids, ["351", "352"]);
        assert_eq!(d.groups.len(), 1, "a group without a name names nothing");
    }

    #[test]
    fn freshcaller_teams_are_groups_once_and_deleted_users_are_left_out() {
        let users = [
            json!({"id": 1, "name": "Rita", "email": "rita@acme.example", "teams": [{"id": 2201, "name": "Phone support"}]}),
            json!({"id": 2, "name": "Sam", "teams": [{"id": 2201, "name": "Phone support"}, {"id": 2202}]}),
            json!({"id": 3, "name": "Gone", "deleted": true}),
        ];
        let d = freshcaller_directory(&users);
        assert_eq!(d.agents.len(), 2);
        assert_eq!(d.agents[1].group_ids, ["2201", "2202"]);
        assert_eq!(d.groups.len(), 1);
        let both = merged(&[
            Some(freshdesk_directory(
                &[],
                &[json!({"id": 9, "name": "Billing"})],
            )),
            None,
            Some(d),
        ]);
        assert_eq!(both.groups.len(), 2);
    }
}
