//! The built-in demo: realistic traffic made from the fixtures, so a fresh
//! install with no account shows notifications and a moving board within
//! seconds. A pure function of a counter; the app supplies the timer.

use serde_json::{json, Value};

const TICKET: &str = include_str!("../../../tests/fixtures/freshdesk/ticket-create.json");
const MISSED_CALL: &str =
    include_str!("../../../tests/fixtures/freshcaller/call-update-incoming-missed.json");
const CHAT_ASSIGNED: &str =
    include_str!("../../../tests/fixtures/freshchat/conversation-update-assigned-to-agent.json");
const TICKET_REASSIGNED: &str =
    include_str!("../../../tests/fixtures/freshdesk/ticket-update-responder-320-to-321.json");
const AGENT: &str = include_str!("../../../tests/fixtures/freshcaller/agent-update-busy.json");

const SUBJECTS: [&str; 5] = [
    "Order arrived damaged",
    "Cannot log in after password reset",
    "Invoice shows the wrong VAT number",
    "Refund not received yet",
    "How do I export my data?",
];
const PEOPLE: [(&str, &str); 5] = [
    ("Rachel Green", "+14155550123"),
    ("Ross Geller", "+14155550199"),
    ("Phoebe Buffay", "+442071234567"),
    ("Joey Tribbiani", "+31201234567"),
    ("Monica Geller", "+14155550142"),
];
const AGENTS: [(u64, &str, &str); 4] = [
    (5001, "Tom Agent", "tom@acme.example"),
    (5002, "Monica Lead", "monica@acme.example"),
    (5003, "Chandler Bing", "chandler@acme.example"),
    (5004, "Janice Hosenstein", "janice@acme.example"),
];

/// Who is who in the demo, as a relay's `directory` event would say it:
/// the board's agents, the fixtures' agents and groups by name.
pub fn directory() -> crate::directory::Directory {
    use crate::directory::{Directory, DirectoryAgent, DirectoryGroup, Product};
    let agent =
        |product: Product, id: &str, name: &str, email: &str, groups: &[&str]| DirectoryAgent {
            product,
            id: id.to_owned(),
            name: Some(name.to_owned()),
            email: Some(email.to_owned()),
            group_ids: groups.iter().map(|g| (*g).to_owned()).collect(),
        };
    let group = |product: Product, id: &str, name: &str| DirectoryGroup {
        product,
        id: id.to_owned(),
        name: name.to_owned(),
    };
    let mut agents: Vec<DirectoryAgent> = AGENTS
        .iter()
        .map(|(id, name, email)| {
            agent(
                Product::Freshcaller,
                &id.to_string(),
                name,
                email,
                &["2201"],
            )
        })
        .collect();
    agents.extend([
        agent(
            Product::Freshdesk,
            "320",
            "Tom Agent",
            "tom@acme.example",
            &["351"],
        ),
        agent(
            Product::Freshdesk,
            "321",
            "Chandler Bing",
            "chandler@acme.example",
            &["351", "352"],
        ),
        agent(
            Product::Freshchat,
            "2823233e-7122-4f87-9d56-38aaaaeb676a",
            "Janice Hosenstein",
            "janice@acme.example",
            &["40753ac3-1f66-40d9-b903-23db0a9a70b0"],
        ),
    ]);
    Directory {
        agents,
        groups: vec![
            group(Product::Freshdesk, "351", "Billing"),
            group(Product::Freshdesk, "352", "Sales"),
            group(Product::Freshcaller, "2201", "Phone support"),
            group(
                Product::Freshchat,
                "40753ac3-1f66-40d9-b903-23db0a9a70b0",
                "Chat support",
            ),
        ],
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// The `n`-th demo payload (one-line JSON). Every fourth is an agent status
/// change; the rest cycle through new tickets, missed calls and
/// reassignments, each distinct so dedupe lets it through.
pub fn payload(n: u64) -> String {
    let i = n as usize;
    let (person, number) = PEOPLE[i % PEOPLE.len()];
    let mut v = match n % 8 {
        0 | 4 => {
            let (id, name, email) = AGENTS[(i / 4) % AGENTS.len()];
            let status = [1, 2, 3, 0][(i / 4 / AGENTS.len()) % 4];
            let mut v = parse(AGENT);
            let a = &mut v["data"]["agent"];
            a["id"] = json!(id);
            a["user_id"] = json!(id + 4000);
            a["name"] = json!(name);
            a["email"] = json!(email);
            a["status"] = json!(status);
            a["browser_status_name"] =
                json!(["Offline", "Available", "Busy", "After Call Work"][status as usize]);
            a["last_status_change_at"] = Value::Null;
            // The fixture's own time is a year old: the board takes "now".
            v["timestamp"] = Value::Null;
            v
        }
        1 | 5 => {
            let mut v = parse(TICKET);
            let t = &mut v["data"]["ticket"];
            t["id"] = json!(1000 + n);
            t["subject"] = json!(SUBJECTS[i % SUBJECTS.len()]);
            t["priority"] = json!(1 + (n % 4));
            v["data"]["requester"]["name"] = json!(person);
            v
        }
        2 | 6 => {
            let mut v = parse(MISSED_CALL);
            let c = &mut v["data"]["call"];
            c["id"] = json!(90_000 + n);
            c["participants"][0]["caller_name"] = json!(person);
            c["participants"][0]["caller_number"] = json!(number);
            v
        }
        3 => {
            let mut v = parse(CHAT_ASSIGNED);
            v["data"]["conversation"]["conversation_id"] = json!(format!("demo-conversation-{n}"));
            v["data"]["associations"]["user"]["first_name"] = json!(person);
            v["data"]["associations"]["user"]["last_name"] = Value::Null;
            v["timestamp"] = json!(1_763_630_000 + n);
            v
        }
        _ => {
            let mut v = parse(TICKET_REASSIGNED);
            v["data"]["ticket"]["id"] = json!(1000 + n - 6);
            v["data"]["ticket"]["updated_at"] = json!(1_763_630_000 + n);
            v
        }
    };
    v["demo"] = json!(true);
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::payload;
    use crate::pipeline::Classifier;
    use crate::rules::{Identity, Rules, Verdict};

    #[test]
    fn demo_payloads_decode_notify_and_move_the_board() {
        let mut c = Classifier::new(Rules::default(), Identity::default());
        let now = chrono::DateTime::from_timestamp(1_763_630_000, 0).unwrap();
        let mut notified = 0;
        for n in 0..64 {
            let bytes = payload(n);
            let out = c.classify_bytes(bytes.as_bytes(), now);
            assert!(out.event.is_ok(), "demo payload {n}: {:?}", out.event.err());
            if let Some(Verdict::Notify(list)) = out.verdict {
                notified += list.len();
            }
        }
        assert_eq!(c.stats().malformed, 0);
        assert_eq!(c.stats().duplicates, 0);
        assert!(notified >= 40, "{notified}");
        assert_eq!(c.board().len(), 4);
    }

    #[test]
    fn the_demo_names_every_agent_and_group_its_payloads_carry() {
        let names = crate::directory::Names::from_directories([&super::directory()]);
        let mut c = Classifier::new(Rules::default(), Identity::default());
        c.set_names(names);
        let now = chrono::DateTime::from_timestamp(1_763_630_000, 0).unwrap();
        for n in 0..64 {
            if let Some(Verdict::Notify(list)) =
                c.classify_bytes(payload(n).as_bytes(), now).verdict
            {
                for note in list {
                    assert!(
                        !note.body.contains("not in the directory"),
                        "demo payload {n}: {}",
                        note.body
                    );
                }
            }
        }
    }
}
