//! The tray process's daemon: it wires the sources to the pipeline and the
//! pipeline to the sinks. Each account's client (or the built-in demo) ->
//! one channel -> [`Pipeline`] -> the [`Desktop`]'s notifications and tray,
//! and the [`View`] the window and the terminal read. Commands come back on
//! their own channel. Timers (bursts, holds) tick here; the logic lives in
//! the pipeline and takes `now` from this loop.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{Local, Utc};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::actions::reminders::ReminderStore;
use crate::actions::{Action, Pressed};
use crate::board::AgentRow;
use crate::coalesce::Delivery;
use crate::config::{AccountConfig, Config, ConfigError, ConfigFile, LinkScope};
use crate::desktop::{Desktop, SecretStoreError};
use crate::directory::{Directory, Names, WhoAmI};
use crate::feed::FeedStore;
use crate::first_response::FirstResponseStore;
use crate::l10n::Locale;
use crate::local::Push;
use crate::notification::{Kind, Notification};
use crate::notified::NotifiedStore;
use crate::pipeline::Pipeline;
use crate::resume::ResumeStore;
use crate::rules::{Identity, RulesEdit, ValidRulesEdit};
use crate::schedule::Dnd;
use crate::secret::Secret;
use crate::stream::relay_client::{check_url, RelayClient, RelayEndpoint};
use crate::stream::xelion_client::{XelionAccount, XelionClient};
use crate::stream::{ConnectionState, StreamEvent, StreamOutput};
use crate::view::{AccountProblem, AccountStatus, TrayView, View};

/// Seconds between demo events.
const DEMO_EVERY: Duration = Duration::from_secs(3);
/// The demo's tag on the source channel, where accounts use their index.
const DEMO_SOURCE: usize = usize::MAX;

/// What the tray, the window and the CLI ask of the daemon.
#[derive(Debug)]
pub enum Command {
    SetSubscription(Kind, bool),
    SetDnd(Dnd),
    /// Connect an account again, reading its secret afresh.
    Reconnect(usize),
    /// The accounts in the config, or their secrets, changed (added, edited
    /// or removed, from the window or a terminal): every client starts again.
    ReloadAccounts,
    /// The agent read the summary of what arrived while away.
    DismissAway,
    /// The window was opened: what it shows is seen.
    Seen,
    /// Open the window at this account's edit form (its secret was
    /// refused): the request rides on the next snapshot, told at once.
    EditAccount(String),
    /// Something the Accounts tab says once, when the window next reads
    /// the view (an invitation link's outcome). Never a secret.
    AccountsNotice(String),
    /// Rules edited in the window: applied, saved, and the outcome of the
    /// save sent back.
    SaveRules(
        Box<ValidRulesEdit>,
        oneshot::Sender<Result<(), ConfigError>>,
    ),
    /// A button pressed on a notification ("Assign to me", "Call back",
    /// "Remind me later"): carried out, and its outcome shown in place of
    /// the notification.
    Act(Box<Pressed>),
    /// Answered once every command sent before it is applied (they are
    /// taken in order): a terminal command that says "done" has its change
    /// in the view, so the next `deskbell status` shows it.
    Applied(oneshot::Sender<()>),
}

/// How the rest of the process reaches the daemon: the view behind a lock
/// (hold it briefly: the daemon waits for it), its commands, and what it
/// tells the window.
#[derive(Clone)]
pub struct Handle {
    pub view: Arc<Mutex<View>>,
    pub commands: mpsc::Sender<Command>,
    pushes: broadcast::Sender<Push>,
}

/// The daemon did not take a command: its queue is full, or it stopped.
#[derive(Debug, thiserror::Error)]
#[error("Deskbell is busy; try again")]
pub struct Busy;

impl Handle {
    /// The view, locked. Hold it briefly: the daemon waits for it.
    pub fn view(&self) -> Option<MutexGuard<'_, View>> {
        self.view.lock().ok()
    }

    pub fn send(&self, command: Command) -> Result<(), Busy> {
        self.commands.try_send(command).map_err(|_| Busy)
    }

    pub fn pushes(&self) -> broadcast::Receiver<Push> {
        self.pushes.subscribe()
    }
}

struct Running {
    config: AccountConfig,
    stop: watch::Sender<bool>,
    /// The last relay event id seen: where a restarted client resumes.
    last_id: Option<u64>,
    /// Who is who, as this account's relay last said.
    directory: Option<Directory>,
    /// Who this account's token belongs to, as its relay last said.
    me: Option<WhoAmI>,
}

