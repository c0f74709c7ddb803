//! What the tray process shows, kept by its daemon ([`crate::daemon`]):
//! accounts and their connections, the board, the feed, the rules; and what
//! each surface takes of it: the tray's icon, tooltip and lines
//! ([`TrayView`]), a terminal's [`Status`]. The window reads the view whole.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::board::AgentRow;
use crate::config::AccountConfig;
use crate::directory::{DirectoryGroup, WhoAmI};
use crate::feed::{AwaySummary, Feed, FeedItem};
use crate::l10n::{Arg, Locale, Msg};
use crate::local::{Status, StatusLine};
use crate::rules::{RulesEdit, Subscriptions};
use crate::stream::ConnectionState;
use chrono::{DateTime, Local, Utc};

#[derive(Clone, Debug)]
pub struct AccountStatus {
    pub name: String,
    /// The account's non-secret settings, as the config has them.
    pub config: Option<AccountConfig>,
    pub last_event_at: Option<DateTime<Local>>,
    pub state: ConnectionState,
    /// Why the account cannot connect before any network is involved.
    pub problem: Option<AccountProblem>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountProblem {
    /// The OS keyring is locked or absent: no secret, no connection.
    KeyringUnavailable,
    /// The keyring holds no secret for the account.
    SecretMissing,
}

impl AccountProblem {
    pub fn code(self) -> &'static str {
        match self {
            AccountProblem::KeyringUnavailable => "keyring_unavailable",
            AccountProblem::SecretMissing => "keyring_missing",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct View {
    pub accounts: Vec<AccountStatus>,
    /// No account configured: the built-in demo plays.
    pub demo: bool,
    pub last_event_at: Option<DateTime<Local>>,
    /// Notifications shown since the window was last opened.
    pub unseen: u32,
    pub subscriptions: Subscriptions,
    /// The filters, quiet hours and hold, as the window edits them.
    pub rules: RulesEdit,
    pub dnd_until: Option<DateTime<Utc>>,
    pub config_problem: Option<String>,
    /// The team's board, by agent id.
    pub board: BTreeMap<String, AgentRow>,
    /// My agent ids and emails, for "only my teams".
    pub me: Vec<String>,
    /// Board rows not heard of for longer show as unknown; 0: never.
    pub stale_after_hours: u32,
    /// Every named group and team, for the board's and the Rules tab's
    /// pickers (from the relays' directories).
    pub groups: Vec<DirectoryGroup>,
    /// Who each relay says I am (`GET /v1/me`, the stream's `me` event):
    /// "About me" shows it; what the agent typed overrides it.
    pub relay_me: Vec<WhoAmI>,
    pub feed: Feed,
    /// An account whose edit form the window should open (the tray's
    /// sign-in-needed line was clicked); handed to one snapshot only.
    pub edit_request: Option<String>,
    /// What the Accounts tab says once (an invitation link's outcome);
    /// handed to one snapshot only.
    pub accounts_notice: Option<String>,
    /// The language the tray, the notifications and the window speak.
    pub locale: Locale,
}

/// The icon the tray shows for a view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrayIconState {
    Connected,
    Degraded,
    Offline,
    DoNotDisturb,
}

impl View {
    pub fn icon_state(&self, now: DateTime<Utc>) -> TrayIconState {
        if self.dnd_until.is_some_and(|u| u > now) {
            return TrayIconState::DoNotDisturb;
        }
        if self.demo {
            return TrayIconState::Connected;
        }
        let states = self.accounts.iter().map(|a| &a.state);
        if self.accounts.is_empty()
            || self.accounts.iter().any(|a| a.problem.is_some())
            || states.clone().any(|s| {
                matches!(
                    s,
                    ConnectionState::SignInNeeded { .. } | ConnectionState::Stopped
                )
            })
        {
            TrayIconState::Offline
        } else if states
            .clone()
            .all(|s| matches!(s, ConnectionState::Live { .. }))
        {
            TrayIconState::Connected
        } else {
            TrayIconState::Degraded
        }
    }

