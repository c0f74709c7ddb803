//! The tray icon and its menu. Menu ids are an enum, parsed once, so a typo is
//! a compile error rather than a dead menu item. The tray only shows the
//! runtime's view and sends commands back; it decides nothing itself.

use deskbell_core::notification::Kind;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};

use crate::state::{AccountClick, AppState, Command, Dnd, TrayIconState, TrayView};
use crate::{autostart, desktop};

const TRAY_ID: &str = "deskbell";

fn icon_bytes(state: TrayIconState) -> &'static [u8] {
    match state {
        TrayIconState::Connected => include_bytes!("../../icons/tray-connected.png"),
        TrayIconState::Degraded => include_bytes!("../../icons/tray-degraded.png"),
        TrayIconState::Offline => include_bytes!("../../icons/tray-offline.png"),
        TrayIconState::DoNotDisturb => include_bytes!("../../icons/tray-dnd.png"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuId {
    Open,
    Quit,
    Subscription(Kind),
    Dnd(Dnd),
    StartAtLogin,
    /// An account's status line; a click retries a locked keyring, or opens
    /// the account's edit form when its secret was refused.
    Account(usize),
}

impl MenuId {
    pub fn to_id(self) -> String {
        match self {
            MenuId::Open => "open".into(),
            MenuId::Quit => "quit".into(),
            MenuId::Subscription(kind) => format!("subscription.{}", kind.as_str()),
            MenuId::Dnd(Dnd::OneHour) => "dnd.one_hour".into(),
            MenuId::Dnd(Dnd::HalfAnHour) => "dnd.half_an_hour".into(),
            MenuId::Dnd(Dnd::UntilTomorrowMorning) => "dnd.until_tomorrow".into(),
            MenuId::Dnd(Dnd::Off) => "dnd.off".into(),
            MenuId::Account(i) => format!("account.{i}"),
            MenuId::StartAtLogin => "start_at_login".into(),
        }
    }

    pub fn parse(id: &str) -> Option<MenuId> {
        match id {
            "open" => Some(MenuId::Open),
            "quit" => Some(MenuId::Quit),
            "dnd.one_hour" => Some(MenuId::Dnd(Dnd::OneHour)),
            "dnd.half_an_hour" => Some(MenuId::Dnd(Dnd::HalfAnHour)),
            "dnd.until_tomorrow" => Some(MenuId::Dnd(Dnd::UntilTomorrowMorning)),
            "dnd.off" => Some(MenuId::Dnd(Dnd::Off)),
            "start_at_login" => Some(MenuId::StartAtLogin),
            _ => {
                if let Some(k) = id.strip_prefix("subscription.") {
                    return Kind::ALL
                        .into_iter()
                        .find(|kind| kind.as_str() == k)
                        .map(MenuId::Subscription);
                }
                id.strip_prefix("account.")
                    .and_then(|i| i.parse().ok())
                    .map(MenuId::Account)
            }
        }
    }
}

fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::MissedCall => "Missed calls",
        Kind::NewTicket => "New tickets",
        Kind::ConversationReassigned => "Reassigned conversations",
        Kind::TicketReassigned => "Reassigned tickets",
        Kind::AgentStatus => "Agent status changes",
    }
}

/// Handles kept so the view can be applied without rebuilding the menu.
pub struct TrayHandles {
    tray: TrayIcon,
    items: std::sync::Mutex<MenuItems>,
    icon: std::sync::Mutex<Option<TrayIconState>>,
}

struct MenuItems {
    checks: Vec<(Kind, CheckMenuItem<Wry>)>,
    accounts: Vec<MenuItem<Wry>>,
    /// The menu was built for the demo (one line, not an account's).
    demo: bool,
    start_at_login: CheckMenuItem<Wry>,
}

struct MenuParts {
    menu: Menu<Wry>,
    items: MenuItems,
}

