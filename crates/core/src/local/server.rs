//! The tray's side of the local API. The socket is bound once per user
//! session (a stale one left by a crash is reclaimed). Each connection gets
//! one reader that can never be crashed by what it reads: another user, a
//! wrong version, an oversize frame or garbage is refused with a clear
//! error and only that connection closes. The tray goes on notifying
//! throughout. What the requests do is the process's own
//! ([`LocalApi`]); this module only carries them.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, mpsc};

use super::frame::{self, FrameError};
use super::path;
use super::{ClientMessage, ErrorBody, Outcome, Push, Reply, ServerMessage, PROTOCOL};
use crate::local::Request;

/// How long a new connection may take to say hello.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(5);

/// An answer on its way: some need the keyring or the network.
pub type Answer<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// What answers the requests: the tray process.
pub trait LocalApi: Send + Sync + 'static {
    /// Every request but `subscribe`, which the server handles. A
    /// connection's requests are answered one after another.
    fn answer(&self, request: Request) -> Answer<'_>;

    /// What a subscribed client is told without asking; `None`: nothing.
    fn pushes(&self) -> Option<broadcast::Receiver<Push>> {
        None
    }
}

/// The outcome of trying to become this session's tray.
pub enum Bound {
    Listening(UnixListener, PathBuf),
    /// Another tray answers on the socket.
    AlreadyRunning(PathBuf),
}

/// Binds the session's socket in a private directory, reclaiming one left
/// by a crash; or says that a tray already answers there.
pub async fn bind(socket: &Path) -> Result<Bound, path::PathError> {
    let dir = socket.parent().unwrap_or(Path::new("."));
    path::prepare_dir(dir)?;
    let io = |source| path::PathError::Io {
        path: socket.to_owned(),
        source,
    };
    for _ in 0..2 {
        match UnixListener::bind(socket) {
            Ok(listener) => {
                use std::os::unix::fs::PermissionsExt;
                // The directory already keeps others out; the socket too.
                std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))
                    .map_err(io)?;
                return Ok(Bound::Listening(listener, socket.to_owned()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                if UnixStream::connect(socket).await.is_ok() {
                    return Ok(Bound::AlreadyRunning(socket.to_owned()));
                }
                // Nobody answers: left by a tray that died. Reclaimed.
                tracing::info!(socket = %socket.display(), "reclaiming a stale socket");
                std::fs::remove_file(socket).map_err(io)?;
            }
            Err(e) => return Err(io(e)),
        }
    }
    Err(io(std::io::Error::other("the socket could not be bound")))
}

/// Serves connections until the process ends.
pub async fn serve(listener: UnixListener, api: Arc<dyn LocalApi>) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("accepting a local connection failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let api = api.clone();
        tokio::spawn(async move {
            let uid = stream.peer_cred().map(|c| c.uid()).ok();
            let (read, write) = stream.into_split();
            // The directory keeps other users out; this is the second lock.
            if uid != Some(path::uid()) {
                tracing::warn!(peer_uid = ?uid, "refused a local connection from another user");
                refuse(write, "forbidden_user", "this tray belongs to another user").await;
                return;
            }
            connection(read, write, api).await;
        });
    }
}

async fn refuse<W: AsyncWrite + Unpin>(mut write: W, code: &str, message: &str) {
    let refused = ServerMessage::Refused {
        error: ErrorBody::new(code, message),
    };
    if let Ok(frame) = frame::encode(&refused) {
        let _ = frame::write(&mut write, &frame).await;
    }
}