    pub fn tooltip(&self) -> String {
        let l = &self.locale;
        let mut parts = vec![if self.demo {
            l.text(Msg::TooltipDemo, &[])
        } else {
            "Deskbell".to_owned()
        }];
        match self.last_event_at {
            Some(t) => parts.push(l.text(Msg::TooltipLastEvent, &[("time", (&l.time(&t)).into())])),
            None => parts.push(l.text(Msg::TooltipNoEvents, &[])),
        }
        if self.unseen > 0 {
            let count = l.count(self.unseen as usize);
            parts.push(l.text(Msg::TooltipUnseen, &[("count", (&count).into())]));
        }
        if let Some(p) = &self.config_problem {
            parts.push(l.text(Msg::TooltipConfigProblem, &[("problem", p.into())]));
        }
        parts.join(" · ")
    }
}

impl View {
    /// What `deskbell status` shows, over the local socket.
    pub fn status(&self) -> Status {
        Status {
            demo: self.demo,
            dnd_until: self.dnd_until,
            subscriptions: self.subscriptions.clone(),
            // The tray's own to say: the view knows of no window.
            windows: 0,
            accounts: self
                .accounts
                .iter()
                .map(|a| StatusLine {
                    name: a.name.clone(),
                    kind: a.config.as_ref().map(|c| match c {
                        AccountConfig::Relay { .. } => "relay".to_owned(),
                        AccountConfig::Xelion { .. } => "xelion".to_owned(),
                    }),
                    state: state_word(a).to_owned(),
                    detail: state_detail(a),
                    last_event_at: a.last_event_at.map(|t| t.with_timezone(&Utc)),
                })
                .collect(),
        }
    }
}

fn state_word(a: &AccountStatus) -> &'static str {
    if let Some(p) = a.problem {
        return p.code();
    }
    match &a.state {
        ConnectionState::Connecting => "connecting",
        ConnectionState::Live { .. } => "live",
        ConnectionState::BackingOff { .. } => "reconnecting",
        ConnectionState::SignInNeeded { .. } => "sign_in_needed",
        ConnectionState::Stopped => "stopped",
    }
}

/// The whole reason, where the tray line has room for only part of it.
fn state_detail(a: &AccountStatus) -> Option<String> {
    match (&a.problem, &a.state) {
        (Some(p), _) => Some(
            match p {
                AccountProblem::KeyringUnavailable => {
                    "the OS keyring is locked or unavailable; unlock it, then click the tray line"
                }
                AccountProblem::SecretMissing => "no secret in the keyring; add the account again",
            }
            .to_owned(),
        ),
        (
            None,
            ConnectionState::BackingOff {
                retry_at, reason, ..
            },
        ) => Some(format!(
            "{reason}; next try at {}",
            retry_at.with_timezone(&Local).format("%H:%M:%S")
        )),
        (None, ConnectionState::SignInNeeded { status }) => Some(format!(
            "the server refused the token or password ({status}); deskbell account update {}",
            a.name
        )),
        _ => None,
    }
}

/// What a click on an account's tray line does, when a click can help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountClick {
    /// Read the secret again (after the keyring was unlocked).
    RetryKeyring,
    /// The secret was refused: open the account's edit form for a new one.
    ReplaceSecret,
}

impl AccountStatus {
    pub fn click(&self) -> Option<AccountClick> {
        match (&self.problem, &self.state) {
            (Some(AccountProblem::KeyringUnavailable), _) => Some(AccountClick::RetryKeyring),
            (None, ConnectionState::SignInNeeded { .. }) => Some(AccountClick::ReplaceSecret),
            _ => None,
        }
    }
}

/// The longest reason a tray line carries; menus do not wrap.
const REASON_CHARS: usize = 90;

/// An account as the window lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub name: String,
    /// The non-secret settings; the secret is never read back.
    pub settings: Option<AccountConfig>,
    pub connection: ConnectionState,
    /// `keyring_unavailable`, `keyring_missing`.
    pub problem: Option<String>,
    pub last_event_at: Option<DateTime<Local>>,
}

