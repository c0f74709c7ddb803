//! The live sources: the relay's SSE stream (`relay_client.rs`) and the
//! Xelion WebSocket (`xelion_client.rs`), with the SSE framing (`sse.rs`)
//! and the reconnect policy (`backoff.rs`) they share. Both hand payloads to
//! the pipeline as [`StreamOutput`] and report a [`ConnectionState`].

pub mod backoff;
#[cfg(feature = "net")]
pub mod probe;
#[cfg(feature = "net")]
pub mod relay_client;
pub mod sse;
#[cfg(feature = "net")]
mod supervise;
#[cfg(feature = "net")]
pub mod xelion_client;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the tray and the UI show for an account's connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectionState {
    Connecting,
    Live {
        since: DateTime<Utc>,
    },
    BackingOff {
        attempt: u32,
        retry_at: DateTime<Utc>,
        reason: String,
    },
    /// The server refused the credentials: no retry until they change.
    SignInNeeded {
        status: u16,
    },
    Stopped,
}

/// A certificate failure found in an error chain's innermost words
/// (rustls says "invalid peer certificate: UnknownIssuer"), said so that an
/// agent knows it is the certificate, not the network, and an admin knows
/// which check failed.
pub fn certificate_problem(detail: &str) -> Option<String> {
    let (_, why) = detail.split_once("invalid peer certificate")?;
    let why = why.trim_start_matches([':', ' ']);
    Some(if why.is_empty() {
        "the server's certificate is not trusted".to_owned()
    } else {
        format!("the server's certificate is not trusted ({why})")
    })
}

/// One payload from a source, for the pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamEvent {
    /// The relay's event id; `None` for sources without ids (Xelion).
    pub id: Option<u64>,
    pub name: String,
    pub data: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamOutput {
    State(ConnectionState),
    Event(StreamEvent),
    /// One agent's latest state as the relay keeps it (an `onAgentUpdate`
    /// payload), sent when a stream starts: the board is whole at once.
    Team(String),
    /// Who is who (`crate::directory::Directory` as JSON), sent when a
    /// stream starts and whenever the relay's copy changes.
    Directory(String),
    /// Who the stream's token belongs to (`crate::directory::WhoAmI` as
    /// JSON), sent after the directory whenever the relay sends that.
    Me(String),
    /// Missed calls from while the connection was down (Xelion's
    /// communications search, on reconnecting), each a `missedCallEvent`
    /// payload like the WebSocket's, oldest first: shown as one "while you
    /// were away" summary, never as a burst.
    CatchUp(Vec<String>),
    /// The resume point was older than the relay's retention.
    Reset {
        dropped: u64,
        resume_from: u64,
    },
    /// Something on the wire was skipped; the stream goes on.
    Skipped(SkipReason),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    Oversized,
    InvalidUtf8,
    BadId(String),
    BadReset(String),
}
