//! The whole team on a desktop's board from the first second: the real
//! relay, its log pruned past every agent event, and the core's daemon
//! (what the tray process runs) on an in-memory desktop.

mod support;

use std::sync::Arc;
use std::time::Duration;

use deskbell_core::config::{AccountConfig, Config, ConfigFile};
use deskbell_core::daemon::{self, Files};
use deskbell_core::desktop::{MemoryDesktop, SecretStore};
use deskbell_core::event::agent::AgentStatus;
use deskbell_core::secret::Secret;
use support::{add_token, agent_update, post, ticket, Relay, TempDir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_desktop_shows_the_whole_team_at_once() {
    let dir = TempDir::new("team-board");
    let relay = Relay::start(
        &dir.0,
        "[retention]\nmax_events = 2\nprune_every_seconds = 1",
    );
    let token = add_token(&dir.0, "agent");
    let base = relay.base();
    let f = "freshcaller/agent-update-";
    for (name, at, id) in [
        ("busy", 2000.0, None),
        // Older than "busy", posted after it: never wins.
        ("after-call-work", 1500.0, None),
        ("online", 1000.0, Some(5002)),
    ] {
        post(&base, &agent_update(&format!("{f}{name}.json"), at, id))
            .await
            .unwrap();
    }
    for n in 1..=3 {
        post(&base, &ticket(n)).await.unwrap();
    }
    // The writer prunes: the agent events are gone from the log.
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let home = TempDir::new("team-desktop");
    let file = ConfigFile::at(home.0.join("config.toml"));
    let mut config = Config::default();
    config.accounts.push(AccountConfig::Relay {
        name: "acme".into(),
        url: base.clone(),
        fallback_urls: Vec::new(),
        domains: Vec::new(),
    });
    file.save(&config).unwrap();
    let desktop = Arc::new(MemoryDesktop::default());
    desktop.store("acme", &Secret::new(token)).unwrap();
    let handle = daemon::start(
        desktop.clone(),
        Files {
            config: Some(file),
            ..Files::default()
        },
    );
    let mut whole = false;
    for _ in 0..100 {
        if handle.view().unwrap().board.len() == 2 {
            whole = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        whole,
        "{:?}",
        handle.view().unwrap().board.keys().collect::<Vec<_>>()
    );
    let view = handle.view().unwrap();
    assert_eq!(view.board["5001"].status, AgentStatus::Busy);
    assert_eq!(view.board["5002"].status, AgentStatus::Online);
    drop(view);
    // The team's state is the board's, never a notification.
    assert!(desktop.notified.lock().unwrap().is_empty());
}
