//! The replica's sockets: admission under the limits, fan-out, shutdown.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use identity_core::domain::{CloseCode, DomainEvent, Push, SocketOwner, UserId};
use tokio::sync::{mpsc, watch};

use crate::metric;

/// The gateway's bounds (`WS_*` variables, identity-http's `config/realtime.rs`).
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    /// How often the server pings; a socket that has not answered for two intervals closes.
    pub ping_interval: Duration,
    /// The largest frame a client may send, in bytes.
    pub max_frame_bytes: usize,
    /// Frames queued for one socket before it counts as a slow consumer.
    pub send_buffer: usize,
    /// Sockets one user may hold on this replica.
    pub max_per_user: usize,
    /// Sockets this replica holds at most.
    pub max_sockets: usize,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(30),
            max_frame_bytes: 4096,
            send_buffer: 64,
            max_per_user: 16,
            max_sockets: 10_000,
        }
    }
}

/// Why an upgrade was refused before it happened (503 with `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The user holds `max_per_user` sockets on this replica.
    PerUser,
    /// This replica holds `max_sockets`.
    Replica,
    /// This replica is stopping.
    Stopping,
}

impl Refused {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PerUser => "user",
            Self::Replica => "replica",
            Self::Stopping => "stopping",
        }
    }
}

struct Entry {
    owner: SocketOwner,
    frames: mpsc::Sender<Arc<str>>,
    control: watch::Sender<Option<CloseCode>>,
}

#[derive(Default)]
struct Sockets {
    all: HashMap<u64, Entry>,
    by_user: HashMap<UserId, Vec<u64>>,
    stopping: bool,
}

/// The sockets of this replica (one per process, shared by every worker thread).
pub struct Gateway {
    settings: GatewaySettings,
    sockets: Mutex<Sockets>,
    next: AtomicU64,
}

/// A socket's place in the gateway: its queue of frames and its close signal. Dropping it
/// takes the socket out.
pub struct Admission {
    id: u64,
    pub(crate) gateway: Arc<Gateway>,
    pub(crate) owner: SocketOwner,
    pub(crate) frames: mpsc::Receiver<Arc<str>>,
    pub(crate) control: watch::Receiver<Option<CloseCode>>,
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut sockets = self.gateway.lock();
        if sockets.all.remove(&self.id).is_some() {
            metrics::gauge!(metric::CONNECTIONS).decrement(1.0);
        }
        if let Some(ids) = sockets.by_user.get_mut(&self.owner.user_id) {
            ids.retain(|id| *id != self.id);
            if ids.is_empty() {
                sockets.by_user.remove(&self.owner.user_id);
            }
        }
    }
}

impl Gateway {
    pub fn new(settings: GatewaySettings) -> Arc<Self> {
        Arc::new(Self { settings, sockets: Mutex::new(Sockets::default()), next: AtomicU64::new(1) })
    }

    pub fn settings(&self) -> &GatewaySettings {
        &self.settings
    }

    fn lock(&self) -> MutexGuard<'_, Sockets> {
        // A panic while holding the lock leaves the maps consistent (each change is one step).
        self.sockets.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Open sockets on this replica.
    pub fn open_sockets(&self) -> usize {
        self.lock().all.len()
    }

