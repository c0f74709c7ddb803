//! Wires the sources to the pipeline and the pipeline to the sinks:
//! each account's client (or the built-in demo) -> one channel ->
//! `deskbell_core::pipeline` -> the notification sink and the tray view.
//! Tray commands come back on their own channel. Timers (bursts, holds)
//! tick here; the logic lives in the core and takes `now` from this loop.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{Local, Utc};
use deskbell_core::coalesce::Delivery;
use deskbell_core::config::{AccountConfig, Config, ConfigError, ConfigFile, LinkScope};
use deskbell_core::feed::FeedStore;
use deskbell_core::notified::NotifiedStore;
use deskbell_core::pipeline::Pipeline;
use deskbell_core::resume::ResumeStore;
use deskbell_core::rules::{Identity, RulesEdit};
use deskbell_core::stream::relay_client::{check_url, RelayClient, RelayEndpoint};
use deskbell_core::stream::xelion_client::{XelionAccount, XelionClient};
use deskbell_core::stream::{ConnectionState, StreamEvent, StreamOutput};
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::{mpsc, watch};

use crate::secrets::SecretStoreError;
use crate::state::{AccountProblem, AccountStatus, AppState, Command, View};
use crate::{notify, secrets, tray};

/// Seconds between demo events.
const DEMO_EVERY: Duration = Duration::from_secs(3);
/// The demo's tag on the source channel, where accounts use their index.
const DEMO_SOURCE: usize = usize::MAX;

struct Running {
    config: AccountConfig,
    stop: watch::Sender<bool>,
    /// The last relay event id seen: where a restarted client resumes.
    last_id: Option<u64>,
}

struct Runtime {
    app: AppHandle,
    config: Config,
    file: Option<ConfigFile>,
    accounts: Vec<Running>,
    tx: mpsc::Sender<(usize, StreamOutput)>,
    pipeline: Pipeline,
    sink: std::sync::mpsc::Sender<Delivery>,
    resume: Option<ResumeStore>,
    /// A resume point moved since the last save.
    resume_dirty: bool,
    feed_store: Option<FeedStore>,
    /// The feed changed since the last save.
    feed_dirty: bool,
    /// The view changed since the window was last told.
    view_changed: std::sync::atomic::AtomicBool,
    /// Stops the built-in demo; `None` while accounts are configured.
    demo: Option<watch::Sender<bool>>,
    /// The notifications already raised, kept across restarts.
    notified_store: Option<NotifiedStore>,
    /// The pipeline's notification count when that memory was last saved.
    notified_saved: u64,
    /// The config file's modification time as this process last read or
    /// wrote it: another one means `deskbell account ...` changed it.
    config_seen: Option<std::time::SystemTime>,
}

/// Events the window listens to (see ui/src/ipc.ts).
pub mod events {
    /// One agent's board row changed: its new `AgentRow`, in place.
    pub const BOARD_ROW: &str = "board-row";
    /// Anything else in the snapshot changed (connections, subscriptions
    /// from the tray, the feed): the window asks for it again. Sent at most
    /// once per tick, or at once for what the agent should see at once.
    pub const VIEW_CHANGED: &str = "view-changed";
}

fn account_statuses(config: &Config) -> Vec<AccountStatus> {
    config
        .accounts
        .iter()
        .map(|a| AccountStatus {
            name: a.name().to_owned(),
            config: Some(a.clone()),
            last_event_at: None,
            state: ConnectionState::Connecting,
            problem: None,
        })
        .collect()
}

