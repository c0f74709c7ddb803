//! The tray process's local API: one private, per-user socket that the
//! terminal commands (`deskbell status|open|dnd|subscribe|unsubscribe`),
//! and the window once it runs in a process of its own, talk to. The
//! messages are typed and versioned; each travels as one frame (a 4-byte
//! big-endian length, then that many bytes of JSON), at most [`MAX_FRAME`]
//! bytes. `docs/local-api.md` describes it.
//!
//! - `protocol.rs`: the messages; `frame.rs`: the framing;
//! - `path.rs`: where the socket is, and the checks on its directory;
//! - `server.rs`: the tray's side (one reader per connection, which
//!   refuses what it cannot read and never takes the tray down), over
//!   whatever answers the requests ([`server::LocalApi`]);
//! - `client.rs`: the terminal's side.

#[cfg(all(feature = "net", unix))]
pub mod client;
pub mod frame;
pub mod path;
pub mod protocol;
#[cfg(all(feature = "net", unix))]
pub mod server;

pub use protocol::*;

/// The protocol this build speaks. A client with another is refused with
/// `protocol_version` (the parts come from one package, so a mismatch
/// means a half-finished upgrade: restart Deskbell).
pub const PROTOCOL: u32 = 1;

/// The largest frame either side accepts. A snapshot of a 500-agent board
/// with a full feed is about 250 KB.
pub const MAX_FRAME: usize = 4 * 1024 * 1024;