struct Daemon {
    desktop: Arc<dyn Desktop>,
    view: Arc<Mutex<View>>,
    pushes: broadcast::Sender<Push>,
    config: Config,
    file: Option<ConfigFile>,
    accounts: Vec<Running>,
    tx: mpsc::Sender<(usize, StreamOutput)>,
    pipeline: Pipeline,
    resume: Option<ResumeStore>,
    /// A resume point moved since the last save.
    resume_dirty: bool,
    feed_store: Option<FeedStore>,
    /// The feed changed since the last save.
    feed_dirty: bool,
    /// The view changed since the window was last told.
    view_changed: bool,
    /// What the tray shows now, so it is told only of changes.
    tray_shown: Option<TrayView>,
    /// Stops the built-in demo; `None` while accounts are configured.
    demo: Option<watch::Sender<bool>>,
    /// The demo's names, used while it plays.
    demo_directory: Option<Directory>,
    /// The notifications already raised, kept across restarts.
    notified_store: Option<NotifiedStore>,
    first_response_store: Option<FirstResponseStore>,
    reminder_store: Option<ReminderStore>,
    /// Actions carried out off the loop (a request to a relay or the PBX)
    /// send the notification of their outcome here.
    outcomes: mpsc::UnboundedSender<Notification>,
    /// The pipeline's notification count when that memory was last saved.
    notified_saved: u64,
    /// The config file's modification time as the daemon last read or
    /// wrote it: another one means `deskbell account ...` changed it.
    config_seen: Option<std::time::SystemTime>,
}

/// Where the daemon keeps its files; `None` for each: the user's.
#[derive(Clone, Debug, Default)]
pub struct Files {
    pub config: Option<ConfigFile>,
    pub resume: Option<ResumeStore>,
    pub feed: Option<FeedStore>,
    pub notified: Option<NotifiedStore>,
    pub first_responses: Option<FirstResponseStore>,
    pub reminders: Option<ReminderStore>,
}

