//! The tray icon and its menu. Menu ids are an enum, parsed once, so a typo is
//! a compile error rather than a dead menu item.

use tauri::image::Image;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::AppHandle;

use crate::desktop;

const TRAY_ID: &str = "deskbell";
const ICON_CONNECTED: &[u8] = include_bytes!("../../icons/tray-connected.png");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuId {
    Open,
    Quit,
}

impl MenuId {
    const ALL: [MenuId; 2] = [MenuId::Open, MenuId::Quit];

    pub const fn as_str(self) -> &'static str {
        match self {
            MenuId::Open => "open",
            MenuId::Quit => "quit",
        }
    }

    pub fn parse(id: &str) -> Option<MenuId> {
        Self::ALL.into_iter().find(|m| m.as_str() == id)
    }
}

pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let open = MenuItem::with_id(
        app,
        MenuId::Open.as_str(),
        "Open Deskbell",
        true,
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, MenuId::Quit.as_str(), "Quit", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&open, &separator, &quit])?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(ICON_CONNECTED)?)
        .tooltip("Deskbell")
        .menu(&menu)
        .on_menu_event(on_menu_event)
        .build(app)?;
    Ok(())
}

fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    match MenuId::parse(event.id().as_ref()) {
        Some(MenuId::Open) => {
            if let Err(err) = desktop::open_main_window(app) {
                eprintln!("deskbell: cannot open the window: {err}");
            }
        }
        Some(MenuId::Quit) => app.exit(0),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::MenuId;

    #[test]
    fn menu_ids_round_trip() {
        for id in MenuId::ALL {
            assert_eq!(MenuId::parse(id.as_str()), Some(id));
        }
        assert_eq!(MenuId::parse("nope"), None);
    }
}