    /// A place for a socket of `owner`, unless a limit is reached or the replica is stopping.
    pub fn admit(self: &Arc<Self>, owner: SocketOwner) -> Result<Admission, Refused> {
        let mut sockets = self.lock();
        let refused = if sockets.stopping {
            Some(Refused::Stopping)
        } else if sockets.all.len() >= self.settings.max_sockets {
            Some(Refused::Replica)
        } else if sockets.by_user.get(&owner.user_id).map_or(0, Vec::len) >= self.settings.max_per_user {
            Some(Refused::PerUser)
        } else {
            None
        };
        if let Some(refused) = refused {
            metrics::counter!(metric::REFUSED, "reason" => refused.as_str()).increment(1);
            return Err(refused);
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (frames_tx, frames) = mpsc::channel(self.settings.send_buffer.max(1));
        let (control_tx, control) = watch::channel(None);
        sockets.all.insert(id, Entry { owner, frames: frames_tx, control: control_tx });
        sockets.by_user.entry(owner.user_id).or_default().push(id);
        metrics::gauge!(metric::CONNECTIONS).increment(1.0);
        Ok(Admission { id, gateway: self.clone(), owner, frames, control })
    }

    /// Delivers what `event` pushes to the sockets it reaches, without waiting: a socket
    /// whose buffer is full loses the frame and is closed as a slow consumer (1008).
    /// At most once: a frame not queued now is not retried.
    pub fn dispatch(&self, event: &DomainEvent) {
        let Some(push) = Push::of(event) else { return };
        self.deliver(&push);
    }

    /// Delivers `push` to the sockets it reaches, as [`dispatch`](Self::dispatch) says.
    fn deliver(&self, push: &Push) {
        let frame: Arc<str> = match serde_json::to_string(&push.frame) {
            Ok(text) => text.into(),
            Err(error) => {
                tracing::warn!(%error, frame_id = %push.frame.id, "a frame could not be written");
                return;
            }
        };
        let sockets = self.lock();
        let targets: Vec<&Entry> = match push.user() {
            Some(user) => sockets
                .by_user
                .get(&user)
                .map(|ids| ids.iter().filter_map(|id| sockets.all.get(id)).collect())
                .unwrap_or_default(),
            None => sockets.all.values().collect(),
        };
        for entry in targets.into_iter().filter(|entry| push.reaches(&entry.owner)) {
            match entry.frames.try_send(frame.clone()) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    metrics::counter!(metric::FRAMES_DROPPED).increment(1);
                    let slow = entry.control.send_if_modified(|close| {
                        let first = close.is_none();
                        if first {
                            *close = Some(CloseCode::PolicyViolation);
                        }
                        first
                    });
                    if slow {
                        metrics::counter!(metric::SLOW_CONSUMERS).increment(1);
                        tracing::info!(user_id = %entry.owner.user_id, "a socket did not keep up: closing it (1008)");
                    }
                    continue;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => continue,
            }
            if let Some(code) = push.close {
                entry.control.send_if_modified(|close| {
                    let first = close.is_none();
                    if first {
                        *close = Some(code);
                    }
                    first
                });
            }
        }
    }

    /// The replica is stopping: refuses new sockets and closes every open one (1001), then
    /// waits up to `grace` for them to go.
    pub async fn close_all(&self, grace: Duration) {
        {
            let mut sockets = self.lock();
            sockets.stopping = true;
            for entry in sockets.all.values() {
                entry.control.send_if_modified(|close| {
                    let first = close.is_none();
                    if first {
                        *close = Some(CloseCode::GoingAway);
                    }
                    first
                });
            }
        }
        let deadline = tokio::time::Instant::now() + grace;
        while self.open_sockets() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::Utc;
    use identity_core::domain::{EventType, SessionId};
    use uuid::Uuid;

    use super::*;

    fn owner(user: Uuid) -> SocketOwner {
        SocketOwner { user_id: UserId::from_uuid(user), session_id: SessionId::from_uuid(Uuid::now_v7()) }
    }

    fn updated(user: Uuid) -> DomainEvent {
        DomainEvent {
            id: Uuid::now_v7(),
            event_type: EventType::UserUpdated,
            aggregate_id: user,
            subject: Some(user),
            occurred_at: Utc::now(),
            payload: serde_json::json!({"user_id": user, "changed": ["name"], "updated_at": Utc::now()}),
        }
    }

    #[test]
    fn limits_per_user_and_per_replica_refuse_before_admitting() {
        let gateway = Gateway::new(GatewaySettings { max_per_user: 1, max_sockets: 2, ..GatewaySettings::default() });
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let first = gateway.admit(owner(a)).unwrap();
        assert_eq!(gateway.admit(owner(a)).err(), Some(Refused::PerUser));
        let _second = gateway.admit(owner(b)).unwrap();
        assert_eq!(gateway.admit(owner(c)).err(), Some(Refused::Replica));
        drop(first);
        assert!(gateway.admit(owner(a)).is_ok());
    }

    #[test]
    fn frames_reach_the_users_sockets_and_a_full_buffer_closes_with_1008() {
        let gateway = Gateway::new(GatewaySettings { send_buffer: 2, ..GatewaySettings::default() });
        let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let mut a = gateway.admit(owner(alice)).unwrap();
        let mut b = gateway.admit(owner(bob)).unwrap();
        gateway.dispatch(&updated(alice));
        let frame: serde_json::Value = serde_json::from_str(&a.frames.try_recv().unwrap()).unwrap();
        assert_eq!(frame["type"], "entity:updated");
        assert!(b.frames.try_recv().is_err(), "another user's socket gets nothing");
        for _ in 0..3 {
            gateway.dispatch(&updated(alice));
        }
        assert_eq!(*a.control.borrow_and_update(), Some(CloseCode::PolicyViolation));
        assert_eq!(*b.control.borrow_and_update(), None);
    }
}
