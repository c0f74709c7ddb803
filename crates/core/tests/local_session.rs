//! The window's connection to the tray (`local::client::Session`) against
//! the tray's real server on a Unix socket: answers reach the task that
//! asked, pushes arrive in between, and when the tray goes every waiting
//! request hears so at once.

use std::sync::Arc;
use std::time::Duration;

use deskbell_core::local::client::{LocalError, Session};
use deskbell_core::local::server::{self, Answer, LocalApi};
use deskbell_core::local::{ClientKind, Outcome, Push, Reply, Request};
use deskbell_core::schedule::Dnd;
use tokio::net::UnixListener;
use tokio::sync::{broadcast, Notify};

/// Pushes before answering `set_dnd`; answers `status` only when told,
/// so a request can be left waiting.
struct Tray {
    pushes: broadcast::Sender<Push>,
    release: Notify,
}

impl LocalApi for Tray {
    fn answer(&self, request: Request) -> Answer<'_> {
        Box::pin(async move {
            match request {
                Request::SetDnd { .. } => {
                    let _ = self.pushes.send(Push::ViewChanged);
                    Outcome::Ok(Reply::Done)
                }
                Request::Status => {
                    self.release.notified().await;
                    Outcome::Ok(Reply::Done)
                }
                _ => Outcome::Ok(Reply::Done),
            }
        })
    }

    fn pushes(&self) -> Option<broadcast::Receiver<Push>> {
        Some(self.pushes.subscribe())
    }
}

#[tokio::test]
async fn answers_reach_who_asked_pushes_arrive_between_and_a_gone_tray_is_said_at_once() {
    let dir = std::env::temp_dir().join(format!("deskbell-session-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("tray.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    listener.set_nonblocking(true).unwrap();
    let (pushes, _) = broadcast::channel(8);
    let tray = Arc::new(Tray {
        pushes,
        release: Notify::new(),
    });
    let api: Arc<dyn LocalApi> = tray.clone();
    // The tray on a runtime of its own, so that it can go as a process
    // does: every task of it at once, its end of the socket closed.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = UnixListener::from_std(listener).unwrap();
            tokio::spawn(server::serve(listener, api));
            let _ = stopped.await;
        });
        // Dropping the runtime drops every connection's tasks.
    });

    let (session, mut pushed) = Session::connect_at(&socket, ClientKind::Window)
        .await
        .unwrap();
    let session = Arc::new(session);
    let reply = session
        .request(Request::SetDnd {
            choice: Dnd::OneHour,
        })
        .await
        .unwrap();
    assert_eq!(reply, Reply::Done);
    assert_eq!(pushed.recv().await, Some(Push::ViewChanged));

    // A request left waiting, and the tray goes: it hears so at once, not
    // after the session's 30-second timeout, and the pushes end.
    let waiting = tokio::spawn({
        let session = session.clone();
        async move { session.request(Request::Status).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.send(()).unwrap();
    served.join().unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("answered at once")
        .unwrap();
    assert!(matches!(answer, Err(LocalError::Gone)), "{answer:?}");
    assert_eq!(pushed.recv().await, None);
    assert!(!session.is_open());
    assert!(matches!(
        session.request(Request::Snapshot).await,
        Err(LocalError::Gone)
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