impl Files {
    /// The user's config and state files.
    pub fn user() -> Files {
        Files {
            config: ConfigFile::default_location(),
            resume: ResumeStore::default_location(),
            feed: FeedStore::default_location(),
            notified: NotifiedStore::default_location(),
            first_responses: FirstResponseStore::default_location(),
            reminders: ReminderStore::default_location(),
        }
    }
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

/// Loads the config, starts the sources and the pipeline on the current
/// tokio runtime, and shows the first tray view.
pub fn start(desktop: Arc<dyn Desktop>, files: Files) -> Handle {
    let (config, problem) = match &files.config {
        Some(file) => {
            let loaded = file.load();
            if let Some(p) = &loaded.problem {
                tracing::error!(code = p.code(), "{p}; running on defaults");
            }
            (loaded.config, loaded.problem.map(|p| p.to_string()))
        }
        None => (Config::default(), None),
    };
    let view = View {
        accounts: account_statuses(&config),
        demo: config.accounts.is_empty(),
        me: me_of(&config.identity),
        feed: files.feed.as_ref().map(FeedStore::load).unwrap_or_default(),
        subscriptions: config.rules.subscriptions.clone(),
        rules: RulesEdit::of(&config.rules, &config.identity),
        dnd_until: config.rules.schedule.do_not_disturb_until,
        stale_after_hours: config.board_stale_after_hours,
        config_problem: problem,
        locale: locale_of(&config),
        ..View::default()
    };
    let (cmd_tx, cmd_rx) = mpsc::channel(64);
    let (pushes, _) = broadcast::channel(256);
    let view = Arc::new(Mutex::new(view));
    let (tx, rx) = mpsc::channel(1024);
    let mut pipeline = pipeline_for(&config);
    if !config.accounts.is_empty() {
        remember_notified(&mut pipeline, files.notified.as_ref());
        remember_first_responses(&mut pipeline, files.first_responses.as_ref());
        if let Some(store) = &files.reminders {
            pipeline.restore_reminders(store.load());
        }
    }
    let (outcomes, outcomes_rx) = mpsc::unbounded_channel();
    let points = files
        .resume
        .as_ref()
        .map(ResumeStore::load)
        .unwrap_or_default();
    let mut daemon = Daemon {
        desktop,
        view: view.clone(),
        pushes: pushes.clone(),
        config,
        file: files.config,
        accounts: Vec::new(),
        tx,
        pipeline,
        resume: files.resume,
        resume_dirty: false,
        feed_store: files.feed,
        feed_dirty: false,
        view_changed: false,
        tray_shown: None,
        demo: None,
        demo_directory: None,
        notified_store: files.notified,
        first_response_store: files.first_responses,
        reminder_store: files.reminders,
        outcomes,
        notified_saved: 0,
        config_seen: None,
    };
    daemon.config_seen = daemon.file.as_ref().and_then(ConfigFile::modified);
    for (index, account) in daemon.config.accounts.clone().iter().enumerate() {
        let running = daemon.launch(index, account, points.get(account.name()).copied());
        daemon.accounts.push(running);
    }
    if daemon.accounts.is_empty() {
        daemon.start_demo();
    }
    daemon.show_tray();
    tokio::spawn(daemon.run(rx, cmd_rx, outcomes_rx));
    Handle {
        view,
        commands: cmd_tx,
        pushes,
    }
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

/// The tickets waiting for a first response before the restart.
fn remember_first_responses(pipeline: &mut Pipeline, store: Option<&FirstResponseStore>) {
    if let Some(store) = store {
        pipeline
            .classifier_mut()
            .restore_first_responses(store.load());
    }
}

/// What was notified before the restart, so a redelivery stays quiet.
fn remember_notified(pipeline: &mut Pipeline, store: Option<&NotifiedStore>) {
    if let Some(store) = store {
        pipeline.classifier_mut().remember_notified(store.load());
    }
}

fn pipeline_for(config: &Config) -> Pipeline {
    let window = chrono::Duration::seconds(i64::from(config.coalesce_seconds));
    let mut pipeline = Pipeline::new(config.rules.clone(), config.identity.clone(), window);
    pipeline.classifier_mut().locale = locale_of(config);
    pipeline
}

/// The config's language, else the OS locale's (read from this process's
/// environment, as the desktop session set it).
fn locale_of(config: &Config) -> Locale {
    Locale::resolve(config.language.as_deref(), |var| std::env::var(var).ok())
}

async fn play_demo(tx: mpsc::Sender<(usize, StreamOutput)>, mut stop: watch::Receiver<bool>) {
    let mut pause = Duration::from_secs(1);
    for n in 0.. {
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => return,
        }
        pause = DEMO_EVERY;
        let data = crate::demo::payload(n);
        let name = crate::event::peek_name(data.as_bytes())
            .map(|e| e.to_string())
            .unwrap_or_default();
        let event = StreamOutput::Event(StreamEvent {
            id: None,
            name,
            data,
        });
        if tx.send((DEMO_SOURCE, event)).await.is_err() {
            return;
        }
    }
}

/// A board row as the window shows it: the directory's name where the
/// agent's own update gave none, and its teams by name.
fn named(row: &AgentRow, names: &Names) -> AgentRow {
    let mut row = row.clone();
    if row.name.is_none() {
        row.name = names.agent(&row.id).map(str::to_owned);
    }
    for team in &mut row.teams {
        if team.name.is_none() {
            team.name = names.group(team.id.as_str()).map(|n| n.to_owned().into());
        }
    }
    row
}

impl Daemon {
    fn start_demo(&mut self) {
        let (stop, stop_rx) = watch::channel(false);
        self.demo = Some(stop);
        tokio::spawn(play_demo(self.tx.clone(), stop_rx));
        self.set_directory(DEMO_SOURCE, &crate::demo::directory().to_json());
    }

