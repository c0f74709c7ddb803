//! `deskbell check` as a library: inputs in order as one stream, one JSON line
//! per payload, errors that name the input, and streaming in bounded memory.

mod common;

use std::io::{self, BufRead, Cursor, Read, Write};

use common::fixtures_dir;
use deskbell_core::check::{run, CheckInput, CheckOptions, CheckSummary};
use deskbell_core::rules::Identity;
use serde_json::Value;

fn fixture(name: &str) -> CheckInput {
    CheckInput::Path(fixtures_dir().join(name))
}

fn check(
    inputs: &[CheckInput],
    options: &CheckOptions,
    stdin: &[u8],
) -> (CheckSummary, Vec<Value>) {
    let mut out = Vec::new();
    let summary = run(inputs, options, &mut Cursor::new(stdin.to_vec()), &mut out).unwrap();
    let lines = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (summary, lines)
}

#[test]
fn one_line_per_payload_with_notifications_or_why() {
    let (summary, lines) = check(
        &[
            fixture("freshdesk/ticket-create.json"),
            fixture("freshdesk/contact-create.json"),
        ],
        &CheckOptions::default(),
        b"",
    );
    assert_eq!(
        summary,
        CheckSummary {
            payloads: 2,
            failed: 0
        }
    );
    assert_eq!(lines[0]["event"], "onTicketCreate");
    assert!(lines[0]["input"]
        .as_str()
        .unwrap()
        .ends_with("freshdesk/ticket-create.json"));
    assert_eq!(
        lines[0]["notifications"][0],
        serde_json::json!({
            "kind": "new_ticket",
            "title": "New ticket #1: Support Needed...",
            "body": "Low priority · from Rachel <rachel@freshdesk.com> · Portal",
            "url": "https://sample.freshdesk.com/a/tickets/1"
        })
    );
    assert!(lines[0].get("why").is_none());
    assert_eq!(lines[1]["notifications"], serde_json::json!([]));
    assert_eq!(lines[1]["why"], "this event never raises a notification");
}

#[test]
fn ndjson_on_stdin_is_labelled_by_line_and_bad_lines_do_not_stop_it() {
    let ticket =
        std::fs::read_to_string(fixtures_dir().join("freshdesk/ticket-create.json")).unwrap();
    let ticket: Value = serde_json::from_str(&ticket).unwrap();
    let stdin = format!("{ticket}\n\n{{\"event\": oops}}\n{ticket}\n");
    let (summary, lines) = check(
        &[CheckInput::Stdin],
        &CheckOptions::default(),
        stdin.as_bytes(),
    );
    assert_eq!(
        summary,
        CheckSummary {
            payloads: 3,
            failed: 1
        }
    );
    assert_eq!(lines[0]["input"], "-:1");
    assert_eq!(lines[1]["input"], "-:3");
    assert!(lines[1]["error"]
        .as_str()
        .unwrap()
        .starts_with("invalid JSON at line 1, column 11"));
    assert_eq!(lines[2]["input"], "-:4");
    assert_eq!(lines[2]["why"], "duplicate of an event already processed");
}

#[test]
fn dedupe_applies_across_inputs() {
    let (_, lines) = check(
        &[
            fixture("xelion/missed-call.json"),
            fixture("xelion/missed-call-repeated.json"),
        ],
        &CheckOptions::default(),
        b"",
    );
    assert_eq!(lines[0]["notifications"].as_array().unwrap().len(), 1);
    assert_eq!(lines[1]["why"], "duplicate of an event already processed");
}

#[test]
fn unreadable_file_is_reported_and_the_rest_processed() {
    let (summary, lines) = check(
        &[
            CheckInput::Path("/nonexistent/x.json".into()),
            fixture("freshdesk/ticket-create.json"),
        ],
        &CheckOptions::default(),
        b"",
    );
    assert_eq!(
        summary,
        CheckSummary {
            payloads: 2,
            failed: 1
        }
    );
    assert_eq!(lines[0]["input"], "/nonexistent/x.json");
    assert!(lines[0]["error"]
        .as_str()
        .unwrap()
        .starts_with("cannot read: "));
    assert_eq!(lines[1]["event"], "onTicketCreate");
}

#[test]
fn identity_changes_the_verdict() {
    let options = CheckOptions {
        identity: Identity::from_strings(&["321".into()]),
        ..Default::default()
    };
    let (_, lines) = check(
        &[fixture("freshdesk/ticket-update-responder-320-to-321.json")],
        &options,
        b"",
    );
    assert_eq!(
        lines[0]["notifications"][0]["title"],
        "Ticket #1 assigned to you"
    );
}

/// Produces `count` NDJSON lines on demand, never holding more than one.
struct Generated {
    line: Vec<u8>,
    left: usize,
    pos: usize,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.fill_buf()?.len().min(buf.len());
        buf[..n].copy_from_slice(&self.line[self.pos..self.pos + n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Generated {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.line.len() && self.left > 0 {
            self.left -= 1;
            self.pos = 0;
        }
        if self.left == 0 && self.pos == self.line.len() {
            return Ok(&[]);
        }
        Ok(&self.line[self.pos..])
    }
    fn consume(&mut self, n: usize) {
        self.pos += n;
    }
}

/// Counts output lines without keeping them.
struct Counting(usize);

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.iter().filter(|&&b| b == b'\n').count();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn streams_many_lines_without_collecting_them() {
    // The same call update 100k times: the dedupe memory is bounded, so this
    // also walks past its capacity. Output goes straight to the writer.
    let line = std::fs::read_to_string(fixtures_dir().join("xelion/new-call.json")).unwrap();
    let mut line = serde_json::to_vec(&serde_json::from_str::<Value>(&line).unwrap()).unwrap();
    line.push(b'\n');
    let count = 100_000;
    let mut stdin = Generated {
        pos: line.len(),
        line,
        left: count,
    };
    let mut out = Counting(0);
    let summary = run(
        &[CheckInput::Stdin],
        &CheckOptions::default(),
        &mut stdin,
        &mut out,
    )
    .unwrap();
    assert_eq!(summary.payloads, count as u64);
    assert_eq!(out.0, count);
}

#[test]
fn spam_tickets_created_closed_and_direction_controls() {
    let (summary, lines) = check(
        &[
            fixture("freshdesk/ticket-create-spam.json"),
            fixture("freshdesk/ticket-create-closed.json"),
            fixture("tolerance/direction-controls-in-subject.json"),
        ],
        &CheckOptions::default(),
        b"",
    );
    assert_eq!(summary.failed, 0);
    assert_eq!(lines[0]["notifications"], serde_json::json!([]));
    assert_eq!(lines[0]["why"], "the ticket is marked as spam");
    assert_eq!(lines[1]["notifications"], serde_json::json!([]));
    assert_eq!(
        lines[1]["why"],
        "filtered out: created Closed; only tickets created Open or Pending notify"
    );
    assert_eq!(
        lines[2]["notifications"][0]["title"],
        "New ticket #5: Invoice attached: gnp.exe"
    );
}
