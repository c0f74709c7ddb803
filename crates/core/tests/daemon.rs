//! The tray process's daemon, headless: an in-memory desktop stands in for
//! the keyring, the notifications and the tray; the demo is the source.

use std::sync::Arc;
use std::time::Duration;

use deskbell_core::config::ConfigFile;
use deskbell_core::daemon::{self, Command, Files};
use deskbell_core::desktop::MemoryDesktop;
use deskbell_core::local::Push;
use deskbell_core::notification::Kind;
use deskbell_core::schedule::Dnd;
use deskbell_core::view::TrayIconState;

async fn until(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..200 {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn the_demo_notifies_and_commands_reach_the_view_the_tray_and_the_config() {
    let dir = std::env::temp_dir().join(format!("deskbell-daemon-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = ConfigFile::at(dir.join("config.toml"));
    let desktop = Arc::new(MemoryDesktop::default());
    let handle = daemon::start(
        desktop.clone(),
        Files {
            config: Some(config.clone()),
            ..Files::default()
        },
    );
    let mut pushes = handle.pushes();

    // No account: the demo plays, and the tray says so.
    let first_tray = desktop.trays.lock().unwrap().first().cloned().unwrap();
    assert!(first_tray.demo);
    assert_eq!(first_tray.icon, TrayIconState::Connected);
    assert!(
        until(|| !desktop.notified.lock().unwrap().is_empty()).await,
        "the demo notifies"
    );
    assert!(handle.view().unwrap().unseen > 0);
    // Each popup went with its kind's sound, by the rules (a missed call
    // rings by default; a new ticket is silent unless chosen).
    {
        let notified = desktop.notified.lock().unwrap();
        let sounds = desktop.sounds.lock().unwrap();
        assert_eq!(notified.len(), sounds.len());
        for (d, sound) in notified.iter().zip(sounds.iter()) {
            assert_eq!(
                *sound,
                deskbell_core::rules::Rules::default()
                    .sounds
                    .for_delivery(d),
                "{}",
                d.title(&deskbell_core::l10n::Locale::english())
            );
        }
    }
    // The demo's agents were heard of now, not when the fixtures were made
    // (the board once said "376 d").
    assert!(until(|| !handle.view().unwrap().board.is_empty()).await);
    let heard = handle
        .view()
        .unwrap()
        .board
        .values()
        .filter_map(|r| r.heard_at)
        .min()
        .unwrap();
    assert!(
        (chrono::Utc::now() - heard.0).num_seconds().abs() < 60,
        "{heard:?}"
    );

    // The demo names its agents and groups, as a relay's directory would.
    {
        let view = handle.view().unwrap();
        assert!(
            view.groups.iter().any(|g| g.name == "Billing"),
            "{:?}",
            view.groups
        );
        assert!(view.board.values().all(|r| r.name.is_some()));
    }

    // Do not disturb: the view, the tray's icon and the file.
    handle.send(Command::SetDnd(Dnd::HalfAnHour)).unwrap();
    assert!(until(|| handle.view().unwrap().dnd_until.is_some()).await);
    assert_eq!(
        desktop.trays.lock().unwrap().last().unwrap().icon,
        TrayIconState::DoNotDisturb
    );
    assert!(std::fs::read_to_string(config.path())
        .unwrap()
        .contains("do_not_disturb_until"));

    // A subscription switched off reaches the tray's check mark and the file.
    handle
        .send(Command::SetSubscription(Kind::NewTicket, false))
        .unwrap();
    assert!(
        until(|| !desktop
            .trays
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .subscriptions
            .new_ticket)
        .await
    );
    assert!(std::fs::read_to_string(config.path())
        .unwrap()
        .contains("new_ticket = false"));

    // The window is told.
    let told = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(Push::ViewChanged) = pushes.recv().await {
                break;
            }
        }
    })
    .await;
    assert!(told.is_ok(), "a view-changed push");
    let _ = std::fs::remove_dir_all(&dir);
}
