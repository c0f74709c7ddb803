//! The config file: defaults when absent, a clear error naming the line and
//! field when broken, the broken file never overwritten, atomic writes.

use deskbell_core::config::{Config, ConfigError, ConfigFile, CONFIG_VERSION};
use deskbell_core::notification::Kind;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("deskbell-config-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn absent_file_means_defaults() {
    let file = ConfigFile::at(temp_dir("absent").join("config.toml"));
    let loaded = file.load();
    assert!(loaded.problem.is_none());
    assert_eq!(loaded.config, Config::default());
}

#[test]
fn save_then_load_round_trips() {
    let dir = temp_dir("roundtrip");
    let file = ConfigFile::at(dir.join("nested/config.toml"));
    let mut config = Config::default();
    config.identity.agent_ids = vec!["320".into()];
    config.rules.subscriptions.set(Kind::NewTicket, false);
    config.rules.new_ticket.min_priority = Some(3);
    config.rules.schedule.quiet_hours.insert(
        deskbell_core::schedule::Day::Mon,
        vec![deskbell_core::schedule::TimeRange::parse("18:00-08:00").unwrap()],
    );
    file.save(&config).unwrap();
    let text = std::fs::read_to_string(file.path()).unwrap();
    assert!(text.contains("version = 1"), "{text}");
    assert!(text.contains("\"18:00-08:00\""), "{text}");
    assert_eq!(file.load_strict().unwrap(), config);
    // No temp files left behind.
    let names: Vec<_> = std::fs::read_dir(dir.join("nested"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn broken_file_names_line_and_field_and_is_never_overwritten() {
    let dir = temp_dir("broken");
    let path = dir.join("config.toml");
    let broken = "version = 1\n\n[rules.new_ticket]\nmin_priority = \"high\"\n";
    std::fs::write(&path, broken).unwrap();
    let file = ConfigFile::at(&path);
    let loaded = file.load();
    assert_eq!(loaded.config, Config::default(), "runs on defaults");
    let problem = loaded.problem.expect("a problem is reported");
    assert_eq!(problem.code(), "config_parse");
    let msg = problem.to_string();
    assert!(msg.contains("rules.new_ticket.min_priority"), "{msg}");
    assert!(msg.contains("line 4"), "{msg}");
    let err = file.save(&Config::default()).unwrap_err();
    assert!(matches!(err, ConfigError::BrokenFileKept { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
}

#[test]
fn an_update_keeps_what_another_writer_saved_meanwhile() {
    let dir = temp_dir("update");
    let file = ConfigFile::at(dir.join("config.toml"));
    // The app read the file when no account existed...
    let app_copy = file.load_strict().unwrap();
    // ...then `deskbell account add` wrote one.
    file.update(|c| {
        c.accounts
            .push(deskbell_core::config::AccountConfig::Relay {
                name: "acme".into(),
                url: "https://relay.acme.example/".into(),
                fallback_urls: Vec::new(),
                domains: Vec::new(),
            })
    })
    .unwrap();
    // The app saves its rules: the account stays.
    let mut rules = app_copy.rules.clone();
    rules.subscriptions.set(Kind::MissedCall, false);
    let saved = file.update(|c| c.rules = rules.clone()).unwrap();
    let on_disk = file.load_strict().unwrap();
    assert_eq!(on_disk, saved);
    assert_eq!(on_disk.accounts.len(), 1);
    assert!(!on_disk.rules.subscriptions.missed_call);

    std::fs::write(file.path(), "version = [").unwrap();
    let e = file.update(|c| c.rules = rules.clone()).unwrap_err();
    assert_eq!(e.code(), "config_broken_kept");
    assert_eq!(std::fs::read_to_string(file.path()).unwrap(), "version = [");
}

#[test]
fn bad_quiet_hours_range_names_the_value() {
    let dir = temp_dir("quiet");
    let path = dir.join("config.toml");
    std::fs::write(&path, "[rules.schedule.quiet_hours]\nmon = [\"9-17\"]\n").unwrap();
    let msg = ConfigFile::at(&path).load_strict().unwrap_err().to_string();
    assert!(msg.contains("rules.schedule.quiet_hours.mon"), "{msg}");
    assert!(msg.contains("expected HH:MM-HH:MM, got \"9-17\""), "{msg}");
}

#[test]
fn syntax_error_names_the_line() {
    let dir = temp_dir("syntax");
    let path = dir.join("config.toml");
    std::fs::write(&path, "version = 1\n[identity\nagent_ids = []\n").unwrap();
    let msg = ConfigFile::at(&path).load_strict().unwrap_err().to_string();
    assert!(msg.contains("line 2"), "{msg}");
}

#[test]
fn newer_version_is_refused_not_misread() {
    let dir = temp_dir("version");
    let path = dir.join("config.toml");
    std::fs::write(&path, format!("version = {}\n", CONFIG_VERSION + 1)).unwrap();
    let err = ConfigFile::at(&path).load_strict().unwrap_err();
    assert_eq!(err.code(), "config_version");
}

#[test]
fn accounts_keep_no_secret_fields_and_round_trip() {
    use deskbell_core::config::AccountConfig;
    let dir = temp_dir("accounts");
    let file = ConfigFile::at(dir.join("config.toml"));
    let mut config = Config::default();
    config.accounts.push(AccountConfig::Relay {
        name: "acme".into(),
        url: "https://relay.acme.example/".into(),
        fallback_urls: Vec::new(),
        domains: vec!["acme.freshdesk.com".into()],
    });
    config.accounts.push(AccountConfig::Xelion {
        name: "pbx".into(),
        url: "https://pbx.acme.example/".into(),
        tenant: "master".into(),
        user: "tom".into(),
        user_space: None,
        admin: false,
    });
    file.save(&config).unwrap();
    let text = std::fs::read_to_string(file.path()).unwrap();
    assert!(
        text.contains("kind = \"relay\"") && text.contains("kind = \"xelion\""),
        "{text}"
    );
    for secret_word in ["token", "password", "secret"] {
        assert!(!text.contains(secret_word), "{secret_word} in {text}");
    }
    assert_eq!(file.load_strict().unwrap(), config);
}

#[test]
fn subscriptions_become_the_stream_filter() {
    let mut rules = deskbell_core::rules::Rules::default();
    let names = rules.subscriptions.event_names();
    assert!(names.contains(&"onTicketCreate") && names.contains(&"onPhoneCallUpdate"));
    rules.subscriptions.set(Kind::NewTicket, false);
    rules.subscriptions.set(Kind::MissedCall, false);
    // First-response warnings read ticket creations too.
    rules.subscriptions.set(Kind::FirstResponseDue, false);
    let names = rules.subscriptions.event_names();
    assert!(!names.contains(&"onTicketCreate") && !names.contains(&"onCallUpdate"));
    assert!(
        names.contains(&"onAgentUpdate"),
        "the board always needs agent updates"
    );
}

#[test]
fn notifications_open_links_only_on_the_accounts_own_domains() {
    use deskbell_core::config::AccountConfig;
    let plain = AccountConfig::Relay {
        name: "a".into(),
        url: "https://relay.example/".into(),
        fallback_urls: Vec::new(),
        domains: Vec::new(),
    };
    assert!(plain.allows_link("https://acme.freshdesk.com/a/tickets/1"));
    assert!(plain.allows_link("https://ACME.myfreshworks.com/crm"));
    for bad in [
        "https://evil.example/a/tickets/1",
        "https://freshdesk.com.evil.example/",
        "https://evilfreshdesk.com/",
        "https://freshdesk.com/",
        "http://acme.freshdesk.com/a/tickets/1",
        "https://user@acme.freshdesk.com/",
        "javascript:alert(1)//acme.freshdesk.com",
        "not a link",
    ] {
        assert!(!plain.allows_link(bad), "{bad}");
    }
    let pinned = AccountConfig::Relay {
        name: "a".into(),
        url: "https://relay.example/".into(),
        fallback_urls: Vec::new(),
        domains: vec!["support.acme.com".into()],
    };
    assert!(pinned.allows_link("https://support.acme.com/a/tickets/1"));
    // A domain of its own adds to Freshworks' hosts: the account's missed
    // calls still link to Freshcaller.
    assert!(pinned.allows_link("https://acme.freshcaller.com/calls/1"));
    assert!(pinned.allows_link("https://acme.freshdesk.com/a/tickets/1"));
    assert!(!pinned.allows_link("https://support.acme.com.evil.example/"));
    assert!(!pinned.allows_link("https://evil.example/a/tickets/1"));
    let pbx = AccountConfig::Xelion {
        name: "pbx".into(),
        url: "https://pbx.acme.example/xelion".into(),
        tenant: "t".into(),
        user: "u".into(),
        user_space: None,
        admin: false,
    };
    assert!(pbx.allows_link("https://pbx.acme.example/calls/1"));
    assert!(!pbx.allows_link("https://acme.freshdesk.com/a/tickets/1"));
}