/// Everything the window shows, at once: over its IPC today, over the local
/// socket once it runs in its own process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub demo: bool,
    pub accounts: Vec<AccountView>,
    pub board: Vec<AgentRow>,
    /// My agent ids and emails, for "only my teams".
    pub me: Vec<String>,
    pub feed: Vec<FeedItem>,
    pub away: Option<AwaySummary>,
    pub subscriptions: Subscriptions,
    /// The filters, quiet hours and hold, as the Rules tab edits them.
    pub rules: RulesEdit,
    pub dnd_until: Option<DateTime<Utc>>,
    pub config_problem: Option<String>,
    /// Board rows not heard of for longer show as unknown; 0: never.
    pub stale_after_hours: u32,
    /// Every named group and team, sorted by name.
    #[serde(default)]
    pub groups: Vec<DirectoryGroup>,
    /// Who each relay says I am, for "About me".
    #[serde(default)]
    pub relay_me: Vec<WhoAmI>,
    /// Open this account's edit form (once).
    pub edit_account: Option<String>,
    /// Show the Accounts tab with this said (once).
    #[serde(default)]
    pub accounts_notice: Option<String>,
    /// The language to show the window in, and the tag its dates and
    /// numbers are formatted with.
    #[serde(default)]
    pub locale: Locale,
}

impl Snapshot {
    pub fn of(view: &View) -> Snapshot {
        Snapshot {
            demo: view.demo,
            accounts: view
                .accounts
                .iter()
                .map(|a| AccountView {
                    name: a.name.clone(),
                    settings: a.config.clone(),
                    connection: a.state.clone(),
                    problem: a.problem.map(|p| p.code().to_owned()),
                    last_event_at: a.last_event_at,
                })
                .collect(),
            board: view.board.values().cloned().collect(),
            me: view.me.clone(),
            feed: view.feed.newest_first().cloned().collect(),
            away: view.feed.away().cloned(),
            subscriptions: view.subscriptions.clone(),
            rules: view.rules.clone(),
            dnd_until: view.dnd_until,
            config_problem: view.config_problem.clone(),
            stale_after_hours: view.stale_after_hours,
            groups: view.groups.clone(),
            relay_me: view.relay_me.clone(),
            edit_account: view.edit_request.clone(),
            accounts_notice: view.accounts_notice.clone(),
            locale: view.locale.clone(),
        }
    }
}

/// What the tray shows, taken from the view under its lock: the view also
/// holds the board and the feed, which the tray never needs.
#[derive(Clone, Debug, PartialEq)]
pub struct TrayView {
    pub icon: TrayIconState,
    pub tooltip: String,
    pub subscriptions: Subscriptions,
    pub demo: bool,
    /// One per account, in the config's order: its line and its click.
    pub lines: Vec<(String, Option<AccountClick>)>,
    /// The menu's own labels are said in this.
    pub locale: Locale,
}

impl View {
    pub fn tray(&self, now: DateTime<Utc>) -> TrayView {
        TrayView {
            icon: self.icon_state(now),
            tooltip: self.tooltip(),
            subscriptions: self.subscriptions.clone(),
            demo: self.demo,
            lines: self
                .accounts
                .iter()
                .map(|a| (status_line(a, &self.locale), a.click()))
                .collect(),
            locale: self.locale.clone(),
        }
    }
}

