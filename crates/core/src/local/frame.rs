//! One message per frame: a 4-byte big-endian length, then that many bytes
//! of JSON. A length over [`MAX_FRAME`] is refused before anything is read
//! (a garbage or hostile peer cannot make the tray allocate); a frame that
//! is not the JSON of a message is refused with what was wrong.

use serde::de::DeserializeOwned;
use serde::Serialize;
use thiserror::Error;

use super::MAX_FRAME;

#[derive(Debug, Error)]
pub enum FrameError {
    #[error("a frame of {0} bytes is over the limit of {MAX_FRAME}")]
    TooLarge(usize),
    #[error("the frame is not a message this version reads: {0}")]
    Unreadable(String),
    #[error("the connection broke: {0}")]
    Io(#[from] std::io::Error),
}

impl FrameError {
    pub fn code(&self) -> &'static str {
        match self {
            FrameError::TooLarge(_) => "frame_too_large",
            FrameError::Unreadable(_) => "bad_frame",
            FrameError::Io(_) => "connection_broken",
        }
    }
}

/// The frame of `message`: its length, then its JSON.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, FrameError> {
    let body = serde_json::to_vec(message).map_err(|e| FrameError::Unreadable(e.to_string()))?;
    if body.len() > MAX_FRAME {
        return Err(FrameError::TooLarge(body.len()));
    }
    let mut frame = Vec::with_capacity(body.len() + 4);
    frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
    frame.extend_from_slice(&body);
    Ok(frame)
}

/// The length a frame's header announces, checked against the limit.
pub fn body_len(header: [u8; 4]) -> Result<usize, FrameError> {
    let len = u32::from_be_bytes(header) as usize;
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge(len));
    }
    Ok(len)
}

pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, FrameError> {
    serde_json::from_slice(body).map_err(|e| FrameError::Unreadable(e.to_string()))
}

#[cfg(feature = "net")]
mod io {
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

    use super::*;

    /// The next frame's body; `None` at a clean end of the stream.
    pub async fn read<R: AsyncRead + Unpin>(r: &mut R) -> Result<Option<Vec<u8>>, FrameError> {
        let mut header = [0u8; 4];
        match r.read_exact(&mut header).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        let len = body_len(header)?;
        let mut body = vec![0u8; len];
        r.read_exact(&mut body).await?;
        Ok(Some(body))
    }

    pub async fn write<W: AsyncWrite + Unpin>(w: &mut W, frame: &[u8]) -> Result<(), FrameError> {
        w.write_all(frame).await?;
        w.flush().await?;
        Ok(())
    }
}

#[cfg(feature = "net")]
pub use io::{read, write};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::{ClientKind, ClientMessage};

    #[test]
    fn a_frame_is_its_length_then_its_json() {
        let hello = ClientMessage::Hello {
            protocol: 1,
            client: ClientKind::Window,
        };
        let frame = encode(&hello).unwrap();
        let len = body_len(frame[..4].try_into().unwrap()).unwrap();
        assert_eq!(len, frame.len() - 4);
        assert_eq!(decode::<ClientMessage>(&frame[4..]).unwrap(), hello);
        assert!(matches!(body_len([0xff; 4]), Err(FrameError::TooLarge(_))));
        assert_eq!(
            decode::<ClientMessage>(b"{\"type\":\"hello\"}")
                .unwrap_err()
                .code(),
            "bad_frame"
        );
    }
}
