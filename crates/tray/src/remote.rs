//! `deskbell status|open|dnd|subscribe|unsubscribe`: the running tray,
//! asked over the local socket. Exit status 0 when done, 2 when the tray
//! refused, 3 when no tray runs.

use std::process::ExitCode;

use chrono::Local;
use deskbell_core::local::client::{Client, LocalError};
use deskbell_core::local::{ClientKind, Reply, Request, Status};

/// No tray answers: the command has nobody to ask.
const NOT_RUNNING: u8 = 3;

/// Sends `request` and hands the reply to `done`.
pub fn ask(what: &str, request: Request, done: impl FnOnce(Reply)) -> ExitCode {
    crate::block_on(ask_async(what, request, done))
}

pub async fn ask_async(what: &str, request: Request, done: impl FnOnce(Reply)) -> ExitCode {
    let answered = async {
        let mut client = Client::connect(ClientKind::Cli).await?;
        client.request(request).await
    }
    .await;
    match answered {
        Ok(reply) => {
            done(reply);
            ExitCode::SUCCESS
        }
        Err(e @ LocalError::NotRunning(_)) => {
            eprintln!("deskbell {what}: {e}; start it with `deskbell`");
            ExitCode::from(NOT_RUNNING)
        }
        Err(e) => {
            eprintln!("deskbell {what}: {e} ({})", e.code());
            ExitCode::from(2)
        }
    }
}

/// The running tray's request for a clicked `deskbell://invite` link: a
/// relay account named as the link says (else after the relay's host).
pub fn invite_request(link: &str) -> Result<Request, deskbell_core::invite::InviteError> {
    use deskbell_core::config::AccountConfig;
    use deskbell_core::invite::InviteLink;
    use deskbell_core::local::SecretInput;
    let link = InviteLink::parse(link)?;
    let name = link.name.clone().unwrap_or_else(|| {
        url::Url::parse(&link.relay)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "relay".to_owned())
    });
    Ok(Request::RedeemInvite {
        account: AccountConfig::Relay {
            name,
            url: link.relay,
            fallback_urls: Vec::new(),
            domains: Vec::new(),
        },
        code: SecretInput::new(link.code),
        show: true,
    })
}

/// Hands `request` to the running tray; with none running, starts one that
/// answers it first thing.
pub fn ask_or_start(what: &str, request: Request) -> ExitCode {
    let answered = crate::block_on(async {
        let mut client = Client::connect(ClientKind::Cli).await?;
        client.request(request.clone()).await
    });
    match answered {
        Ok(Reply::Account(account)) => {
            println!("Added {}; its token is in the OS keyring", account.name());
            ExitCode::SUCCESS
        }
        Ok(_) => ExitCode::SUCCESS,
        Err(LocalError::NotRunning(_)) => crate::app::run(true, Some(request)),
        Err(e) => {
            eprintln!("deskbell {what}: {e} ({})", e.code());
            ExitCode::from(2)
        }
    }
}

/// `deskbell status`: one line per account, tab-separated, or the JSON the
/// socket carries.
pub fn status(json: bool) -> ExitCode {
    ask("status", Request::Status, |reply| {
        let Reply::Status(status) = reply else {
            return;
        };
        if json {
            match serde_json::to_string_pretty(&status) {
                Ok(text) => println!("{text}"),
                Err(e) => eprintln!("deskbell status: {e}"),
            }
        } else {
            print!("{}", human(&status));
        }
    })
}

fn human(status: &Status) -> String {
    let mut out = String::new();
    if status.demo {
        out.push_str("demo\tbuilt-in sample events (no account yet)\n");
    }
    if let Some(until) = status.dnd_until.filter(|u| *u > chrono::Utc::now()) {
        let until = until.with_timezone(&Local).format("%a %H:%M");
        out.push_str(&format!("do not disturb until {until}\n"));
    }
    for a in &status.accounts {
        let detail = match (&a.detail, a.last_event_at) {
            (Some(d), _) => d.clone(),
            (None, Some(t)) => format!("last event {}", t.with_timezone(&Local).format("%H:%M:%S")),
            (None, None) => "no events yet".to_owned(),
        };
        let kind = a.kind.as_deref().unwrap_or("-");
        out.push_str(&format!("{}\t{kind}\t{}\t{detail}\n", a.name, a.state));
    }
    out
}
