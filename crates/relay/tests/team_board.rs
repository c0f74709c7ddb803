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

/// The core's daemon on an in-memory desktop, with one account on `relay`.
fn desktop_on(relay: &str, token: String) -> (daemon::Handle, Arc<MemoryDesktop>, TempDir) {
    let home = TempDir::new("team-desktop");
    let file = ConfigFile::at(home.0.join("config.toml"));
    let mut config = Config::default();
    config.accounts.push(AccountConfig::Relay {
        name: "acme".into(),
        url: relay.to_owned(),
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
    (handle, desktop, home)
}

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

    let (handle, desktop, _home) = desktop_on(&base, token);
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

/// Names instead of ids on a desktop: the relay reads the directory from
/// the Freshdesk API double, the desktop's daemon gets it on connect, and a
/// reassignment notifies with the agents' names; the Rules tab's groups
/// come with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desktop_names_agents_and_groups_from_the_relays_directory() {
    let key = "freshdesk-admin-key";
    let double = support::api_double::ApiDouble::start(key);
    double
        .post(
            "/_double/agents",
            serde_json::json!([
                {"id": 320, "contact": {"name": "Tom Agent", "email": "tom@acme.example"}, "group_ids": [351]},
                {"id": 321, "contact": {"name": "Ann Lead", "email": "ann@acme.example"}, "group_ids": [351]},
            ]),
        )
        .await;
    double
        .post(
            "/_double/groups",
            serde_json::json!([{"id": 351, "name": "Billing"}]),
        )
        .await;
    let dir = TempDir::new("directory-desktop");
    let key_file = dir.0.join("freshdesk.key");
    std::fs::write(&key_file, key).unwrap();
    let relay = Relay::start(
        &dir.0,
        &format!(
            "[freshdesk]\nurl = \"{}\"\napi_key_file = \"{}\"",
            double.base,
            key_file.display()
        ),
    );
    let token = add_token(&dir.0, "agent");
    let (handle, desktop, _home) = desktop_on(&relay.base(), token);
    let named = support::wait(Duration::from_secs(15), || {
        handle
            .view()
            .unwrap()
            .groups
            .iter()
            .any(|g| g.id == "351" && g.name == "Billing")
    })
    .await;
    assert!(named, "the directory reached the desktop");
    post(
        &relay.base(),
        &support::fixture("freshdesk/ticket-update-responder-320-to-321.json"),
    )
    .await
    .unwrap();
    let body = |desktop: &MemoryDesktop| {
        desktop
            .notified
            .lock()
            .unwrap()
            .iter()
            .flat_map(|d| {
                d.notifications()
                    .iter()
                    .map(|n| n.body.clone())
                    .collect::<Vec<_>>()
            })
            .next()
    };
    assert!(support::wait(Duration::from_secs(15), || body(&desktop).is_some()).await);
    assert_eq!(
        body(&desktop).unwrap(),
        "Support Needed... · Tom Agent → Ann Lead"
    );
}
