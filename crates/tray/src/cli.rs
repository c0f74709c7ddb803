//! The command line: `deskbell` starts the tray (or, when one runs, opens
//! its window); `deskbell check` is the headless dry run, which never
//! touches the display.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use deskbell_core::check::{self, CheckInput, CheckOptions};
use deskbell_core::config::{self, ConfigFile};
use deskbell_core::local::Request;
use deskbell_core::notification::Kind;
use deskbell_core::schedule::Dnd;

#[derive(Debug, Parser)]
#[command(
    name = "deskbell",
    version,
    about = "Tray notifier for support agents",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// Open the window at start (the tray otherwise starts alone).
    #[arg(long)]
    window: bool,
    /// A deskbell://invite?... link (what the desktop entry passes when one
    /// is clicked): the account is added with the relay's token, and the
    /// window says how it went.
    #[arg(value_name = "LINK")]
    link: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Add, list or remove accounts; secrets go to the OS keyring only.
    Account {
        #[command(subcommand)]
        action: AccountAction,
    },
    /// Show which notifications each payload raises, and why not for the others.
    ///
    /// A PATH is a JSON file with one payload, or a .ndjson/.jsonl file with one
    /// payload per line; `-` (the default) reads NDJSON from standard input.
    Check(CheckArgs),
    /// Start Deskbell at login, or not (off unless turned on).
    Autostart {
        #[arg(value_enum)]
        choice: AutostartChoice,
    },
    /// Each account's connection, from the running Deskbell (exit status 3
    /// when none runs).
    Status {
        /// As JSON (docs/local-api.md).
        #[arg(long)]
        json: bool,
    },
    /// Open the running Deskbell's window.
    Open,
    /// Do not disturb: hold notifications for a while, or stop holding.
    Dnd {
        #[arg(value_enum)]
        choice: DndChoice,
    },
    /// Turn a kind of notification on.
    Subscribe {
        #[arg(value_parser = parse_kind)]
        kind: Kind,
    },
    /// Turn a kind of notification off.
    Unsubscribe {
        #[arg(value_parser = parse_kind)]
        kind: Kind,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum DndChoice {
    #[value(name = "30m")]
    HalfAnHour,
    #[value(name = "1h")]
    OneHour,
    /// Until 08:00 tomorrow.
    Tomorrow,
    Off,
}

impl From<DndChoice> for Dnd {
    fn from(c: DndChoice) -> Dnd {
        match c {
            DndChoice::HalfAnHour => Dnd::HalfAnHour,
            DndChoice::OneHour => Dnd::OneHour,
            DndChoice::Tomorrow => Dnd::UntilTomorrowMorning,
            DndChoice::Off => Dnd::Off,
        }
    }
}

/// A notification kind by its name: `missed_call`, `new_ticket`, ...
fn parse_kind(s: &str) -> Result<Kind, String> {
    Kind::ALL
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| {
            let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            format!("one of {}", names.join(", "))
        })
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum AutostartChoice {
    On,
    Off,
    Status,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Config file to take rules and identity from (default: the user's config).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Who "me" is: an agent id or email; may repeat. Overrides the config's identity.
    #[arg(long = "me", value_name = "ID")]
    me: Vec<String>,
    /// Inputs, processed in order as one stream.
    #[arg(value_name = "PATH|-")]
    inputs: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum AccountAction {
    /// Add an account. The relay token or Xelion password is read from
    /// standard input (one line), never from the command line. The
    /// connection is tried first: a refused token is not saved; a network
    /// problem is reported and the account saved all the same.
    Add {
        /// A name for the account (letters, digits, '.', '_', '-', '@').
        name: String,
        /// The relay's URL (https, or http to this machine). May repeat for
        /// relays that share one log: tried in order, the next one taking
        /// over from the same event when the one in use fails.
        #[arg(
            long,
            value_name = "URL",
            conflicts_with = "xelion",
            required_unless_present = "xelion"
        )]
        relay: Vec<String>,
        /// Your helpdesk's own support domain (`support.acme.example`), whose
        /// links this relay account may open besides Freshworks' own domains
        /// (`*.freshdesk.com`, `*.freshcaller.com`, ...), which it always may;
        /// may repeat.
        #[arg(long, value_name = "HOST", requires = "relay")]
        domain: Vec<String>,
        /// The Xelion PBX's URL.
        #[arg(long, value_name = "URL", requires_all = ["tenant", "user"])]
        xelion: Option<String>,
        #[arg(long, value_name = "TENANT")]
        tenant: Option<String>,
        #[arg(long, value_name = "USER")]
        user: Option<String>,
        /// Subscribe to every Xelion call event (needs an admin login).
        #[arg(long)]
        admin: bool,
        /// A one-time code from the relay's admin (`deskbell-relay invite`):
        /// the relay gives this desktop its token, straight into the keyring;
        /// nothing is read from standard input.
        #[arg(long, value_name = "CODE", requires = "relay")]
        invite: Option<String>,
    },
    /// Change an account in place: a new token or password read from
    /// standard input (one line; empty keeps the stored one), and/or a new
    /// URL or domains. The connection is tried first; a running Deskbell
    /// picks the change up at once.
    Update {
        name: String,
        /// The relay's or the PBX's new URL. For a relay account it may
        /// repeat, replacing the relays tried in order (see `add --relay`).
        #[arg(long, value_name = "URL")]
        url: Vec<String>,
        /// Replaces the account's own helpdesk domains (Freshworks' own
        /// always open); may repeat.
        #[arg(long, value_name = "HOST")]
        domain: Vec<String>,
    },
    /// List the accounts (never their secrets).
    List,
    /// Remove an account and its secret.
    Remove { name: String },
}

pub enum Invocation {
    Check(CheckArgs),
    Account(AccountAction),
    Autostart(AutostartChoice),
    Status {
        json: bool,
    },
    /// A request for the running tray (`open`, `dnd`, `subscribe`).
    Ask(&'static str, Request),
    /// The tray process itself.
    Tray {
        open_window: bool,
    },
    /// A clicked invitation link, for the running tray or a new one.
    Link(String),
}

pub fn parse() -> Invocation {
    // clap exits with status 2 on a usage error, as `check` promises.
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Check(args)) => Invocation::Check(args),
        Some(Command::Account { action }) => Invocation::Account(action),
        Some(Command::Autostart { choice }) => Invocation::Autostart(choice),
        Some(Command::Status { json }) => Invocation::Status { json },
        Some(Command::Open) => Invocation::Ask("open", Request::OpenWindow { account: None }),
        Some(Command::Dnd { choice }) => Invocation::Ask(
            "dnd",
            Request::SetDnd {
                choice: choice.into(),
            },
        ),
        Some(Command::Subscribe { kind }) => {
            Invocation::Ask("subscribe", Request::SetSubscription { kind, on: true })
        }
        Some(Command::Unsubscribe { kind }) => {
            Invocation::Ask("unsubscribe", Request::SetSubscription { kind, on: false })
        }
        None => match cli.link {
            Some(link) => Invocation::Link(link),
            None => Invocation::Tray {
                open_window: cli.window,
            },
        },
    }
}