fn build_menu(app: &AppHandle, view: &TrayView) -> tauri::Result<MenuParts> {
    let mut account_items = Vec::new();
    if view.demo {
        account_items.push(MenuItem::with_id(
            app,
            MenuId::Account(0).to_id(),
            "Demo: built-in sample events",
            false,
            None::<&str>,
        )?);
    }
    for (i, (line, click)) in view.lines.iter().enumerate() {
        account_items.push(MenuItem::with_id(
            app,
            MenuId::Account(i).to_id(),
            line,
            click.is_some(),
            None::<&str>,
        )?);
    }
    let mut checks = Vec::new();
    for kind in Kind::ALL {
        let item = CheckMenuItem::with_id(
            app,
            MenuId::Subscription(kind).to_id(),
            kind_label(kind),
            true,
            view.subscriptions.is_on(kind),
            None::<&str>,
        )?;
        checks.push((kind, item));
    }
    let dnd = Submenu::with_items(
        app,
        "Do not disturb",
        true,
        &[
            &MenuItem::with_id(
                app,
                MenuId::Dnd(Dnd::HalfAnHour).to_id(),
                "For 30 minutes",
                true,
                None::<&str>,
            )?,
            &MenuItem::with_id(
                app,
                MenuId::Dnd(Dnd::OneHour).to_id(),
                "For 1 hour",
                true,
                None::<&str>,
            )?,
            &MenuItem::with_id(
                app,
                MenuId::Dnd(Dnd::UntilTomorrowMorning).to_id(),
                "Until tomorrow 08:00",
                true,
                None::<&str>,
            )?,
            &MenuItem::with_id(
                app,
                MenuId::Dnd(Dnd::Off).to_id(),
                "Off",
                true,
                None::<&str>,
            )?,
        ],
    )?;
    let start_at_login = CheckMenuItem::with_id(
        app,
        MenuId::StartAtLogin.to_id(),
        "Start at login",
        true,
        autostart::is_on().unwrap_or(false),
        None::<&str>,
    )?;
    let open = MenuItem::with_id(
        app,
        MenuId::Open.to_id(),
        "Open Deskbell",
        true,
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, MenuId::Quit.to_id(), "Quit", true, None::<&str>)?;
    let menu = Menu::new(app)?;
    for item in &account_items {
        menu.append(item)?;
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    for (_, item) in &checks {
        menu.append(item)?;
    }
    menu.append(&dnd)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&start_at_login)?;
    menu.append(&open)?;
    menu.append(&quit)?;
    Ok(MenuParts {
        menu,
        items: MenuItems {
            checks,
            accounts: account_items,
            demo: view.demo,
            start_at_login,
        },
    })
}

pub fn install(app: &AppHandle, view: &TrayView) -> tauri::Result<()> {
    let parts = build_menu(app, view)?;
    let state = view.icon;
    let tray = TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(icon_bytes(state))?)
        .tooltip(&view.tooltip)
        .menu(&parts.menu)
        .on_menu_event(on_menu_event)
        .build(app)?;
    app.manage(TrayHandles {
        tray,
        items: std::sync::Mutex::new(parts.items),
        icon: std::sync::Mutex::new(Some(state)),
    });
    Ok(())
}

