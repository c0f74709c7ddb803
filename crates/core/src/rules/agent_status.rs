//! Agent status: every `onAgentUpdate` updates the board (`crate::board`);
//! a notification is optional and off by default.

use super::{Context, Skip, Verdict};
use crate::event::agent::AgentUpdate;
use crate::l10n::Msg;
use crate::notification::{Kind, Notification, Urgency};

pub fn classify(a: &AgentUpdate, ctx: &Context<'_>) -> Verdict {
    let Some(change) = ctx.board_change.filter(|c| c.status_changed()) else {
        return Verdict::Skip(Skip::NoStatusChange);
    };
    let l = ctx.locale;
    let name = a.agent.display_name().unwrap_or_else(|| {
        l.text(
            Msg::AgentFallbackName,
            &[("id", change.agent_id.as_str().into())],
        )
    });
    let key = format!("agent:{}", change.agent_id);
    Verdict::Notify(vec![Notification {
        kind: Kind::AgentStatus,
        dedupe_key: format!("{key}:{}:{:?}", change.status.label(), change.since),
        title: l.text(
            Msg::AgentStatusTitle,
            &[
                ("name", (&name).into()),
                ("status", (&change.status.label_in(l)).into()),
            ],
        ),
        body: change
            .previous
            .as_ref()
            .map(|p| l.text(Msg::AgentStatusWas, &[("status", (&p.label_in(l)).into())]))
            .unwrap_or_default(),
        url: None,
        urgency: Urgency::Low,
        at: change.since,
        actions: Vec::new(),
        account: None,
        key,
    }])
}
