//! The tray's side of the local API (docs/local-api.md): the window's and
//! the terminal commands' requests, answered from the daemon's view and
//! through its commands, as the tray menu does. The protocol and its one
//! reader live in `deskbell_core::local`; the keyring and config writes run
//! off the async workers (they block on D-Bus and files).

use deskbell_core::actions::{ActionId, Pressed};
use deskbell_core::daemon::{self, Command};
use deskbell_core::local::server::{Answer, LocalApi};
use deskbell_core::local::{ErrorBody, Outcome, Push, Reply, Request, SecretInput};
use deskbell_core::rules::RulesEdit;
use deskbell_core::secret::Secret;
use deskbell_core::stream::probe::probe;
use deskbell_core::view::{Snapshot, View};
use tokio::sync::broadcast;

use crate::accounts;
use crate::notify::safe_link;
use crate::secrets;
use crate::window::Windows;

pub struct TrayApi {
    pub daemon: daemon::Handle,
    pub windows: Windows,
    /// The daemon's pushes and the tray's own (show the window).
    pub pushes: broadcast::Sender<Push>,
}

fn refused(code: &str, message: impl Into<String>) -> Outcome {
    Outcome::Error(ErrorBody::new(code, message))
}

fn unavailable() -> Outcome {
    refused("state_poisoned", "Deskbell's state is unavailable")
}

/// Runs a keyring or config call off the async workers.
async fn blocking<T: Send + 'static>(
    what: &'static str,
    f: impl FnOnce() -> Result<T, accounts::AccountError> + Send + 'static,
) -> Result<T, ErrorBody> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            let body = ErrorBody::new(e.code(), e.to_string());
            Err(match e.field() {
                Some(field) => body.with_field(field),
                None => body,
            })
        }
        Err(_) => Err(ErrorBody::new("internal", format!("{what} stopped"))),
    }
}

impl TrayApi {
    /// `f` of the view, as a reply.
    fn read(&self, f: impl FnOnce(&mut View) -> Reply) -> Outcome {
        match self.daemon.view() {
            Some(mut v) => Outcome::Ok(f(&mut v)),
            None => unavailable(),
        }
    }

    fn command(&self, command: Command) -> Outcome {
        match self.daemon.send(command) {
            Ok(()) => Outcome::Ok(Reply::Done),
            Err(e) => refused("runtime_busy", e.to_string()),
        }
    }

    /// Shows the window, at an account's edit form when one is named.
    pub fn open_window(&self, account: Option<String>) -> Outcome {
        if let Some(name) = account {
            if let Outcome::Error(e) = self.command(Command::EditAccount(name)) {
                return Outcome::Error(e);
            }
        }
        if let Err(e) = self.windows.open(&self.pushes) {
            tracing::warn!(code = e.code(), "{e}");
            return refused(e.code(), e.to_string());
        }
        self.command(Command::Seen)
    }

    async fn save_rules(&self, rules: serde_json::Value) -> Outcome {
        let valid = match RulesEdit::from_json(rules).and_then(|edit| edit.validate()) {
            Ok(valid) => valid,
            Err(e) => {
                return Outcome::Error(
                    ErrorBody::new(e.code(), e.to_string()).with_field(e.field()),
                )
            }
        };
        let (reply, saved) = tokio::sync::oneshot::channel();
        if let Outcome::Error(e) = self.command(Command::SaveRules(Box::new(valid), reply)) {
            return Outcome::Error(e);
        }
        match saved.await {
            Ok(Ok(())) => self.read(|v| Reply::Rules(Box::new(v.rules.clone()))),
            Ok(Err(e)) => refused(e.code(), e.to_string()),
            Err(_) => refused("internal", "saving the rules stopped"),
        }
    }

