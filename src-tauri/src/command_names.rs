// The window's commands by name: build.rs declares an `allow-<name>`
// permission for each (capabilities/main.json grants them one by one), and
// src/commands.rs implements them. Included by both, so there is one list.
pub const COMMANDS: &[&str] = &[
    "get_snapshot",
    "set_subscription",
    "set_dnd",
    "add_account",
    "redeem_invite",
    "update_account",
    "test_connection",
    "save_rules",
    "remove_account",
    "open_feed_item",
    "act_on_feed_item",
    "dismiss_away",
    "start_tray",
];
