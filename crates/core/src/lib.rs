//! Deskbell's core, with no GUI dependency. The pipeline, one way:
//!
//! source -> [`event`] decode -> [`dedupe`] -> [`board`] -> [`rules`] ->
//! [`schedule`] hold gate -> [`coalesce`] -> deliveries for the sinks.
//!
//! [`pipeline`] chains the stages; [`check`] is the headless dry run;
//! [`config`] the user's file. Every time-dependent function takes `now`.
//!
//! The tray process is a thin layer over [`daemon`] (sources -> pipeline ->
//! the [`desktop`]'s sinks, and the [`view`] it keeps) and [`local`], the
//! per-user socket its terminal commands talk to.

pub mod actions;
pub mod board;
pub mod check;
pub mod coalesce;
pub mod config;
#[cfg(feature = "net")]
pub mod daemon;
pub mod dedupe;
pub mod demo;
pub mod desktop;
pub mod directory;
pub mod event;
pub mod feed;
pub mod first_response;
pub mod invite;
pub mod l10n;
pub mod local;
pub mod notification;
pub mod notified;
pub mod pipeline;
pub mod resume;
pub mod rules;
pub mod schedule;
pub mod secret;
pub mod state_file;
pub mod stream;
pub mod view;
pub mod webhook;
pub mod wire;

pub use event::{decode, DecodeError, DecodedEvent, Event, EventName};
pub use notification::{Kind, Notification};