/// Exit status: 0 when every payload decoded, 1 when any did not, 2 for usage
/// or config errors.
pub fn check(args: CheckArgs) -> ExitCode {
    let config = match load_config(args.config) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("deskbell check: {message}");
            return ExitCode::from(2);
        }
    };
    let mut options = CheckOptions::from_config(&config);
    if !args.me.is_empty() {
        options.identity = deskbell_core::rules::Identity::from_strings(&args.me);
    }
    let inputs: Vec<CheckInput> = if args.inputs.is_empty() {
        vec![CheckInput::Stdin]
    } else {
        args.inputs.iter().map(|s| CheckInput::parse(s)).collect()
    };
    let stdin = io::stdin();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = check::run(&inputs, &options, &mut stdin.lock(), &mut out);
    let flushed = out.flush();
    match (result, flushed) {
        (Ok(summary), Ok(())) => {
            if summary.failed > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        (Err(err), _) => {
            eprintln!("deskbell check: {err}");
            ExitCode::from(2)
        }
        (Ok(_), Err(err)) if err.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        (Ok(_), Err(err)) => {
            eprintln!("deskbell check: writing output: {err}");
            ExitCode::from(2)
        }
    }
}

pub fn autostart(choice: AutostartChoice) -> ExitCode {
    let done = match choice {
        AutostartChoice::On => crate::autostart::set(true).map(|()| true),
        AutostartChoice::Off => crate::autostart::set(false).map(|()| false),
        AutostartChoice::Status => crate::autostart::is_on(),
    };
    match done {
        Ok(on) => {
            println!("start at login: {}", if on { "on" } else { "off" });
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("deskbell autostart: {e}");
            ExitCode::from(2)
        }
    }
}

/// An explicit `--config` must load; the default file falls back to defaults
/// with a warning, as the app does.
fn load_config(path: Option<PathBuf>) -> Result<config::Config, config::ConfigError> {
    match path {
        Some(path) => ConfigFile::at(path).load_strict(),
        None => {
            let Some(file) = ConfigFile::default_location() else {
                return Ok(config::Config::default());
            };
            let loaded = file.load();
            if let Some(problem) = &loaded.problem {
                eprintln!("deskbell check: {problem}; using defaults");
            }
            Ok(loaded.config)
        }
    }
}
