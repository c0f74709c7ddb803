//! Where each account's stream resumes after a restart: the last relay event
//! id per account, in `resume.json` in the state dir. Without it a restarted
//! app would start at the relay's newest event and skip whatever arrived
//! while it was down. A damaged file only loses that: the stream starts at
//! the newest event.

use std::collections::BTreeMap;

pub use crate::state_file::state_dir;
use crate::state_file::StateFile;

/// Account name to the last relay event id seen.
pub type ResumeStore = StateFile<BTreeMap<String, u64>>;

impl ResumeStore {
    pub fn default_location() -> Option<Self> {
        StateFile::named("resume.json")
    }
}
