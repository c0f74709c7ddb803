use thiserror::Error;

/// Why a payload could not be decoded. `code()` is stable for the UI and logs;
/// the message names the problem (the caller names the input).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    InvalidJson {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("payload is not a JSON object")]
    NotAnObject,
    #[error("no event name: expected \"event\", \"events\" or \"notificationType\"")]
    NoEventName,
    #[error("{event} needs {part}, which is missing or null")]
    MissingPart { event: String, part: &'static str },
    #[error("{path}: {message}")]
    BadField { path: String, message: String },
}

impl DecodeError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidJson { .. } => "invalid_json",
            Self::NotAnObject => "not_an_object",
            Self::NoEventName => "no_event_name",
            Self::MissingPart { .. } => "missing_part",
            Self::BadField { .. } => "bad_field",
        }
    }

    pub(crate) fn from_json(err: &serde_json::Error) -> Self {
        let message = err.to_string();
        // serde_json appends " at line L column C"; we say it once, up front.
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_owned(),
            None => message,
        };
        Self::InvalidJson {
            line: err.line(),
            column: err.column(),
            message,
        }
    }
}