/// Shows `view`: icon, tooltip, check marks and status lines in place, or
/// a new menu when the set of accounts changed.
pub fn show(app: &AppHandle, view: &TrayView) {
    let Some(handles) = app.try_state::<TrayHandles>() else {
        return;
    };
    if let Ok(mut current) = handles.icon.lock() {
        if *current != Some(view.icon) {
            if let Ok(img) = Image::from_bytes(icon_bytes(view.icon)) {
                let _ = handles.tray.set_icon(Some(img));
            }
            *current = Some(view.icon);
        }
    }
    let _ = handles.tray.set_tooltip(Some(&view.tooltip));
    let lines = if view.demo { 1 } else { view.lines.len() };
    let rebuild = handles
        .items
        .lock()
        .map(|items| items.accounts.len() != lines || items.demo != view.demo)
        .unwrap_or(false);
    if rebuild {
        // Built without holding the items: building waits on the main
        // thread, which may itself be waiting for them (a menu click).
        match build_menu(app, view) {
            Ok(parts) => {
                if let Err(e) = handles.tray.set_menu(Some(parts.menu)) {
                    tracing::warn!("cannot rebuild the tray menu: {e}");
                }
                if let Ok(mut items) = handles.items.lock() {
                    *items = parts.items;
                }
            }
            Err(e) => tracing::warn!("cannot rebuild the tray menu: {e}"),
        }
        return;
    }
    let Ok(items) = handles.items.lock() else {
        return;
    };
    for (kind, item) in &items.checks {
        let _ = item.set_checked(view.subscriptions.is_on(*kind));
    }
    if !view.demo {
        for (item, (line, click)) in items.accounts.iter().zip(&view.lines) {
            let _ = item.set_text(line);
            // Clickable only when a click can help.
            let _ = item.set_enabled(click.is_some());
        }
    }
}

fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    let Some(id) = MenuId::parse(event.id().as_ref()) else {
        return;
    };
    let command = match id {
        MenuId::Open => {
            if let Err(err) = desktop::open_main_window(app) {
                tracing::warn!("cannot open the window: {err}");
            }
            Command::Seen
        }
        MenuId::Quit => {
            app.exit(0);
            return;
        }
        // An OS setting, not a rule: applied here, with the OS as the truth.
        MenuId::StartAtLogin => {
            let on = !autostart::is_on().unwrap_or(false);
            if let Err(e) = autostart::set(on) {
                tracing::warn!(code = e.code(), "{e}");
            }
            if let Some(handles) = app.try_state::<TrayHandles>() {
                if let Ok(items) = handles.items.lock() {
                    let _ = items
                        .start_at_login
                        .set_checked(autostart::is_on().unwrap_or(false));
                }
            }
            return;
        }
        MenuId::Account(index) => {
            let account = app.try_state::<AppState>().and_then(|state| {
                let v = state.view.lock().ok()?;
                let a = v.accounts.get(index)?;
                Some((a.name.clone(), a.click()?))
            });
            match account {
                Some((_, AccountClick::RetryKeyring)) => Command::Reconnect(index),
                Some((name, AccountClick::ReplaceSecret)) => {
                    if let Err(err) = desktop::open_account_edit(app, &name) {
                        tracing::warn!("cannot open the window: {err}");
                    }
                    return;
                }
                None => return,
            }
        }
        MenuId::Dnd(choice) => Command::SetDnd(choice),
        MenuId::Subscription(kind) => {
            let Some(state) = app.try_state::<AppState>() else {
                return;
            };
            let on = state
                .view
                .lock()
                .map(|v| !v.subscriptions.is_on(kind))
                .unwrap_or(true);
            Command::SetSubscription(kind, on)
        }
    };
    if let Some(state) = app.try_state::<AppState>() {
        if state.commands.try_send(command).is_err() {
            tracing::warn!("the runtime is not taking commands");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_ids_round_trip() {
        let mut all = vec![
            MenuId::Open,
            MenuId::Quit,
            MenuId::Account(3),
            MenuId::StartAtLogin,
        ];
        all.extend(Kind::ALL.map(MenuId::Subscription));
        all.extend(
            [
                Dnd::OneHour,
                Dnd::HalfAnHour,
                Dnd::UntilTomorrowMorning,
                Dnd::Off,
            ]
            .map(MenuId::Dnd),
        );
        for id in all {
            assert_eq!(MenuId::parse(&id.to_id()), Some(id), "{}", id.to_id());
        }
        assert_eq!(MenuId::parse("subscription.nope"), None);
        assert_eq!(MenuId::parse("nope"), None);
    }
}
