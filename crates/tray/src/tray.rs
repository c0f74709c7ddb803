//! The tray icon and its menu, as a StatusNotifierItem over D-Bus (`ksni`):
//! no toolkit, no web engine. The tray only shows the daemon's [`TrayView`]
//! and hands the agent's clicks on as [`MenuId`]s; it decides nothing.

use deskbell_core::l10n::Msg;
use deskbell_core::notification::Kind;
use deskbell_core::schedule::Dnd;
use deskbell_core::view::{TrayIconState, TrayView};
use ksni::menu::{CheckmarkItem, StandardItem, SubMenu};
use ksni::{MenuItem, TrayMethods};
use tokio::sync::{mpsc, watch};

use crate::menu::MenuId;

fn kind_label(kind: Kind) -> Msg {
    match kind {
        Kind::MissedCall => Msg::TrayMissedCalls,
        Kind::NewTicket => Msg::TrayNewTickets,
        Kind::ConversationReassigned => Msg::TrayReassignedConversations,
        Kind::TicketReassigned => Msg::TrayReassignedTickets,
        Kind::AgentStatus => Msg::TrayAgentStatus,
        Kind::FirstResponseDue => Msg::TrayFirstResponses,
    }
}

const DND_CHOICES: [(Dnd, Msg); 4] = [
    (Dnd::HalfAnHour, Msg::TrayDndHalfHour),
    (Dnd::OneHour, Msg::TrayDndHour),
    (Dnd::UntilTomorrowMorning, Msg::TrayDndTomorrow),
    (Dnd::Off, Msg::TrayDndOff),
];

/// The tray as the StatusNotifierItem host sees it.
pub struct TrayModel {
    view: TrayView,
    start_at_login: bool,
    clicks: mpsc::UnboundedSender<MenuId>,
}

impl TrayModel {
    pub fn new(view: TrayView, clicks: mpsc::UnboundedSender<MenuId>) -> TrayModel {
        TrayModel {
            view,
            start_at_login: crate::autostart::is_on().unwrap_or(false),
            clicks,
        }
    }

    fn item(&self, label: &str, enabled: bool, id: MenuId) -> MenuItem<Self> {
        StandardItem {
            label: label.to_owned(),
            enabled,
            activate: Box::new(move |t: &mut TrayModel| t.click(id)),
            ..Default::default()
        }
        .into()
    }

    fn check(&self, label: &str, checked: bool, id: MenuId) -> MenuItem<Self> {
        CheckmarkItem {
            label: label.to_owned(),
            checked,
            activate: Box::new(move |t: &mut TrayModel| t.click(id)),
            ..Default::default()
        }
        .into()
    }

    fn click(&self, id: MenuId) {
        // The app's loop is gone only when the process ends.
        let _ = self.clicks.send(id);
    }
}

impl ksni::Tray for TrayModel {
    fn id(&self) -> String {
        "deskbell".into()
    }

    fn title(&self) -> String {
        "Deskbell".into()
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        icon(self.view.icon).into_iter().collect()
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        ksni::ToolTip {
            title: self.view.tooltip.clone(),
            ..Default::default()
        }
    }

    /// A left click on the icon opens the window.
    fn activate(&mut self, _x: i32, _y: i32) {
        self.click(MenuId::Open);
    }

    fn menu(&self) -> Vec<MenuItem<Self>> {
        let say = |msg| self.view.locale.text(msg, &[]);
        let mut menu = Vec::new();
        if self.view.demo {
            menu.push(self.item(&say(Msg::TrayDemo), false, MenuId::Account(0)));
        }
        for (i, (line, click)) in self.view.lines.iter().enumerate() {
            // Clickable only when a click can help.
            menu.push(self.item(line, click.is_some(), MenuId::Account(i)));
        }
        menu.push(MenuItem::Separator);
        for kind in Kind::ALL {
            let on = self.view.subscriptions.is_on(kind);
            menu.push(self.check(&say(kind_label(kind)), on, MenuId::Subscription(kind)));
        }
        menu.push(
            SubMenu {
                label: say(Msg::TrayDoNotDisturb),
                submenu: DND_CHOICES
                    .iter()
                    .map(|(choice, label)| self.item(&say(*label), true, MenuId::Dnd(*choice)))
                    .collect(),
                ..Default::default()
            }
            .into(),
        );
        menu.push(MenuItem::Separator);
        menu.push(self.check(
            &say(Msg::TrayStartAtLogin),
            self.start_at_login,
            MenuId::StartAtLogin,
        ));
        menu.push(self.item(&say(Msg::TrayOpen), true, MenuId::Open));
        menu.push(self.item(&say(Msg::TrayQuit), true, MenuId::Quit));
        menu
    }

    fn watcher_offline(&self, reason: ksni::OfflineReason) -> bool {
        // Notifications and the window still work; a host may come later.
        tracing::warn!("no system tray host to show the icon: {reason:?}");
        true
    }
}

