//! The OS notification sink. Customer text is hostile: the body is escaped
//! for the notification markup, the summary has markup characters replaced
//! (some daemons parse it, others show it raw), and a click opens only an
//! https link, never anything else the payload might carry.

use std::collections::HashMap;
use std::sync::mpsc;

use deskbell_core::actions::{ActionId, Pressed};
use deskbell_core::coalesce::Delivery;
use deskbell_core::l10n::Locale;
use deskbell_core::notification::{Kind, Notification, Urgency};
use deskbell_core::rules::Sound;

/// Replace ids remembered, so an update replaces its notification on screen.
const MAX_REMEMBERED: usize = 1000;

pub fn escape_body(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Summaries are plain text by the spec, yet some daemons render markup in
/// them: look-alikes keep the text readable everywhere and inert.
pub fn plain_summary(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => '‹',
            '>' => '›',
            '&' => '＆',
            c => c,
        })
        .collect()
}

/// Only https links, with a host and no credentials, are ever opened.
pub fn safe_link(raw: &str) -> Option<url::Url> {
    let url = url::Url::parse(raw).ok()?;
    let ok = url.scheme() == "https"
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none();
    ok.then_some(url)
}

/// Where a pressed button goes: the daemon, which carries it out.
pub type PressedTx = tokio::sync::mpsc::UnboundedSender<Pressed>;

/// One delivery for the sink to show: its sound, and the language its
/// summaries and buttons are said in.
pub type Popup = (Delivery, Option<Sound>, Locale);

/// Which showing of each notification id is current. A replacement keeps
/// the id (the spec's `replaces_id`) and sends no `NotificationClosed`, so
/// the replaced one's waiter still listens: it acts only while its showing
/// is the current one, or a press would be carried out twice, the second
/// time with what the replaced popup said.
#[derive(Clone, Default)]
pub struct Showings(std::sync::Arc<std::sync::Mutex<HashMap<u32, u64>>>);

impl Showings {
    /// A new showing of `id` with buttons; the one before it is no longer
    /// current. Kept until its waiter ends (`end`): a popup that stays on
    /// screen all day keeps its buttons.
    pub fn begin(&self, id: u32, showing: u64) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(id, showing);
        }
    }

    /// `id` shown again without buttons: no earlier showing acts.
    pub fn forget(&self, id: u32) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(&id);
        }
    }

    /// The showing's waiter ended (the popup closed, or a button was
    /// pressed): forgotten, unless a later showing took the id over.
    pub fn end(&self, id: u32, showing: u64) {
        if let Ok(mut map) = self.0.lock() {
            if map.get(&id) == Some(&showing) {
                map.remove(&id);
            }
        }
    }

    pub fn is_current(&self, id: u32, showing: u64) -> bool {
        self.0
            .lock()
            .map(|map| map.get(&id) == Some(&showing))
            .unwrap_or(false)
    }
}

/// Runs the sink on its own thread: notification calls block on D-Bus.
pub fn spawn_sink(pressed: PressedTx) -> mpsc::Sender<Popup> {
    let (tx, rx) = mpsc::channel::<Popup>();
    let _ = std::thread::Builder::new()
        .name("notify-sink".into())
        .spawn(move || {
            let mut sink = Sink {
                replace_ids: HashMap::new(),
                showings: Showings::default(),
                shown: 0,
                pressed,
            };
            for (delivery, sound, locale) in rx {
                show(&delivery, sound.as_ref(), &locale, &mut sink);
            }
        });
    tx
}

/// The buttons, as the spec's (key, label) pairs: Open first where there
/// is a link ("default" is a click on the body), then the notification's
/// own actions. A Freshcaller missed call's Open is its call back: the
/// call opens in Freshcaller, whose button rings the customer.
pub fn buttons(item: &Notification, has_link: bool, l: &Locale) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if has_link {
        let calls_back = item.kind == Kind::MissedCall
            && !item
                .actions
                .iter()
                .any(|a| matches!(a.id(), ActionId::CallBack | ActionId::Dial));
        let label = if calls_back {
            ActionId::CallBack
        } else {
            ActionId::Open
        }
        .label(l);
        out.push(("default", label.clone()));
        out.push((ActionId::Open.as_str(), label));
    }
    for action in &item.actions {
        let id = action.id();
        out.push((id.as_str(), id.label(l)));
    }
    out
}

/// The sound as the freedesktop spec's hints say it: a theme name
/// (`sound-name`) or a file (`sound-file`, an absolute path only).
#[cfg(all(unix, not(target_os = "macos")))]
pub fn sound_hint(sound: &Sound) -> Option<notify_rust::Hint> {
    match sound {
        Sound::Theme(name) => Some(notify_rust::Hint::SoundName(name.clone())),
        Sound::File(path) if path.is_absolute() => {
            Some(notify_rust::Hint::SoundFile(path.display().to_string()))
        }
        Sound::File(_) => None,
    }
}