/// One client, from its hello to its last frame. Requests are answered in
/// order; anything unreadable ends this connection and only this one.
pub async fn connection<R, W>(mut read: R, mut write: W, api: Arc<dyn LocalApi>)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let client = match tokio::time::timeout(HELLO_TIMEOUT, frame::read(&mut read)).await {
        Err(_) => return refuse(write, "no_hello", "say hello first, within 5 seconds").await,
        Ok(Ok(None)) | Ok(Err(FrameError::Io(_))) => return,
        Ok(Err(e)) => {
            tracing::warn!(code = e.code(), "refused a local client: {e}");
            return refuse(write, e.code(), &e.to_string()).await;
        }
        Ok(Ok(Some(body))) => match frame::decode::<ClientMessage>(&body) {
            Ok(ClientMessage::Hello { protocol, client }) if protocol == PROTOCOL => client,
            Ok(ClientMessage::Hello { protocol, .. }) => {
                let message = format!(
                    "this tray speaks protocol {PROTOCOL}, not {protocol}: restart Deskbell"
                );
                tracing::warn!(
                    protocol,
                    "refused a local client of another protocol version"
                );
                return refuse(write, "protocol_version", &message).await;
            }
            Ok(ClientMessage::Request { .. }) => {
                return refuse(write, "no_hello", "say hello first").await
            }
            Err(e) => {
                tracing::warn!(code = e.code(), "refused a local client: {e}");
                return refuse(write, e.code(), &e.to_string()).await;
            }
        },
    };
    tracing::debug!(?client, "local client connected");
    let welcome = ServerMessage::Welcome {
        protocol: PROTOCOL,
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    // One writer per connection: answers and pushes queue up for it. A
    // client too slow to read a full queue is dropped, never waited for.
    let (out, mut queue) = mpsc::channel::<Vec<u8>>(CLIENT_QUEUE);
    let writer = tokio::spawn(async move {
        while let Some(frame) = queue.recv().await {
            if frame::write(&mut write, &frame).await.is_err() {
                break;
            }
        }
    });
    let send = Sender { out };
    let mut forwarding = None;
    if send.message(&welcome) {
        read_requests(&mut read, &send, &api, &mut forwarding).await;
    }
    // The client is gone: its pushes stop now, not at the next push.
    if let Some(forwarding) = forwarding {
        forwarding.abort();
    }
    drop(send);
    let _ = writer.await;
}

/// Requests until the client goes or sends what cannot be read.
async fn read_requests<R: AsyncRead + Unpin>(
    read: &mut R,
    send: &Sender,
    api: &Arc<dyn LocalApi>,
    forwarding: &mut Option<tokio::task::JoinHandle<()>>,
) {
    loop {
        let body = match frame::read(read).await {
            Ok(Some(body)) => body,
            Ok(None) | Err(FrameError::Io(_)) => return,
            Err(e) => {
                tracing::warn!(code = e.code(), "closed a local connection: {e}");
                send.refused(e.code(), &e.to_string());
                return;
            }
        };
        match frame::decode::<ClientMessage>(&body) {
            Ok(ClientMessage::Request { id, request }) => {
                tracing::debug!(request = request.name(), "local request");
                let outcome = match request {
                    Request::Subscribe => match api.pushes() {
                        // Subscribing twice changes nothing.
                        Some(_) if forwarding.is_some() => Outcome::Ok(Reply::Done),
                        Some(pushes) => {
                            *forwarding = Some(send.forward(pushes));
                            Outcome::Ok(Reply::Done)
                        }
                        None => Outcome::Error(ErrorBody::new(
                            "no_pushes",
                            "this tray has nothing to push",
                        )),
                    },
                    request => api.answer(request).await,
                };
                if !send.message(&ServerMessage::Response { id, outcome }) {
                    return;
                }
            }
            Ok(ClientMessage::Hello { .. }) => {
                send.refused("bad_frame", "hello was already said");
                return;
            }
            Err(e) => {
                tracing::warn!(code = e.code(), "closed a local connection: {e}");
                send.refused(e.code(), &e.to_string());
                return;
            }
        }
    }
}

/// Frames queued for one client before it counts as too slow and is dropped.
const CLIENT_QUEUE: usize = 64;

#[derive(Clone)]
struct Sender {
    out: mpsc::Sender<Vec<u8>>,
}