    /// Starts one account's client; its outputs come in tagged with `index`,
    /// its place in the config's account list.
    fn launch(&mut self, index: usize, account: &AccountConfig, last_id: Option<u64>) -> Running {
        let (stop, stop_rx) = watch::channel(false);
        let running = Running {
            config: account.clone(),
            stop,
            last_id,
            directory: None,
            me: None,
        };
        let name = account.name().to_owned();
        let secret = match self.desktop.load(&name) {
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
            AccountConfig::Relay { fallback_urls, .. } => {
                // Checked when the account was saved; one edited by hand
                // into something else is left out, and said.
                let fallbacks = fallback_urls
                    .iter()
                    .filter_map(|u| match check_url(u) {
                        Ok(u) => Some(u),
                        Err(e) => {
                            tracing::error!(account = %name, code = e.code(), "a fallback relay is left out: {e}");
                            None
                        }
                    })
                    .collect();
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
                    fallbacks,
                    token: secret,
                    events,
                };
                match RelayClient::new(endpoint, last_id) {
                    Ok(client) => drop(tokio::spawn(client.run(client_tx, stop_rx))),
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
                    Ok(client) => drop(tokio::spawn(client.run(client_tx, stop_rx))),
                    Err(e) => {
                        tracing::error!(account = %name, "cannot start the Xelion client: {e}")
                    }
                }
            }
        }
        let tx = self.tx.clone();
        tokio::spawn(async move {
            while let Some(out) = client_rx.recv().await {
                if tx.send((index, out)).await.is_err() {
                    break;
                }
            }
        });
        running
    }

    fn report(&mut self, index: usize, state: ConnectionState) {
        self.update_view(|v| {
            if let Some(a) = v.accounts.get_mut(index) {
                a.state = state;
            }
        });
    }

    fn update_view(&mut self, f: impl FnOnce(&mut View)) {
        if let Ok(mut v) = self.view.lock() {
            f(&mut v);
        }
        self.view_changed = true;
        self.show_tray();
    }

    /// Shows the tray its part of the view, when that changed.
    fn show_tray(&mut self) {
        let Some(tray) = self.view.lock().ok().map(|v| v.tray(Utc::now())) else {
            return;
        };
        if self.tray_shown.as_ref() != Some(&tray) {
            self.desktop.show_tray(&tray);
            self.tray_shown = Some(tray);
        }
    }

    /// Tells the window the view changed, if it did since it was last told.
    fn tell_window(&mut self) {
        if std::mem::take(&mut self.view_changed) {
            let _ = self.pushes.send(Push::ViewChanged);
        }
    }