    /// A command answered once the daemon has applied it, so what the
    /// caller reads next (its own `status`, the window's snapshot) has it.
    async fn applied(&self, command: Command) -> Outcome {
        if let Outcome::Error(e) = self.command(command) {
            return Outcome::Error(e);
        }
        let (reply, done) = tokio::sync::oneshot::channel();
        if let Outcome::Error(e) = self.command(Command::Applied(reply)) {
            return Outcome::Error(e);
        }
        match done.await {
            Ok(()) => Outcome::Ok(Reply::Done),
            Err(_) => refused("internal", "Deskbell stopped before applying it"),
        }
    }

    /// The account's change saved, then every client starts again; answered
    /// once the daemon has the new accounts.
    async fn saved<T>(
        &self,
        done: Result<T, ErrorBody>,
        reply: impl FnOnce(T) -> Reply,
    ) -> Outcome {
        match done {
            Ok(v) => match self.applied(Command::ReloadAccounts).await {
                Outcome::Ok(_) => Outcome::Ok(reply(v)),
                refusal => refusal,
            },
            Err(e) => Outcome::Error(e),
        }
    }

    /// The code is spent at the relay, the token goes to the keyring; with
    /// `show`, the window opens on the outcome (a clicked link has no
    /// terminal to say it in).
    async fn redeem_invite(
        &self,
        account: deskbell_core::config::AccountConfig,
        code: SecretInput,
        show: bool,
    ) -> Outcome {
        let code = code.into_secret();
        let added = accounts::add_with_invite(account, code.expose())
            .await
            .map_err(|e| {
                let body = ErrorBody::new(e.code(), e.to_string());
                match e.field() {
                    Some(field) => body.with_field(field),
                    None => body,
                }
            });
        if show {
            let said = match &added {
                Ok((account, redeemed)) => format!(
                    "Invitation accepted: account {} added{}.",
                    account.name(),
                    redeemed
                        .email
                        .as_deref()
                        .map_or_else(String::new, |e| format!(" for {e}"))
                ),
                Err(e) => format!("The invitation was not accepted: {}", e.message),
            };
            let _ = self.command(Command::AccountsNotice(said));
            let _ = self.open_window(None);
        }
        self.saved(added.map(|(a, _)| a), |a| Reply::Account(Box::new(a)))
            .await
    }

    async fn test_connection(
        &self,
        account: deskbell_core::config::AccountConfig,
        secret: Option<SecretInput>,
    ) -> Outcome {
        let secret = match secret.filter(|s| !s.is_empty()) {
            Some(s) => s.into_secret(),
            None => {
                let name = account.name().to_owned();
                let loaded = blocking("reading the keyring", move || {
                    secrets::load(&name).map_err(accounts::AccountError::from)
                })
                .await;
                match loaded {
                    Ok(s) => s,
                    Err(e) => return Outcome::Error(e),
                }
            }
        };
        match probe(&account, &secret).await {
            Ok(_) => Outcome::Ok(Reply::Done),
            Err(e) => refused(e.code(), e.to_string()),
        }
    }

    fn open_feed_item(&self, id: u64) -> Outcome {
        let url = match self.daemon.view() {
            Some(v) => match v.feed.get(id) {
                Some(item) => item.url.clone(),
                None => return refused("feed_item_missing", format!("no feed item {id}")),
            },
            None => return unavailable(),
        };
        let Some(link) = url.as_deref().and_then(safe_link) else {
            return refused("no_link", "this item has no link to open");
        };
        match open::that_detached(link.as_str()) {
            Ok(()) => Outcome::Ok(Reply::Done),
            Err(e) => refused("open_failed", e.to_string()),
        }
    }
}