impl Sender {
    /// Queues a message; false when the client is gone or too slow.
    fn message(&self, message: &ServerMessage) -> bool {
        match frame::encode(message) {
            Ok(frame) => self.out.try_send(frame).is_ok(),
            Err(e) => {
                tracing::error!("a local answer could not be framed: {e}");
                false
            }
        }
    }

    fn refused(&self, code: &str, message: &str) {
        self.message(&ServerMessage::Refused {
            error: ErrorBody::new(code, message),
        });
    }

    /// The tray's pushes to this client until it goes; one it missed (too
    /// many at once) becomes "ask again", which the snapshot answers whole.
    fn forward(&self, mut pushes: broadcast::Receiver<Push>) -> tokio::task::JoinHandle<()> {
        let send = self.clone();
        tokio::spawn(async move {
            loop {
                let push = match pushes.recv().await {
                    Ok(push) => push,
                    Err(broadcast::error::RecvError::Lagged(_)) => Push::ViewChanged,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if !send.message(&ServerMessage::Push { push }) {
                    return;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::local::{ClientKind, Reply};

    /// Answers every request with `Done`, keeping what it was asked.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<Request>>);

    impl LocalApi for Recorder {
        fn answer(&self, request: Request) -> Answer<'_> {
            if let Ok(mut asked) = self.0.lock() {
                asked.push(request);
            }
            Box::pin(async { Outcome::Ok(Reply::Done) })
        }
    }

    async fn exchange(input: Vec<u8>) -> (Vec<ServerMessage>, Arc<Recorder>) {
        let api = Arc::new(Recorder::default());
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let (read, write) = tokio::io::split(server);
        let task = tokio::spawn(connection(read, write, api.clone()));
        client.write_all(&input).await.unwrap();
        client.shutdown().await.unwrap();
        let mut out = Vec::new();
        client.read_to_end(&mut out).await.unwrap();
        task.await.unwrap();
        let mut messages = Vec::new();
        let mut rest = &out[..];
        while rest.len() >= 4 {
            let len = frame::body_len(rest[..4].try_into().unwrap()).unwrap();
            messages.push(frame::decode(&rest[4..4 + len]).unwrap());
            rest = &rest[4 + len..];
        }
        (messages, api)
    }

    fn hello(protocol: u32) -> Vec<u8> {
        frame::encode(&ClientMessage::Hello {
            protocol,
            client: ClientKind::Cli,
        })
        .unwrap()
    }

    fn refused_code(m: &ServerMessage) -> &str {
        match m {
            ServerMessage::Refused { error } => &error.code,
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn requests_are_answered_in_order_after_the_hello() {
        let mut input = hello(PROTOCOL);
        for (id, request) in [(1, Request::Status), (2, Request::ReloadAccounts)] {
            input.extend(frame::encode(&ClientMessage::Request { id, request }).unwrap());
        }
        let (out, api) = exchange(input).await;
        assert!(matches!(
            out[0],
            ServerMessage::Welcome {
                protocol: PROTOCOL,
                ..
            }
        ));
        assert!(matches!(out[1], ServerMessage::Response { id: 1, .. }));
        assert!(matches!(out[2], ServerMessage::Response { id: 2, .. }));
        assert_eq!(
            *api.0.lock().unwrap(),
            [Request::Status, Request::ReloadAccounts]
        );
    }

    async fn next<R: tokio::io::AsyncRead + Unpin>(client: &mut R) -> ServerMessage {
        let mut header = [0u8; 4];
        client.read_exact(&mut header).await.unwrap();
        let mut body = vec![0; frame::body_len(header).unwrap()];
        client.read_exact(&mut body).await.unwrap();
        frame::decode::<ServerMessage>(&body).unwrap()
    }

    /// Pushes to whoever subscribed.
    struct Pusher(broadcast::Sender<Push>);

    impl LocalApi for Pusher {
        fn answer(&self, _: Request) -> Answer<'_> {
            Box::pin(async { Outcome::Ok(Reply::Done) })
        }
        fn pushes(&self) -> Option<broadcast::Receiver<Push>> {
            Some(self.0.subscribe())
        }
    }

    #[tokio::test]
    async fn a_subscribed_client_is_told_without_asking() {
        let (tx, _) = broadcast::channel(8);
        let api = Arc::new(Pusher(tx.clone()));
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let (read, write) = tokio::io::split(server);
        tokio::spawn(connection(read, write, api));
        let mut input = hello(PROTOCOL);
        input.extend(
            frame::encode(&ClientMessage::Request {
                id: 1,
                request: Request::Subscribe,
            })
            .unwrap(),
        );
        client.write_all(&input).await.unwrap();
        assert!(matches!(
            next(&mut client).await,
            ServerMessage::Welcome { .. }
        ));
        assert!(matches!(
            next(&mut client).await,
            ServerMessage::Response {
                id: 1,
                outcome: Outcome::Ok(Reply::Done)
            }
        ));
        tx.send(Push::ViewChanged).unwrap();
        assert_eq!(
            next(&mut client).await,
            ServerMessage::Push {
                push: Push::ViewChanged
            }
        );
    }

    /// A subscribed client that goes stops holding the pushes at once
    /// (the tray counts subscribers to know whether a window is open).
    #[tokio::test]
    async fn a_client_that_goes_stops_its_pushes() {
        let (tx, _) = broadcast::channel(8);
        let api = Arc::new(Pusher(tx.clone()));
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let (read, write) = tokio::io::split(server);
        let served = tokio::spawn(connection(read, write, api));
        let mut input = hello(PROTOCOL);
        for id in [1, 2] {
            input.extend(
                frame::encode(&ClientMessage::Request {
                    id,
                    request: Request::Subscribe,
                })
                .unwrap(),
            );
        }
        client.write_all(&input).await.unwrap();
        for _ in 0..3 {
            next(&mut client).await;
        }
        assert_eq!(
            tx.receiver_count(),
            1,
            "subscribing twice is one subscription"
        );
        drop(client);
        served.await.unwrap();
        for _ in 0..100 {
            if tx.receiver_count() == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(tx.receiver_count(), 0);
    }

    #[tokio::test]
    async fn what_cannot_be_read_is_refused_and_never_reaches_the_tray() {
        // Another protocol version.
        let (out, api) = exchange(hello(PROTOCOL + 1)).await;
        assert_eq!(refused_code(&out[0]), "protocol_version");
        assert!(api.0.lock().unwrap().is_empty());
        // Garbage instead of a hello.
        let mut garbage = 9u32.to_be_bytes().to_vec();
        garbage.extend(b"not json!");
        let (out, _) = exchange(garbage).await;
        assert_eq!(refused_code(&out[0]), "bad_frame");
        // A frame announcing more than the limit: refused before reading it.
        let (out, _) = exchange(u32::MAX.to_be_bytes().to_vec()).await;
        assert_eq!(refused_code(&out[0]), "frame_too_large");
        // A request before the hello.
        let request = frame::encode(&ClientMessage::Request {
            id: 1,
            request: Request::Status,
        })
        .unwrap();
        let (out, api) = exchange(request).await;
        assert_eq!(refused_code(&out[0]), "no_hello");
        assert!(api.0.lock().unwrap().is_empty());
        // Garbage after a good request: answered, then refused.
        let mut input = hello(PROTOCOL);
        input.extend(
            frame::encode(&ClientMessage::Request {
                id: 1,
                request: Request::Status,
            })
            .unwrap(),
        );
        input.extend(3u32.to_be_bytes());
        input.extend(b"{{{");
        let (out, api) = exchange(input).await;
        assert!(matches!(out[1], ServerMessage::Response { id: 1, .. }));
        assert_eq!(refused_code(&out[2]), "bad_frame");
        assert_eq!(api.0.lock().unwrap().len(), 1);
    }
}
