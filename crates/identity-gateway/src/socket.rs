//! One socket's life: frames out, pings, the client's messages, the token's expiry, and the
//! close code that ends it.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseReason, Message, MessageStream, Session};
use identity_core::domain::{ClientMessage, CloseCode, Heartbeats, SocketGrant};
use identity_core::usecases::RealtimeService;
use tokio::time::{Instant, sleep, timeout};

use crate::hub::Admission;
use crate::metric;

/// How long a close frame may wait for room in the socket's buffer (a slow consumer's may
/// never get it: the connection is then dropped).
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Answers the upgrade (101) and runs the socket on this worker until it closes. `admission`
/// is the socket's place (taken under the limits before the upgrade), `grant` what the
/// authentication allowed.
pub fn upgrade(
    req: &HttpRequest,
    body: web::Payload,
    admission: Admission,
    grant: SocketGrant,
    realtime: RealtimeService,
    max_frame_bytes: usize,
    ping_interval: Duration,
) -> Result<HttpResponse, actix_web::Error> {
    let (response, session, stream) = actix_ws::handle(req, body)?;
    let stream = stream.max_frame_size(max_frame_bytes);
    actix_web::rt::spawn(run(admission, grant, realtime, session, stream, ping_interval));
    Ok(response)
}

/// How a socket ended.
enum End {
    /// The server closes it with this code.
    Close(CloseCode),
    /// The client closed it or went away: nothing more to send.
    Gone,
}

async fn run(
    mut admission: Admission,
    mut grant: SocketGrant,
    realtime: RealtimeService,
    mut session: Session,
    mut stream: MessageStream,
    ping_interval: Duration,
) {
    let mut ping = tokio::time::interval_at(Instant::now() + ping_interval, ping_interval);
    let mut last_pong = Instant::now();
    let mut heartbeats = Heartbeats::default();
    let expiry = sleep(realtime.lifetime(&grant));
    tokio::pin!(expiry);
    let end = loop {
        tokio::select! {
            biased;
            changed = admission.control.changed() => {
                let code = *admission.control.borrow_and_update();
                match (changed, code) {
                    (_, Some(code)) => break End::Close(code),
                    (Err(_), None) => break End::Close(CloseCode::GoingAway),
                    (Ok(()), None) => {}
                }
            }
            frame = admission.frames.recv() => match frame {
                Some(frame) => {
                    // Wait for room, but not past a close signal (a slow consumer's writes may
                    // never complete).
                    tokio::select! {
                        sent = session.text(frame.to_string()) => match sent {
                            Ok(()) => metrics::counter!(metric::FRAMES_SENT).increment(1),
                            Err(_) => break End::Gone,
                        },
                        _ = admission.control.changed() => {
                            let code = (*admission.control.borrow_and_update()).unwrap_or(CloseCode::GoingAway);
                            break End::Close(code);
                        }
                    }
                }
                None => break End::Close(CloseCode::GoingAway),
            },
            message = stream.recv() => match message {
                None | Some(Ok(Message::Close(_))) => break End::Gone,
                Some(Ok(Message::Text(text))) => match ClientMessage::parse(&text) {
                    Some(ClientMessage::Auth { token }) => match realtime.renew(&grant, &token).await {
                        Ok(renewed) => {
                            grant = renewed;
                            expiry.as_mut().reset(Instant::now() + realtime.lifetime(&grant));
                        }
                        Err(_) => break End::Close(CloseCode::TokenExpired),
                    },
                    // Presence is a hint: a store that fails leaves the socket open.
                    Some(ClientMessage::PresenceActive) => {
                        if let Err(error) = realtime.heartbeat(&grant, &mut heartbeats).await {
                            tracing::warn!(%error, "a presence heartbeat was not kept");
                        }
                    }
                    None => break End::Close(CloseCode::PolicyViolation),
                },
                Some(Ok(Message::Ping(bytes))) => {
                    if session.pong(&bytes).await.is_err() {
                        break End::Gone;
                    }
                }
                Some(Ok(Message::Pong(_))) => last_pong = Instant::now(),
                // Binary frames, continuations, frames past the size limit, broken framing.
                Some(Ok(Message::Binary(_) | Message::Continuation(_))) | Some(Err(_)) => {
                    break End::Close(CloseCode::PolicyViolation);
                }
                Some(Ok(Message::Nop)) => {}
            },
            _ = ping.tick() => {
                if last_pong.elapsed() > ping_interval * 2 {
                    break End::Close(CloseCode::PolicyViolation);
                }
                if session.ping(b"").await.is_err() {
                    break End::Gone;
                }
            }
            () = &mut expiry => break End::Close(CloseCode::TokenExpired),
        }
    };
    if let End::Close(code) = end {
        // What was queued before a revocation goes out first (the `session.revoked` frame).
        if code == CloseCode::SessionRevoked {
            while let Ok(frame) = admission.frames.try_recv() {
                match timeout(CLOSE_WAIT, session.text(frame.to_string())).await {
                    Ok(Ok(())) => metrics::counter!(metric::FRAMES_SENT).increment(1),
                    _ => break,
                }
            }
        }
        let reason = CloseReason { code: code.code().into(), description: Some(code.reason().to_owned()) };
        let _ = timeout(CLOSE_WAIT, session.close(Some(reason))).await;
    }
    drop(admission);
}