/// The sink thread's memory.
struct Sink {
    /// The id each key was last shown with, so an update replaces it.
    replace_ids: HashMap<String, u32>,
    showings: Showings,
    /// Showings so far: each one's number.
    shown: u64,
    pressed: PressedTx,
}

fn show(delivery: &Delivery, sound: Option<&Sound>, locale: &Locale, sink: &mut Sink) {
    let replace_ids = &mut sink.replace_ids;
    if let Delivery::Withdrawn { key, title } = delivery {
        withdraw(key, title, replace_ids);
        return;
    }
    let mut n = notify_rust::Notification::new();
    n.appname("Deskbell")
        .summary(&plain_summary(&delivery.title(locale)))
        .body(&escape_body(&delivery.body(locale)));
    let (single, link, urgency) = match delivery {
        Delivery::Single(item) => (
            Some(item.clone()),
            item.url.as_deref().and_then(safe_link),
            item.urgency,
        ),
        Delivery::Burst { .. } | Delivery::Held(_) | Delivery::Withdrawn { .. } => {
            (None, None, Urgency::Normal)
        }
    };
    let key = single.as_ref().map(|n| n.key.clone());
    if let Some(id) = key.as_ref().and_then(|k| replace_ids.get(k)) {
        n.id(*id);
    }
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        n.urgency(match urgency {
            Urgency::Low => notify_rust::Urgency::Low,
            Urgency::Normal => notify_rust::Urgency::Normal,
            Urgency::Critical => notify_rust::Urgency::Critical,
        });
        // Critical stays until dismissed (the rules' `stay_until_dismissed`
        // made it so): said outright, for daemons that expire even those.
        if urgency == Urgency::Critical {
            n.timeout(notify_rust::Timeout::Never);
        }
        if let Some(hint) = sound.and_then(sound_hint) {
            n.hint(hint);
        }
        if let Some(item) = &single {
            for (id, label) in buttons(item, link.is_some(), locale) {
                n.action(id, &label);
            }
        }
    }
    let _ = (urgency, sound);
    match n.show() {
        Ok(handle) => {
            #[cfg(all(unix, not(target_os = "macos")))]
            {
                if let Some(key) = key {
                    let kind = single.as_ref().map(|n| n.kind.as_str()).unwrap_or_default();
                    tracing::debug!(id = handle.id(), %key, %kind, "notification shown");
                    if replace_ids.len() >= MAX_REMEMBERED {
                        replace_ids.clear();
                    }
                    replace_ids.insert(key, handle.id());
                }
                let acts = single
                    .as_ref()
                    .is_some_and(|item| link.is_some() || !item.actions.is_empty());
                sink.shown += 1;
                let showing = sink.shown;
                if !acts {
                    sink.showings.forget(handle.id());
                }
                if let (true, Some(item)) = (acts, single) {
                    sink.showings.begin(handle.id(), showing);
                    let pressed = sink.pressed.clone();
                    let showings = sink.showings.clone();
                    // Waiting for a click blocks until the notification closes.
                    let _ = std::thread::Builder::new()
                        .name("notify-action".into())
                        .spawn(move || {
                            let id = handle.id();
                            handle.wait_for_action(|key| {
                                if showings.is_current(id, showing) {
                                    on_action(&item, link, key, &pressed);
                                }
                            });
                            showings.end(id, showing);
                        });
                }
            }
            #[cfg(not(all(unix, not(target_os = "macos"))))]
            let _ = (handle, link, key, single, &sink.pressed);
        }
        Err(e) => tracing::warn!("cannot show a notification: {e}"),
    }
}

/// A button pressed (or the notification closed: notify-rust's
/// "__closed", which names no action and is ignored like any key Deskbell
/// never sent).
#[cfg(all(unix, not(target_os = "macos")))]
fn on_action(item: &Notification, link: Option<url::Url>, key: &str, pressed: &PressedTx) {
    match ActionId::parse(key) {
        Some(ActionId::Open) => {
            if let Some(link) = link {
                if let Err(e) = open::that_detached(link.as_str()) {
                    tracing::warn!("cannot open the link: {e}");
                }
            }
        }
        Some(ActionId::Dial) => dial(item),
        Some(_) => match Pressed::of(item, key) {
            // The daemon ends only with the process.
            Some(p) => drop(pressed.send(p)),
            None => tracing::warn!(%key, "a button this notification does not have"),
        },
        None => {}
    }
}

/// "Call back" by the desktop's `tel:` handler (a softphone), with the
/// number the notification's Dial action holds, if it is a phone number.
pub fn dial(item: &Notification) {
    let number = item.actions.iter().find_map(|a| match a {
        deskbell_core::actions::Action::Dial { number } => Some(number.as_str()),
        _ => None,
    });
    match number.and_then(deskbell_core::actions::tel_link) {
        Some(link) => {
            if let Err(e) = open::that_detached(&link) {
                tracing::warn!("cannot dial: {e}");
            }
        }
        None => tracing::warn!("no phone number to dial"),
    }
}