impl TrayApi {
    /// A feed row's button: the daemon carries it out as from the popup.
    fn act_on_feed_item(&self, id: u64, action: ActionId) -> Outcome {
        let item = match self.daemon.view() {
            Some(v) => match v.feed.get(id) {
                Some(item) => item.notification(),
                None => return refused("feed_item_missing", format!("no feed item {id}")),
            },
            None => return unavailable(),
        };
        if action == ActionId::Dial && item.actions.iter().any(|a| a.id() == ActionId::Dial) {
            crate::notify::dial(&item);
            return Outcome::Ok(Reply::Done);
        }
        let Some(pressed) = Pressed::of(&item, action.as_str()) else {
            return refused(
                "no_such_action",
                format!("this item offers no {:?}", action.as_str()),
            );
        };
        match self.daemon.send(Command::Act(Box::new(pressed))) {
            Ok(()) => Outcome::Ok(Reply::Done),
            Err(_) => unavailable(),
        }
    }
}

impl LocalApi for TrayApi {
    fn answer(&self, request: Request) -> Answer<'_> {
        Box::pin(async move {
            match request {
                Request::Status => {
                    // Only windows subscribe to the pushes.
                    let windows = self.pushes.receiver_count();
                    self.read(|v| {
                        let mut status = v.status();
                        status.windows = windows;
                        Reply::Status(status)
                    })
                }
                Request::Snapshot => self.read(|v| {
                    let snapshot = Snapshot::of(v);
                    // A one-shot request: the next refresh must not open
                    // the form again.
                    v.edit_request = None;
                    v.accounts_notice = None;
                    Reply::Snapshot(Box::new(snapshot))
                }),
                // The server handles it, with `pushes`.
                Request::Subscribe => Outcome::Ok(Reply::Done),
                Request::SetSubscription { kind, on } => {
                    self.applied(Command::SetSubscription(kind, on)).await
                }
                Request::SetDnd { choice } => self.applied(Command::SetDnd(choice)).await,
                Request::ReloadAccounts => self.applied(Command::ReloadAccounts).await,
                Request::DismissAway => self.applied(Command::DismissAway).await,
                Request::OpenWindow { account } => self.open_window(account),
                Request::SaveRules { rules } => self.save_rules(rules).await,
                Request::AddAccount { account, secret } => {
                    let secret: Secret = secret.into_secret();
                    let added = blocking("adding the account", move || {
                        accounts::add(account, &secret)
                    })
                    .await;
                    self.saved(added, |a| Reply::Account(Box::new(a))).await
                }
                Request::RedeemInvite {
                    account,
                    code,
                    show,
                } => self.redeem_invite(account, code, show).await,
                Request::UpdateAccount { account, secret } => {
                    let secret = secret
                        .filter(|s| !s.is_empty())
                        .map(SecretInput::into_secret);
                    let updated = blocking("saving the account", move || {
                        accounts::update(account, secret.as_ref())
                    })
                    .await;
                    self.saved(updated, |a| Reply::Account(Box::new(a))).await
                }
                Request::RemoveAccount { name } => {
                    let removed =
                        blocking("removing the account", move || accounts::remove(&name)).await;
                    self.saved(removed, |()| Reply::Done).await
                }
                Request::TestConnection { account, secret } => {
                    self.test_connection(account, secret).await
                }
                Request::OpenFeedItem { id } => self.open_feed_item(id),
                Request::ActOnFeedItem { id, action } => self.act_on_feed_item(id, action),
            }
        })
    }

    fn pushes(&self) -> Option<broadcast::Receiver<Push>> {
        Some(self.pushes.subscribe())
    }
}

/// Copies the daemon's pushes into the tray's own channel, which also
/// carries "show the window". A missed one becomes "ask again".
pub fn forward_pushes(daemon: &daemon::Handle, to: broadcast::Sender<Push>) {
    let mut from = daemon.pushes();
    tokio::spawn(async move {
        use broadcast::error::RecvError;
        loop {
            let push = match from.recv().await {
                Ok(push) => push,
                Err(RecvError::Lagged(_)) => Push::ViewChanged,
                Err(RecvError::Closed) => return,
            };
            // Nobody subscribed is fine.
            let _ = to.send(push);
        }
    });
}