    async fn run(
        mut self,
        mut rx: mpsc::Receiver<(usize, StreamOutput)>,
        mut commands: mpsc::Receiver<Command>,
        mut outcomes: mpsc::UnboundedReceiver<Notification>,
    ) {
        // Holds (quiet hours, do-not-disturb) end on the clock, not on an event.
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            let deliveries = tokio::select! {
                cmd = commands.recv() => match cmd {
                    Some(cmd) => {
                        self.apply(cmd);
                        Vec::new()
                    }
                    // Every handle is gone: the process is ending.
                    None => {
                        self.save_all();
                        return;
                    }
                },
                msg = rx.recv() => match msg {
                    None => break,
                    // A demo event still queued when the first account came.
                    Some((DEMO_SOURCE, _)) if self.demo.is_none() => Vec::new(),
                    Some((index, StreamOutput::Event(ev))) => self.ingest(index, ev),
                    Some((_, StreamOutput::Team(data))) => {
                        let now = Utc::now();
                        let change = self
                            .pipeline
                            .classifier_mut()
                            .remember_team_member(data.as_bytes(), now);
                        if let Some(change) = change {
                            self.show_board_change(&change.agent_id);
                        }
                        Vec::new()
                    }
                    Some((index, StreamOutput::CatchUp(payloads))) => {
                        let scope = self
                            .accounts
                            .get(index)
                            .map_or(LinkScope::Freshworks, |a| LinkScope::Account(&a.config));
                        self.pipeline
                            .catch_up(&payloads, Local::now().fixed_offset(), scope)
                            .into_iter()
                            .collect()
                    }
                    Some((index, StreamOutput::Directory(data))) => {
                        self.set_directory(index, &data);
                        Vec::new()
                    }
                    Some((index, StreamOutput::Me(data))) => {
                        self.set_me(index, &data);
                        Vec::new()
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
                Some(outcome) = outcomes.recv() => {
                    self.show_outcome(outcome);
                    Vec::new()
                }
                _ = tick.tick() => {
                    self.reload_if_changed_elsewhere();
                    self.save_all();
                    self.tell_window();
                    // The tooltip's "last event" minute and DND's end move with the clock.
                    self.show_tray();
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
                    let sound = self.pipeline.classifier().rules.sounds.for_delivery(&d);
                    self.desktop
                        .notify(d, sound, &self.pipeline.classifier().locale);
                }
                self.tell_window();
            }
        }
    }

    fn ingest(&mut self, index: usize, ev: StreamEvent) -> Vec<Delivery> {
        tracing::debug!(source = index, event = %ev.name, "event");
        if let (Some(id), Some(running)) = (ev.id, self.accounts.get_mut(index)) {
            running.last_id = Some(id);
            self.resume_dirty = true;
        }
        let scope = self
            .accounts
            .get(index)
            .map_or(LinkScope::Freshworks, |a| LinkScope::Account(&a.config));
        let ingested =
            self.pipeline
                .ingest_from(ev.data.as_bytes(), Local::now().fixed_offset(), scope);
        if let Err(e) = &ingested.classified.event {
            // Counted in the pipeline's stats; the stream goes on.
            tracing::warn!(code = e.code(), "skipped a malformed event");
        }
        if let Some(change) = &ingested.classified.board_change {
            self.show_board_change(&change.agent_id.clone());
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

    fn save_all(&mut self) {
        self.save_resume_points();
        self.save_feed();
        self.save_notified();
        self.save_first_responses();
        self.save_reminders();
    }

    /// The reminders, when they changed (the demo's are not kept).
    fn save_reminders(&mut self) {
        if !self.pipeline.take_reminders_changed() || self.demo.is_some() {
            return;
        }
        let Some(store) = &self.reminder_store else {
            return;
        };
        if let Err(e) = store.save(self.pipeline.reminders()) {
            tracing::warn!("cannot save the reminders: {e}");
        }
    }

    /// A pressed button. Requests go off the loop; their outcome comes back
    /// through `outcomes` as the notification that replaces the pressed one.
    fn act(&mut self, pressed: Pressed) {
        let Pressed {
            notification: n,
            action,
        } = pressed;
        tracing::info!(action = %action.id(), key = %n.key, account = ?n.account, "pressed");
        match action {
            // The desktop dials itself; nothing for the daemon to do.
            Action::Dial { .. } => {}
            Action::RemindLater => {
                let due = self.pipeline.remind(n, Utc::now());
                tracing::info!(%due, "reminder set");
            }
            Action::AssignToMe { ticket } => {
                // Dealt with, or shown why not: no reminder either way.
                self.pipeline.settle(&n.key);
                let target = self.relay_of(n.account.as_deref());
                let outcomes = self.outcomes.clone();
                let locale = self.pipeline.classifier().locale.clone();
                tokio::spawn(async move {
                    let result = match target {
                        Ok((relays, token)) => {
                            crate::actions::assign::assign(&relays, &token, &ticket).await
                        }
                        Err(e) => Err(e),
                    };
                    match &result {
                        Ok(done) => tracing::info!(?done, "assign to me"),
                        Err(e) => tracing::warn!(code = e.code(), "assign to me: {e}"),
                    }
                    let shown =
                        crate::actions::assign::outcome(&n, &ticket, &result, Utc::now(), &locale);
                    let _ = outcomes.send(shown);
                });
            }
            Action::CallBack { number } => {
                // The call returned: no reminder of it.
                self.pipeline.settle(&n.key);
                let target = self.xelion_of(n.account.as_deref());
                let outcomes = self.outcomes.clone();
                let locale = self.pipeline.classifier().locale.clone();
                tokio::spawn(async move {
                    let result = match target {
                        Ok(account) => {
                            crate::actions::call_back::call_back(&account, &number).await
                        }
                        Err(e) => Err(e),
                    };
                    match &result {
                        Ok(()) => tracing::info!("call back placed"),
                        Err(e) => tracing::warn!(code = e.code(), "call back: {e}"),
                    }
                    let shown = crate::actions::call_back::outcome(
                        &n,
                        &number,
                        &result,
                        Utc::now(),
                        &locale,
                    );
                    let _ = outcomes.send(shown);
                });
            }
        }
    }

    /// What a pressed button did, in the pressed notification's place and
    /// in the feed. Silent: it answers the agent's own press.
    fn show_outcome(&mut self, n: Notification) {
        let d = Delivery::Single(n);
        let now = Utc::now();
        self.update_view(|v| {
            v.feed.record(&d, now);
        });
        self.feed_dirty = true;
        self.desktop
            .notify(d, None, &self.pipeline.classifier().locale);
        self.tell_window();
    }

    /// The running account of that name (an action's `account`).
    fn account_named(&self, name: &str) -> Option<&AccountConfig> {
        self.accounts
            .iter()
            .map(|a| &a.config)
            .find(|c| c.name() == name)
    }

    /// A relay account's relays (its URL, then its fallbacks) and token.
    fn relay_of(
        &self,
        name: Option<&str>,
    ) -> Result<(Vec<url::Url>, Secret), crate::actions::assign::AssignError> {
        use crate::actions::assign::AssignError;
        let name = name.unwrap_or_default();
        let Some(AccountConfig::Relay {
            url, fallback_urls, ..
        }) = self.account_named(name)
        else {
            return Err(AssignError::NoAccount(name.to_owned()));
        };
        let relays = std::iter::once(url)
            .chain(fallback_urls)
            .filter_map(|u| check_url(u).ok())
            .collect();
        let token = self
            .desktop
            .load(name)
            .map_err(|e| AssignError::Keyring(e.to_string()))?;
        Ok((relays, token))
    }

    /// A Xelion account, its password from the keyring.
    fn xelion_of(
        &self,
        name: Option<&str>,
    ) -> Result<XelionAccount, crate::actions::call_back::CallBackError> {
        use crate::actions::call_back::CallBackError;
        let name = name.unwrap_or_default();
        let Some(AccountConfig::Xelion {
            url,
            tenant,
            user,
            user_space,
            admin,
            ..
        }) = self.account_named(name)
        else {
            return Err(CallBackError::NoAccount(name.to_owned()));
        };
        let base = check_url(url).map_err(|e| CallBackError::Unreachable(e.to_string()))?;
        let password = self
            .desktop
            .load(name)
            .map_err(|e| CallBackError::Keyring(e.to_string()))?;
        Ok(XelionAccount {
            base,
            tenant: tenant.clone(),
            user: user.clone(),
            password,
            user_space: user_space.clone(),
            admin: *admin,
        })
    }

    /// The first-response watch, when it changed (the demo's is not kept).
    fn save_first_responses(&mut self) {
        if self.demo.is_some()
            || !self
                .pipeline
                .classifier_mut()
                .take_first_responses_changed()
        {
            return;
        }
        let Some(store) = &self.first_response_store else {
            return;
        };
        if let Err(e) = store.save(self.pipeline.classifier().first_responses()) {
            tracing::warn!("cannot save the first-response watch: {e}");
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
            Command::Seen => self.update_view(|v| v.unseen = 0),
            Command::AccountsNotice(text) => {
                self.update_view(|v| v.accounts_notice = Some(text));
                self.tell_window();
            }
            Command::EditAccount(name) => {
                self.update_view(|v| v.edit_request = Some(name));
                self.tell_window();
            }
            Command::SaveRules(edit, reply) => {
                edit.apply_to(&mut self.config.rules, &mut self.config.identity);
                let classifier = self.pipeline.classifier_mut();
                edit.apply_to(&mut classifier.rules, &mut classifier.identity);
                let saved = self.save();
                let shown = RulesEdit::of(&self.config.rules, &self.config.identity);
                // The view first: the request answers with what it holds.
                self.update_view(|v| v.rules = shown);
                self.refresh_identity();
                let _ = reply.send(saved);
            }
            Command::Act(pressed) => self.act(*pressed),
            Command::Applied(reply) => {
                let _ = reply.send(());
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

    /// An account's relay said who is who: names for notifications from
    /// now on, and for the board and the Rules tab at once. Garbage is
    /// logged and changes nothing.
    fn set_directory(&mut self, index: usize, data: &str) {
        let directory = match Directory::from_json(data) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(account = index, code = e.code(), "{e}");
                return;
            }
        };
        if index == DEMO_SOURCE {
            self.demo_directory = Some(directory);
        } else if let Some(running) = self.accounts.get_mut(index) {
            running.directory = Some(directory);
        } else {
            return;
        }
        self.refresh_names();
    }

    fn set_me(&mut self, index: usize, data: &str) {
        let me = match WhoAmI::from_json(data) {
            Ok(me) => me,
            Err(e) => {
                tracing::warn!(account = index, code = e.code(), "the relay's `me`: {e}");
                return;
            }
        };
        let Some(running) = self.accounts.get_mut(index) else {
            return;
        };
        if running.me.as_ref() == Some(&me) {
            return;
        }
        running.me = Some(me);
        self.refresh_identity();
    }

    /// "Me" for the rules and the board: what the agent typed, field by
    /// field, over what the accounts' relays said.
    fn refresh_identity(&mut self) {
        let learned: Vec<Identity> = self
            .accounts
            .iter()
            .filter_map(|a| a.me.as_ref().map(WhoAmI::identity))
            .collect();
        let effective = self.config.identity.over(&Identity::merged(&learned));
        let relay_me: Vec<WhoAmI> = self.accounts.iter().filter_map(|a| a.me.clone()).collect();
        let me = me_of(&effective);
        self.pipeline.classifier_mut().identity = effective;
        self.update_view(|v| {
            v.me = me;
            v.relay_me = relay_me;
        });
    }

    /// Names from every directory held, accounts first in config order.
    fn refresh_names(&mut self) {
        let names = Names::from_directories(
            self.accounts
                .iter()
                .filter_map(|a| a.directory.as_ref())
                .chain(self.demo_directory.iter().filter(|_| self.demo.is_some())),
        );
        let groups = names.groups().to_vec();
        self.pipeline.classifier_mut().set_names(names);
        let classifier = self.pipeline.classifier();
        let rows: BTreeMap<String, AgentRow> = classifier
            .board()
            .rows()
            .map(|r| (r.id.clone(), named(r, classifier.names())))
            .collect();
        self.update_view(|v| {
            v.groups = groups;
            v.board = rows;
        });
    }

    /// The board row of `agent_id`, named, to the view and to the window.
    fn show_board_change(&mut self, agent_id: &str) {
        let classifier = self.pipeline.classifier();
        let row = classifier
            .board()
            .get(agent_id)
            .map(|r| named(r, classifier.names()));
        self.update_view(|v| match &row {
            Some(row) => {
                v.board.insert(agent_id.to_owned(), row.clone());
            }
            None => {
                v.board.remove(agent_id);
            }
        });
        let _ = self.pushes.send(Push::BoardRow {
            agent_id: agent_id.to_owned(),
            row: row.map(Box::new),
        });
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

    /// Picks up accounts added, edited or removed (from the window or a
    /// terminal): every client stops and the config's accounts start again,
    /// each from its resume point, with its secret read afresh. Rare, so
    /// simple beats clever.
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
        let mut points: BTreeMap<String, u64> = self
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
        self.config.language = config.language;
        let locale = locale_of(&self.config);
        self.pipeline.classifier_mut().locale = locale.clone();
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
                remember_first_responses(&mut self.pipeline, self.first_response_store.as_ref());
                if let Some(store) = &self.reminder_store {
                    self.pipeline.restore_reminders(store.load());
                }
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
            v.locale = locale;
            if switching {
                v.board.clear();
            }
        });
        // Names stay while the clients reconnect; the relay says them again.
        let mut kept: BTreeMap<String, (Option<Directory>, Option<WhoAmI>)> =
            std::mem::take(&mut self.accounts)
                .into_iter()
                .map(|a| (a.config.name().to_owned(), (a.directory, a.me)))
                .collect();
        for (index, account) in self.config.accounts.clone().iter().enumerate() {
            let mut running = self.launch(index, account, points.get(account.name()).copied());
            if let Some((directory, me)) = kept.remove(account.name()) {
                running.directory = directory;
                running.me = me;
            }
            self.accounts.push(running);
        }
        self.refresh_names();
        self.refresh_identity();
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
        let feed = self.view.lock().ok().map(|v| v.feed.clone());
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

    /// Saves the rules and identity, the part of the config the daemon
    /// owns, into the file as it is on disk: accounts added meanwhile (by
    /// the CLI, or the window before its reload arrives) stay. A broken file
    /// is kept and the problem shown (and returned, for a request that waits
    /// on it).
    fn save(&mut self) -> Result<(), ConfigError> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let (rules, identity) = (&self.config.rules, &self.config.identity);
        let seen_before = file.modified();
        let saved = file
            .update(|c| {
                c.rules = rules.clone();
                c.identity = identity.clone();
            })
            .map(drop);
        // Our own write is not news; one made elsewhere since we last
        // looked still is (its accounts are in what we just wrote).
        if seen_before == self.config_seen {
            self.config_seen = file.modified();
        }
        if let Err(e) = &saved {
            tracing::error!(code = e.code(), "{e}");
            let message = e.to_string();
            self.update_view(|v| v.config_problem = Some(message));
        }
        saved
    }
}