/// Loads the config, installs the tray, and starts the sources and the
/// pipeline on Tauri's async runtime.
pub fn start(app: &AppHandle) -> tauri::Result<()> {
    let file = ConfigFile::default_location();
    let (config, problem) = match &file {
        Some(file) => {
            let loaded = file.load();
            if let Some(p) = &loaded.problem {
                tracing::error!(code = p.code(), "{p}; running on defaults");
            }
            (loaded.config, loaded.problem.map(|p| p.to_string()))
        }
        None => (Config::default(), None),
    };
    let feed_store = FeedStore::default_location();
    let view = View {
        accounts: account_statuses(&config),
        demo: config.accounts.is_empty(),
        me: me_of(&config.identity),
        feed: feed_store.as_ref().map(FeedStore::load).unwrap_or_default(),
        subscriptions: config.rules.subscriptions.clone(),
        rules: RulesEdit::of(&config.rules, &config.identity),
        dnd_until: config.rules.schedule.do_not_disturb_until,
        config_problem: problem,
        ..View::default()
    };
    let (cmd_tx, cmd_rx) = mpsc::channel(32);
    app.manage(AppState {
        view: Mutex::new(view.clone()),
        commands: cmd_tx,
    });
    tray::install(app, &view)?;

    let (tx, rx) = mpsc::channel(1024);
    let notified_store = NotifiedStore::default_location();
    let mut pipeline = pipeline_for(&config);
    if !config.accounts.is_empty() {
        remember_notified(&mut pipeline, notified_store.as_ref());
    }
    let resume = ResumeStore::default_location();
    let points = resume.as_ref().map(ResumeStore::load).unwrap_or_default();
    let mut runtime = Runtime {
        app: app.clone(),
        config,
        file,
        accounts: Vec::new(),
        tx,
        pipeline,
        sink: notify::spawn_sink(),
        resume,
        resume_dirty: false,
        feed_store,
        feed_dirty: false,
        view_changed: std::sync::atomic::AtomicBool::new(false),
        demo: None,
        notified_store,
        notified_saved: 0,
        config_seen: None,
    };
    runtime.config_seen = runtime.file.as_ref().and_then(ConfigFile::modified);
    for (index, account) in runtime.config.accounts.clone().iter().enumerate() {
        let running = runtime.launch(index, account, points.get(account.name()).copied());
        runtime.accounts.push(running);
    }
    if runtime.accounts.is_empty() {
        runtime.start_demo();
    }
    tauri::async_runtime::spawn(runtime.run(rx, cmd_rx));
    Ok(())
}

/// My agent ids and emails, as the window's "only my teams" matches them.
fn me_of(identity: &Identity) -> Vec<String> {
    identity
        .agent_ids
        .iter()
        .chain(&identity.emails)
        .cloned()
        .collect()
}

/// What was notified before the restart, so a redelivery stays quiet.
fn remember_notified(pipeline: &mut Pipeline, store: Option<&NotifiedStore>) {
    if let Some(store) = store {
        pipeline.classifier_mut().remember_notified(store.load());
    }
}

fn pipeline_for(config: &Config) -> Pipeline {
    let window = chrono::Duration::seconds(i64::from(config.coalesce_seconds));
    Pipeline::new(config.rules.clone(), config.identity.clone(), window)
}

async fn play_demo(tx: mpsc::Sender<(usize, StreamOutput)>, mut stop: watch::Receiver<bool>) {
    let mut pause = Duration::from_secs(1);
    for n in 0.. {
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => return,
        }
        pause = DEMO_EVERY;
        let data = deskbell_core::demo::payload(n);
        let name = deskbell_core::event::peek_name(data.as_bytes())
            .map(|e| e.to_string())
            .unwrap_or_default();
        if tx
            .send((
                DEMO_SOURCE,
                StreamOutput::Event(StreamEvent {
                    id: None,
                    name,
                    data,
                }),
            ))
            .await
            .is_err()
        {
            return;
        }
    }
}

impl Runtime {
    fn start_demo(&mut self) {
        let (stop, stop_rx) = watch::channel(false);
        self.demo = Some(stop);
        tauri::async_runtime::spawn(play_demo(self.tx.clone(), stop_rx));
    }

