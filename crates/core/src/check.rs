//! `deskbell check`: the headless dry run. Every payload goes through the same
//! decode, dedupe, board and rules as in the app (no time windows, no
//! coalescing), and one JSON line per payload says what would be shown and,
//! when nothing, why.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::pipeline::Classifier;
use crate::rules::{Identity, Rules, Verdict};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckInput {
    Stdin,
    Path(PathBuf),
}

impl CheckInput {
    pub fn parse(s: &str) -> Self {
        if s == "-" {
            CheckInput::Stdin
        } else {
            CheckInput::Path(PathBuf::from(s))
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    pub rules: Rules,
    pub identity: Identity,
}

impl CheckOptions {
    pub fn from_config(config: &Config) -> Self {
        CheckOptions {
            rules: config.rules.clone(),
            identity: config.identity.clone(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckSummary {
    pub payloads: u64,
    pub failed: u64,
}

#[derive(Serialize)]
struct Line<'a> {
    input: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notifications: Option<Vec<Shown<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct Shown<'a> {
    kind: &'a str,
    title: &'a str,
    body: &'a str,
    url: Option<&'a str>,
}

/// Longest line accepted from an NDJSON input; a longer one is reported and
/// skipped so one runaway line cannot exhaust memory.
const MAX_LINE: usize = 16 * 1024 * 1024;

/// Runs the inputs in order as one stream, writing one JSON line per payload.
/// I/O errors on `out` end the run; a bad input or payload does not.
pub fn run(
    inputs: &[CheckInput],
    options: &CheckOptions,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
) -> io::Result<CheckSummary> {
    let mut state = State {
        classifier: Classifier::new(options.rules.clone(), options.identity.clone()),
        now: Utc::now(),
        summary: CheckSummary::default(),
        out,
    };
    for input in inputs {
        match input {
            CheckInput::Stdin => state.lines("-", stdin)?,
            CheckInput::Path(path) => {
                let label = path.display().to_string();
                let ndjson = matches!(
                    path.extension()
                        .and_then(|e| e.to_str())
                        .map(str::to_ascii_lowercase)
                        .as_deref(),
                    Some("ndjson" | "jsonl")
                );
                let file = match File::open(path) {
                    Ok(f) => f,
                    Err(e) => {
                        state.fail(&label, format!("cannot read: {e}"))?;
                        continue;
                    }
                };
                if ndjson {
                    state.lines(&label, &mut BufReader::new(file))?;
                } else {
                    let mut bytes = Vec::new();
                    match BufReader::new(file).read_to_end(&mut bytes) {
                        Ok(_) => state.payload(&label, &bytes)?,
                        Err(e) => state.fail(&label, format!("cannot read: {e}"))?,
                    }
                }
            }
        }
    }
    Ok(state.summary)
}

struct State<'o> {
    classifier: Classifier,
    /// One instant for the whole run: `check` applies no time windows.
    now: DateTime<Utc>,
    summary: CheckSummary,
    out: &'o mut dyn Write,
}

impl State<'_> {
    fn lines(&mut self, label: &str, reader: &mut dyn BufRead) -> io::Result<()> {
        let mut buf = Vec::with_capacity(8 * 1024);
        let mut number = 0usize;
        loop {
            buf.clear();
            number += 1;
            let n = reader.take(MAX_LINE as u64 + 1).read_until(b'\n', &mut buf);
            match n {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) => {
                    return self.fail(&format!("{label}:{number}"), format!("cannot read: {e}"))
                }
            }
            let at = format!("{label}:{number}");
            if buf.len() > MAX_LINE && buf.last() != Some(&b'\n') {
                self.fail(&at, format!("line longer than {MAX_LINE} bytes"))?;
                skip_rest_of_line(reader)?;
                continue;
            }
            let line = trim_ascii(&buf);
            if line.is_empty() {
                continue;
            }
            self.payload(&at, line)?;
        }
    }

    fn payload(&mut self, input: &str, bytes: &[u8]) -> io::Result<()> {
        self.summary.payloads += 1;
        let classified = self.classifier.classify_bytes(bytes, self.now);
        let ev = match &classified.event {
            Ok(ev) => ev,
            Err(err) => {
                self.summary.failed += 1;
                return self.write(&Line {
                    input,
                    event: None,
                    notifications: None,
                    why: None,
                    error: Some(err.to_string()),
                });
            }
        };
        let (shown, why) = match &classified.verdict {
            Some(Verdict::Notify(list)) => (
                list.iter()
                    .map(|n| Shown {
                        kind: n.kind.as_str(),
                        title: &n.title,
                        body: &n.body,
                        url: n.url.as_deref(),
                    })
                    .collect(),
                None,
            ),
            Some(Verdict::Skip(skip)) => (Vec::new(), Some(skip.to_string())),
            Some(Verdict::Withdraw(w)) => (Vec::new(), Some(w.to_string())),
            None => (Vec::new(), None),
        };
        self.write(&Line {
            input,
            event: Some(ev.name.as_str()),
            notifications: Some(shown),
            why,
            error: None,
        })
    }

    fn fail(&mut self, input: &str, error: String) -> io::Result<()> {
        self.summary.payloads += 1;
        self.summary.failed += 1;
        self.write(&Line {
            input,
            event: None,
            notifications: None,
            why: None,
            error: Some(error),
        })
    }

    fn write(&mut self, line: &Line<'_>) -> io::Result<()> {
        serde_json::to_writer(&mut *self.out, line).map_err(io::Error::other)?;
        self.out.write_all(b"\n")
    }
}

fn skip_rest_of_line(reader: &mut dyn BufRead) -> io::Result<()> {
    loop {
        let (done, used) = {
            let buf = reader.fill_buf()?;
            if buf.is_empty() {
                return Ok(());
            }
            match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (true, i + 1),
                None => (false, buf.len()),
            }
        };
        reader.consume(used);
        if done {
            return Ok(());
        }
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &b[start..end]
}