/// The tray's icon for `state`, as the StatusNotifierItem spec wants it
/// (ARGB32, network byte order), decoded once from the PNGs in `icons/`.
fn icon(state: TrayIconState) -> Option<ksni::Icon> {
    use std::sync::OnceLock;
    static ICONS: OnceLock<[Option<ksni::Icon>; 4]> = OnceLock::new();
    let icons = ICONS.get_or_init(|| {
        [
            decode(include_bytes!("../../../icons/tray-connected.png")),
            decode(include_bytes!("../../../icons/tray-degraded.png")),
            decode(include_bytes!("../../../icons/tray-offline.png")),
            decode(include_bytes!("../../../icons/tray-dnd.png")),
        ]
    });
    let i = match state {
        TrayIconState::Connected => 0,
        TrayIconState::Degraded => 1,
        TrayIconState::Offline => 2,
        TrayIconState::DoNotDisturb => 3,
    };
    icons[i].clone()
}

fn decode(png_bytes: &[u8]) -> Option<ksni::Icon> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buf).ok()?;
    let pixels = &buf[..info.buffer_size()];
    let data = match info.color_type {
        png::ColorType::Rgba => pixels
            .chunks_exact(4)
            .flat_map(|p| [p[3], p[0], p[1], p[2]])
            .collect(),
        png::ColorType::Rgb => pixels
            .chunks_exact(3)
            .flat_map(|p| [255, p[0], p[1], p[2]])
            .collect(),
        _ => return None,
    };
    Some(ksni::Icon {
        width: i32::try_from(info.width).ok()?,
        height: i32::try_from(info.height).ok()?,
        data,
    })
}

/// The tray, shown on the session bus.
pub struct Tray {
    handle: ksni::Handle<TrayModel>,
}

impl Tray {
    /// Puts the tray on the bus, and keeps it showing what `shown` says.
    pub async fn spawn(
        view: TrayView,
        mut shown: watch::Receiver<Option<TrayView>>,
        clicks: mpsc::UnboundedSender<MenuId>,
    ) -> Result<Tray, ksni::Error> {
        // Without a StatusNotifierWatcher (no tray host yet, or none at all)
        // the item still goes on the bus, for a host that comes later.
        let handle = TrayModel::new(view, clicks)
            .assume_sni_available(true)
            .spawn()
            .await?;
        let updates = handle.clone();
        tokio::spawn(async move {
            while shown.changed().await.is_ok() {
                let Some(view) = shown.borrow_and_update().clone() else {
                    continue;
                };
                if updates.update(|t| t.view = view).await.is_none() {
                    return;
                }
            }
        });
        Ok(Tray { handle })
    }

    /// Shows the start-at-login check as the OS has it now.
    pub async fn set_start_at_login(&self, on: bool) {
        self.handle.update(|t| t.start_at_login = on).await;
    }

    pub async fn shutdown(&self) {
        self.handle.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deskbell_core::l10n::{Language, Locale};
    use deskbell_core::rules::Subscriptions;
    use deskbell_core::view::AccountClick;
    use ksni::Tray as _;

    fn labels(menu: &[MenuItem<TrayModel>]) -> Vec<String> {
        menu.iter()
            .map(|item| match item {
                MenuItem::Standard(s) => {
                    format!("{}{}", s.label, if s.enabled { "" } else { " (off)" })
                }
                MenuItem::Checkmark(c) => {
                    format!("[{}] {}", if c.checked { "x" } else { " " }, c.label)
                }
                MenuItem::SubMenu(m) => format!("{} >", m.label),
                MenuItem::Separator => "--".into(),
                _ => "?".into(),
            })
            .collect()
    }

    /// The menu shows the view: account lines clickable only when a click
    /// helps, the switches ticked as subscribed; a click says which item.
    #[test]
    fn the_menu_shows_the_view_and_clicks_say_which_item() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut subscriptions = Subscriptions::default();
        subscriptions.set(Kind::NewTicket, false);
        let view = TrayView {
            icon: TrayIconState::Degraded,
            tooltip: "Deskbell: 1 of 2 live".into(),
            subscriptions,
            demo: false,
            lines: vec![
                ("acme: live".into(), None),
                (
                    "pbx: sign-in needed".into(),
                    Some(AccountClick::ReplaceSecret),
                ),
            ],
            locale: Locale::english(),
        };
        let mut model = TrayModel {
            view,
            start_at_login: false,
            clicks: tx,
        };
        let menu = model.menu();
        let shown = labels(&menu);
        assert_eq!(shown[0], "acme: live (off)");
        assert_eq!(shown[1], "pbx: sign-in needed");
        assert!(shown.contains(&"[ ] New tickets".to_owned()), "{shown:?}");
        assert!(shown.contains(&"[x] Missed calls".to_owned()), "{shown:?}");
        assert_eq!(shown.last().map(String::as_str), Some("Quit"));
        let MenuItem::Standard(line) = &menu[1] else {
            panic!("{shown:?}")
        };
        (line.activate)(&mut model);
        assert_eq!(rx.try_recv().ok(), Some(MenuId::Account(1)));
        model.activate(0, 0);
        assert_eq!(rx.try_recv().ok(), Some(MenuId::Open));
        assert!(model.icon_pixmap()[0].data.len() > 16);

        // In German, every label of the menu's own is German.
        model.view.locale = Locale::of(Language::German);
        let german = labels(&model.menu());
        assert!(
            german.contains(&"[ ] Neue Tickets".to_owned()),
            "{german:?}"
        );
        assert!(german.contains(&"Nicht stören >".to_owned()), "{german:?}");
        assert_eq!(german.last().map(String::as_str), Some("Beenden"));
    }
}