/// Closes the notification shown for `key`, if any. The spec closes by id
/// only through the handle `show` returned, so the notification is replaced
/// (same id) with `title`, and that replacement's handle closes it: daemons
/// that keep a history keep the reason. (Only the freedesktop daemons give
/// ids back; elsewhere the notification times out as usual.)
#[cfg(all(unix, not(target_os = "macos")))]
fn withdraw(key: &str, title: &str, replace_ids: &mut HashMap<String, u32>) {
    let Some(id) = replace_ids.remove(key) else {
        return;
    };
    let shown = notify_rust::Notification::new()
        .appname("Deskbell")
        .summary(&plain_summary(title))
        .id(id)
        .show();
    match shown {
        Ok(handle) => handle.close(),
        Err(e) => tracing::warn!("cannot take back a notification: {e}"),
    }
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn withdraw(_key: &str, _title: &str, _replace_ids: &mut HashMap<String, u32>) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_markup_is_inert() {
        let hostile =
            r#"<b>URGENT</b> <a href="javascript:alert(1)">x</a> & <img src=x onerror=y>"#;
        let body = escape_body(hostile);
        assert!(!body.contains('<') && !body.contains('>') && !body.contains('"'));
        assert!(body.starts_with("&lt;b&gt;URGENT&lt;/b&gt;"));
        let summary = plain_summary(hostile);
        assert!(!summary.contains('<') && !summary.contains('&'));
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn sounds_become_the_specs_hints() {
        assert_eq!(
            sound_hint(&Sound::Theme("phone-incoming-call".into())),
            Some(notify_rust::Hint::SoundName("phone-incoming-call".into()))
        );
        assert_eq!(
            sound_hint(&Sound::File("/usr/share/sounds/x.oga".into())),
            Some(notify_rust::Hint::SoundFile(
                "/usr/share/sounds/x.oga".into()
            ))
        );
        assert_eq!(sound_hint(&Sound::File("relative.oga".into())), None);
    }

    fn notification(kind: Kind, actions: Vec<deskbell_core::actions::Action>) -> Notification {
        Notification {
            kind,
            key: "k".into(),
            dedupe_key: "d".into(),
            title: "t".into(),
            body: "b".into(),
            url: Some("https://sample.freshdesk.com/a/tickets/1".into()),
            urgency: Urgency::Normal,
            at: None,
            actions,
            account: Some("acme".into()),
        }
    }

    #[test]
    fn buttons_are_the_notifications_actions_after_open() {
        use deskbell_core::actions::Action;
        let ticket = notification(
            Kind::NewTicket,
            vec![
                Action::AssignToMe { ticket: "1".into() },
                Action::RemindLater,
            ],
        );
        let keys: Vec<(&str, String)> = buttons(&ticket, true, &Locale::english());
        assert_eq!(
            keys,
            [
                ("default", "Open".to_owned()),
                ("open", "Open".to_owned()),
                ("assign", "Assign to me".to_owned()),
                ("remind", "Remind me in 15 min".to_owned()),
            ]
        );
        // No link: no Open, the actions still.
        assert_eq!(buttons(&ticket, false, &Locale::english()).len(), 2);
        // Freshcaller's call back is its call, opened in Freshcaller.
        let call = notification(Kind::MissedCall, vec![Action::RemindLater]);
        assert_eq!(
            buttons(&call, true, &Locale::english())[1],
            ("open", "Call back".to_owned())
        );
        // Xelion's is the PBX's: Open stays Open.
        let xelion = notification(
            Kind::MissedCall,
            vec![Action::CallBack {
                number: "+31".into(),
            }],
        );
        assert_eq!(
            buttons(&xelion, true, &Locale::english())[1],
            ("open", "Open".to_owned())
        );
        assert_eq!(
            buttons(&xelion, true, &Locale::english())[2],
            ("call_back", "Call back".to_owned())
        );
    }

    #[test]
    fn a_replaced_popup_no_longer_acts() {
        let showings = Showings::default();
        showings.begin(5, 1);
        assert!(showings.is_current(5, 1));
        // The first-response warning replaces the new-ticket popup (id 5).
        showings.begin(5, 2);
        assert!(!showings.is_current(5, 1));
        assert!(showings.is_current(5, 2));
        assert!(!showings.is_current(6, 2));
        // The first showing's waiter ends late: the second keeps the id.
        showings.end(5, 1);
        assert!(showings.is_current(5, 2));
        showings.end(5, 2);
        assert!(!showings.is_current(5, 2));
        // Shown again without buttons: nothing earlier acts.
        showings.begin(7, 3);
        showings.forget(7);
        assert!(!showings.is_current(7, 3));
    }

    #[test]
    fn only_https_links_open() {
        assert!(safe_link("https://sample.freshdesk.com/a/tickets/1").is_some());
        for bad in [
            "javascript:alert(1)",
            "http://sample.freshdesk.com/a/tickets/1",
            "file:///etc/passwd",
            "https://user:pw@sample.freshdesk.com/",
            "data:text/html,hi",
            "not a url",
        ] {
            assert!(safe_link(bad).is_none(), "{bad}");
        }
    }
}