    /// Starts one account's client; its outputs come in tagged with `index`,
    /// its place in the config's account list.
    fn launch(&self, index: usize, account: &AccountConfig, last_id: Option<u64>) -> Running {
        let (stop, stop_rx) = watch::channel(false);
        let running = Running {
            config: account.clone(),
            stop,
            last_id,
        };
        let name = account.name().to_owned();
        let secret = match secrets::load(&name) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(account = %name, code = e.code(), "{e}");
                let problem = match e {
                    SecretStoreError::Missing(_) => AccountProblem::SecretMissing,
                    SecretStoreError::Unavailable(_) | SecretStoreError::Refused(_) => {
                        AccountProblem::KeyringUnavailable
                    }
                };
                self.update_view(|v| {
                    if let Some(a) = v.accounts.get_mut(index) {
                        a.state = ConnectionState::Stopped;
                        a.problem = Some(problem);
                    }
                });
                return running;
            }
        };
        self.update_view(|v| {
            if let Some(a) = v.accounts.get_mut(index) {
                a.state = ConnectionState::Connecting;
                a.problem = None;
            }
        });
        let url = match check_url(account.url()) {
            Ok(u) => u,
            Err(e) => {
                tracing::error!(account = %name, code = e.code(), "{e}");
                self.report(index, ConnectionState::Stopped);
                return running;
            }
        };
        let (client_tx, mut client_rx) = mpsc::channel::<StreamOutput>(256);
        match account {
            AccountConfig::Relay { .. } => {
                let events = self
                    .config
                    .rules
                    .subscriptions
                    .event_names()
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                let endpoint = RelayEndpoint {
                    base: url,
                    token: secret,
                    events,
                };
                match RelayClient::new(endpoint, last_id) {
                    Ok(client) => drop(tauri::async_runtime::spawn(client.run(client_tx, stop_rx))),
                    Err(e) => {
                        tracing::error!(account = %name, "cannot start the relay client: {e}")
                    }
                }
            }
            AccountConfig::Xelion {
                tenant,
                user,
                user_space,
                admin,
                ..
            } => {
                let account = XelionAccount {
                    base: url,
                    tenant: tenant.clone(),
                    user: user.clone(),
                    password: secret,
                    user_space: user_space.clone(),
                    admin: *admin,
                };
                match XelionClient::new(account) {
                    Ok(client) => drop(tauri::async_runtime::spawn(client.run(client_tx, stop_rx))),
                    Err(e) => {
                        tracing::error!(account = %name, "cannot start the Xelion client: {e}")
                    }
                }
            }
        }
        let tx = self.tx.clone();
        tauri::async_runtime::spawn(async move {
            while let Some(out) = client_rx.recv().await {
                if tx.send((index, out)).await.is_err() {
                    break;
                }
            }
        });
        running
    }

    fn report(&self, index: usize, state: ConnectionState) {
        self.update_view(|v| {
            if let Some(a) = v.accounts.get_mut(index) {
                a.state = state;
            }
        });
    }

    fn update_view(&self, f: impl FnOnce(&mut View)) {
        if let Some(state) = self.app.try_state::<AppState>() {
            if let Ok(mut v) = state.view.lock() {
                f(&mut v);
            }
        }
        self.view_changed
            .store(true, std::sync::atomic::Ordering::Relaxed);
        tray::refresh(&self.app);
    }

    /// Tells the window the view changed, if it did since it was last told.
    fn tell_window(&self) {
        if self
            .view_changed
            .swap(false, std::sync::atomic::Ordering::Relaxed)
        {
            let _ = self.app.emit(events::VIEW_CHANGED, ());
        }
    }

    async fn run(
        mut self,
        mut rx: mpsc::Receiver<(usize, StreamOutput)>,
        mut commands: mpsc::Receiver<Command>,
    ) {
        // Holds (quiet hours, do-not-disturb) end on the clock, not on an event.
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            let deliveries = tokio::select! {
                cmd = commands.recv() => {
                    if let Some(cmd) = cmd {
                        self.apply(cmd);
                    }
                    Vec::new()
                }
                msg = rx.recv() => match msg {
                    None => break,
                    // A demo event still queued when the first account came.
                    Some((DEMO_SOURCE, _)) if self.demo.is_none() => Vec::new(),
                    Some((index, StreamOutput::Event(ev))) => {
                        tracing::debug!(source = index, event = %ev.name, "event");
                        if let (Some(id), Some(running)) = (ev.id, self.accounts.get_mut(index)) {
                            running.last_id = Some(id);
                            self.resume_dirty = true;
                        }
                        let scope = self
                            .accounts
                            .get(index)
                            .map_or(LinkScope::Freshworks, |a| LinkScope::Account(&a.config));
                        let ingested = self.pipeline.ingest_from(
                            ev.data.as_bytes(),
                            Local::now().fixed_offset(),
                            scope,
                        );
                        if let Err(e) = &ingested.classified.event {
                            // Counted in the pipeline's stats; the stream goes on.
                            tracing::warn!(code = e.code(), "skipped a malformed event");
                        }
                        if let Some(change) = &ingested.classified.board_change {
                            self.show_board_change(change);
                        }
                        self.update_view(|v| {
                            let now = Local::now();
                            v.last_event_at = Some(now);
                            if let Some(a) = v.accounts.get_mut(index) {
                                a.last_event_at = Some(now);
                            }
                        });
                        ingested.deliveries
                    }
                    Some((index, StreamOutput::State(state))) => {
                        tracing::info!(account = index, ?state, "connection");
                        self.report(index, state);
                        Vec::new()
                    }
                    Some((index, other)) => {
                        tracing::info!(account = index, ?other, "stream");
                        Vec::new()
                    }
                },
                _ = tick.tick() => {
                    self.reload_if_changed_elsewhere();
                    self.save_resume_points();
                    self.save_feed();
                    self.save_notified();
                    self.tell_window();
                    self.pipeline.tick(Local::now().fixed_offset())
                }
            };
            if !deliveries.is_empty() {
                // A withdrawal takes one back; it is nothing new to see.
                let shown = deliveries
                    .iter()
                    .filter(|d| !d.notifications().is_empty())
                    .count() as u32;
                let now = Utc::now();
                self.update_view(|v| {
                    for d in &deliveries {
                        v.feed.record(d, now);
                    }
                    v.unseen += shown;
                });
                self.feed_dirty = true;
                for d in deliveries {
                    if self.sink.send(d).is_err() {
                        return;
                    }
                }
                self.tell_window();
            }
        }
    }

    fn apply(&mut self, cmd: Command) {
        match cmd {
            Command::SetSubscription(kind, on) => {
                self.config.rules.subscriptions.set(kind, on);
                self.pipeline.rules_mut().subscriptions.set(kind, on);
                // A failure is on the tray and in the window already.
                let _ = self.save();
                // The relay filters by event name: reconnect with the new filter.
                let restart: Vec<usize> = (0..self.accounts.len())
                    .filter(|i| matches!(self.accounts[*i].config, AccountConfig::Relay { .. }))
                    .collect();
                for i in restart {
                    self.relaunch(i);
                }
                let subs = self.config.rules.subscriptions.clone();
                self.update_view(|v| v.subscriptions = subs);
            }
            // Asked for by the agent (after unlocking the keyring, say): a
            // timer would pop a keyring prompt again and again.
            Command::Reconnect(index) => {
                if index < self.accounts.len() {
                    self.relaunch(index);
                }
            }
            Command::ReloadAccounts => self.reload_accounts(),
            Command::DismissAway => {
                self.update_view(|v| v.feed.dismiss_away());
                self.feed_dirty = true;
            }
            Command::SaveRules(edit, reply) => {
                edit.apply_to(&mut self.config.rules, &mut self.config.identity);
                let classifier = self.pipeline.classifier_mut();
                edit.apply_to(&mut classifier.rules, &mut classifier.identity);
                let saved = self.save();
                let shown = RulesEdit::of(&self.config.rules, &self.config.identity);
                let me = me_of(&self.config.identity);
                // The view first: the command answers with what it holds.
                self.update_view(|v| {
                    v.rules = shown;
                    v.me = me;
                });
                let _ = reply.send(saved);
            }
            Command::SetDnd(choice) => {
                let until = choice.until(Local::now());
                self.config.rules.schedule.do_not_disturb_until = until;
                self.pipeline.rules_mut().schedule.do_not_disturb_until = until;
                // A failure is on the tray and in the window already.
                let _ = self.save();
                self.update_view(|v| v.dnd_until = until);
            }
        }
    }

    /// The board row behind `change`, to the view and to the window.
    fn show_board_change(&self, change: &deskbell_core::board::BoardChange) {
        let row = self
            .pipeline
            .classifier()
            .board()
            .get(&change.agent_id)
            .cloned();
        self.update_view(|v| match &row {
            Some(row) => {
                v.board.insert(change.agent_id.clone(), row.clone());
            }
            None => {
                v.board.remove(&change.agent_id);
            }
        });
        let payload = serde_json::json!({"agent_id": change.agent_id, "row": row});
        let _ = self.app.emit(events::BOARD_ROW, payload);
    }

    /// An account added, updated (a new token) or removed from a terminal
    /// while the app runs takes effect at once, without a restart.
    fn reload_if_changed_elsewhere(&mut self) {
        let modified = self.file.as_ref().and_then(ConfigFile::modified);
        if modified.is_some() && modified != self.config_seen {
            tracing::info!("the config changed on disk: reloading the accounts");
            self.reload_accounts();
        }
    }

    /// Picks up accounts added or removed from the window: every client
    /// stops and the config's accounts start again, each from its resume
    /// point. Rare, so simple beats clever.
    fn reload_accounts(&mut self) {
        let Some(file) = &self.file else { return };
        // Taken before the read: a write after it is seen at the next tick.
        self.config_seen = file.modified();
        let config = match file.load_strict() {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(code = e.code(), "{e}");
                return;
            }
        };
        let mut points: std::collections::BTreeMap<String, u64> = self
            .resume
            .as_ref()
            .map(ResumeStore::load)
            .unwrap_or_default();
        for running in &self.accounts {
            let _ = running.stop.send(true);
            if let Some(id) = running.last_id {
                points.insert(running.config.name().to_owned(), id);
            }
        }
        self.config.accounts = config.accounts;
        let statuses = account_statuses(&self.config);
        let demo = self.config.accounts.is_empty();
        let switching = demo != self.demo.is_some();
        if switching {
            // From the demo to real accounts or back: the demo's agents,
            // dedupe memory and held notifications are not the accounts'.
            self.pipeline = pipeline_for(&self.config);
            self.notified_saved = 0;
            if !demo {
                remember_notified(&mut self.pipeline, self.notified_store.as_ref());
            }
            match self.demo.take() {
                Some(stop) => {
                    let _ = stop.send(true);
                }
                None => self.start_demo(),
            }
        }
        self.update_view(|v| {
            v.accounts = statuses;
            v.demo = demo;
            if switching {
                v.board.clear();
            }
        });
        self.accounts = Vec::new();
        for (index, account) in self.config.accounts.clone().iter().enumerate() {
            let running = self.launch(index, account, points.get(account.name()).copied());
            self.accounts.push(running);
        }
        // The clone ends the lock before the tray waits on the main thread,
        // which may itself be waiting for the view (a window command).
        let view = self
            .app
            .try_state::<AppState>()
            .and_then(|state| state.view.lock().ok().map(|v| v.clone()));
        if let Some(view) = view {
            if let Err(e) = tray::rebuild(&self.app, &view) {
                tracing::warn!("cannot rebuild the tray menu: {e}");
            }
        }
        self.tell_window();
    }

    /// Writes the feed at most once per tick, and only when it changed.
    fn save_feed(&mut self) {
        if !std::mem::take(&mut self.feed_dirty) {
            return;
        }
        let Some(store) = &self.feed_store else {
            return;
        };
        let feed = self
            .app
            .try_state::<AppState>()
            .and_then(|s| s.view.lock().ok().map(|v| v.feed.clone()));
        if let Some(feed) = feed {
            if let Err(e) = store.save(&feed) {
                tracing::warn!("cannot save the feed: {e}");
            }
        }
    }

    /// Writes the notification memory at most once per tick, when a
    /// notification was raised since; never the demo's.
    fn save_notified(&mut self) {
        let notified = self.pipeline.classifier().stats().notified;
        if self.demo.is_some() || notified == self.notified_saved {
            return;
        }
        let Some(store) = &self.notified_store else {
            return;
        };
        match store.save(&self.pipeline.classifier().notified()) {
            Ok(()) => self.notified_saved = notified,
            Err(e) => tracing::warn!("cannot save the notification memory: {e}"),
        }
    }

    /// Stops an account's client and starts it again where it left off.
    fn relaunch(&mut self, index: usize) {
        let _ = self.accounts[index].stop.send(true);
        let (config, last_id) = (
            self.accounts[index].config.clone(),
            self.accounts[index].last_id,
        );
        self.accounts[index] = self.launch(index, &config, last_id);
    }

    /// Writes the resume points at most once per tick, and only when moved.
    fn save_resume_points(&mut self) {
        if !std::mem::take(&mut self.resume_dirty) {
            return;
        }
        let Some(store) = &self.resume else { return };
        let points = self
            .accounts
            .iter()
            .filter_map(|a| a.last_id.map(|id| (a.config.name().to_owned(), id)))
            .collect();
        if let Err(e) = store.save(&points) {
            tracing::warn!("cannot save resume points: {e}");
        }
    }

    /// Saves the rules and identity, the part of the config the runtime
    /// owns, into the file as it is on disk: accounts added meanwhile (by the CLI, or the
    /// window before its reload arrives) stay. A broken file is kept and the
    /// problem shown (and returned, for a command that waits on it).
    fn save(&mut self) -> Result<(), ConfigError> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let (rules, identity) = (&self.config.rules, &self.config.identity);
        let seen_before = file.modified();
        let saved = file.update(|c| {
            c.rules = rules.clone();
            c.identity = identity.clone();
        });
        // Our own write is not news; one made elsewhere since we last
        // looked still is (its accounts are in what we just wrote).
        if seen_before == self.config_seen {
            self.config_seen = file.modified();
        }
        saved.map(drop).inspect_err(|e| {
            tracing::error!(code = e.code(), "{e}");
            let message = e.to_string();
            self.update_view(|v| v.config_problem = Some(message));
        })
    }
}