/// The status line of one account in the tray menu.
pub fn status_line(a: &AccountStatus, l: &Locale) -> String {
    let name = ("name", Arg::from(&a.name));
    let msg = match a.problem {
        Some(AccountProblem::KeyringUnavailable) => Msg::AccountKeyringLocked,
        Some(AccountProblem::SecretMissing) => Msg::AccountSecretMissing,
        None => match &a.state {
            ConnectionState::Connecting => Msg::AccountConnecting,
            ConnectionState::Live { .. } => Msg::AccountConnected,
            // The reason says what to fix: an untrusted certificate is not
            // a network that will come back by itself. (It is the client's
            // own text, in English: it names protocol things.)
            ConnectionState::BackingOff {
                retry_at, reason, ..
            } => {
                let mut short: String = reason.chars().take(REASON_CHARS).collect();
                if short.len() < reason.len() {
                    short.push('…');
                }
                let at = retry_at
                    .with_timezone(&Local)
                    .format("%H:%M:%S")
                    .to_string();
                return l.text(
                    Msg::AccountReconnecting,
                    &[name, ("time", (&at).into()), ("reason", (&short).into())],
                );
            }
            ConnectionState::SignInNeeded { .. } => Msg::AccountSignInNeeded,
            ConnectionState::Stopped => Msg::AccountStopped,
        },
    };
    l.text(msg, &[name])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(states: &[ConnectionState]) -> View {
        View {
            accounts: states
                .iter()
                .map(|s| AccountStatus {
                    name: "a".into(),
                    config: None,
                    last_event_at: None,
                    state: s.clone(),
                    problem: None,
                })
                .collect(),
            ..View::default()
        }
    }

    #[test]
    fn icon_follows_the_accounts_and_dnd() {
        let now = Utc::now();
        let live = ConnectionState::Live { since: now };
        let backing = ConnectionState::BackingOff {
            attempt: 1,
            retry_at: now,
            reason: "x".into(),
        };
        assert_eq!(
            view(std::slice::from_ref(&live)).icon_state(now),
            TrayIconState::Connected
        );
        assert_eq!(
            view(&[live.clone(), backing]).icon_state(now),
            TrayIconState::Degraded
        );
        assert_eq!(
            view(&[live.clone(), ConnectionState::SignInNeeded { status: 401 }]).icon_state(now),
            TrayIconState::Offline
        );
        assert_eq!(view(&[]).icon_state(now), TrayIconState::Offline);
        let mut locked = view(std::slice::from_ref(&live));
        locked.accounts[0].problem = Some(AccountProblem::KeyringUnavailable);
        assert_eq!(locked.icon_state(now), TrayIconState::Offline);
        assert_eq!(
            status_line(&locked.accounts[0], &Locale::english()),
            "a: keyring locked or unavailable (click to retry)"
        );
        let mut v = view(&[live]);
        v.dnd_until = Some(now + chrono::Duration::minutes(5));
        assert_eq!(v.icon_state(now), TrayIconState::DoNotDisturb);
    }

    #[test]
    fn status_carries_the_whole_reason() {
        let now = Utc::now();
        let mut v = view(&[
            ConnectionState::BackingOff {
                attempt: 3,
                retry_at: now,
                reason: "the server's certificate is not trusted (UnknownIssuer)".into(),
            },
            ConnectionState::SignInNeeded { status: 401 },
            ConnectionState::Live { since: now },
        ]);
        v.accounts[1].name = "b".into();
        let status = v.status();
        assert_eq!(status.accounts[0].state, "reconnecting");
        let detail = status.accounts[0].detail.as_deref().unwrap();
        assert!(
            detail.starts_with(
                "the server's certificate is not trusted (UnknownIssuer); next try at "
            ),
            "{detail}"
        );
        assert_eq!(status.accounts[1].state, "sign_in_needed");
        assert_eq!(
            status.accounts[1].detail.as_deref(),
            Some("the server refused the token or password (401); deskbell account update b")
        );
        assert_eq!(status.accounts[2].state, "live");
        assert_eq!(status.accounts[2].detail, None);
    }

    #[test]
    fn account_lines_say_why_and_offer_what_a_click_can_fix() {
        let now = Utc::now();
        let untrusted = view(&[ConnectionState::BackingOff {
            attempt: 2,
            retry_at: now,
            reason: "the server's certificate is not trusted (UnknownIssuer)".into(),
        }]);
        let line = status_line(&untrusted.accounts[0], &Locale::english());
        assert!(
            line.starts_with("a: reconnecting at ")
                && line.ends_with(": the server's certificate is not trusted (UnknownIssuer)"),
            "{line}"
        );
        assert_eq!(untrusted.accounts[0].click(), None);
        let long = view(&[ConnectionState::BackingOff {
            attempt: 1,
            retry_at: now,
            reason: "é".repeat(200),
        }]);
        let line = status_line(&long.accounts[0], &Locale::english());
        assert!(
            line.ends_with(&format!("{}…", "é".repeat(REASON_CHARS))),
            "{line}"
        );

        let refused = view(&[ConnectionState::SignInNeeded { status: 401 }]);
        assert_eq!(
            status_line(&refused.accounts[0], &Locale::english()),
            "a: sign-in needed (click to enter a new token)"
        );
        assert_eq!(
            refused.accounts[0].click(),
            Some(AccountClick::ReplaceSecret)
        );
        let mut locked = view(&[ConnectionState::Stopped]);
        locked.accounts[0].problem = Some(AccountProblem::KeyringUnavailable);
        assert_eq!(locked.accounts[0].click(), Some(AccountClick::RetryKeyring));
    }
}
