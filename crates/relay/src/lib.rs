//! deskbell-relay: authenticated ingress for Freshworks events, a durable
//! log (SQLite for one relay, NATS JetStream for several), and SSE streams
//! with resume for every agent's desktop.
//! The wire contract is docs/stream-protocol.md.

pub mod assign;
pub mod backend;
pub mod cli;
pub mod config;
pub mod directory;
pub mod freshcaller;
pub mod freshworks_api;
pub mod jetstream;
pub mod lock;
pub mod log;
pub mod server;
pub mod tokens;
