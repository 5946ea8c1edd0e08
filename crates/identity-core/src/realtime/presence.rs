//! Presence: which of a user's devices were active lately. A socket's `presence:active`
//! heartbeats keep its device present for `presence_ttl` (`WS_PRESENCE_TTL_SECONDS`) in the
//! code store, touch its session's last-seen time, and, when the device becomes active, record
//! a `presence.updated` event that every replica's gateway pushes to the user's other sockets
//! (`presence:updated`).
//!
//! The code store cannot list keys: a user's presence is one key holding every device seen
//! within the TTL (device → last heartbeat), read, changed and written back. Two devices
//! beating at the same instant may lose one of the two writes until that device's next
//! heartbeat: presence is a hint, not a record.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::SocketGrant;
use super::service::RealtimeService;
use crate::domain::{DeviceId, EventType, PresenceUpdatedData, UserId};
use crate::usecases::CoreError;

/// Heartbeats of one socket closer together than this are ignored.
pub const HEARTBEAT_MIN_INTERVAL: Duration = Duration::from_secs(10);

/// A socket's heartbeats write its session's last-seen time at most this often.
pub const SESSION_TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// One device of a user seen within the presence TTL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePresence {
    pub device_id: DeviceId,
    pub device_name: Option<String>,
    /// Its latest heartbeat.
    pub last_active_at: DateTime<Utc>,
}

/// A user's presence: the devices seen within the TTL, the most recently active first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Presence {
    pub devices: Vec<DevicePresence>,
}

impl Presence {
    /// Whether any device of the user was active within the TTL.
    pub fn online(&self) -> bool {
        !self.devices.is_empty()
    }

    /// The latest heartbeat of any device within the TTL.
    pub fn last_active_at(&self) -> Option<DateTime<Utc>> {
        self.devices.iter().map(|d| d.last_active_at).max()
    }
}

/// One socket's heartbeat state, kept by the socket: when it last counted a heartbeat and
/// touched its session, and its session's device (looked up once).
#[derive(Debug, Default)]
pub struct Heartbeats {
    last: Option<DateTime<Utc>>,
    touched: Option<DateTime<Utc>>,
    device: Option<Option<(DeviceId, Option<String>)>>,
}

/// What the code store holds for one device.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Seen {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    at: DateTime<Utc>,
}

impl RealtimeService {
    /// A `presence:active` heartbeat from a socket of `grant`. Ignored when the socket's last
    /// one counted less than [`HEARTBEAT_MIN_INTERVAL`] ago; else the session's last-seen time
    /// is written (at most every [`SESSION_TOUCH_INTERVAL`]) and the session's device is
    /// present for the TTL. When the device was not present before, a `presence.updated`
    /// event is recorded: every replica's gateway pushes it to the user's sockets there
    /// (`presence:updated`), but those of the heartbeat's own session.
    pub async fn heartbeat(&self, grant: &SocketGrant, beats: &mut Heartbeats) -> Result<(), CoreError> {
        let now = self.ctx.now();
        let since = |at: Option<DateTime<Utc>>| at.map(|at| (now - at).to_std().unwrap_or_default());
        if since(beats.last).is_some_and(|elapsed| elapsed < HEARTBEAT_MIN_INTERVAL) {
            return Ok(());
        }
        beats.last = Some(now);
        let owner = grant.owner;
        let touch = since(beats.touched).is_none_or(|elapsed| elapsed >= SESSION_TOUCH_INTERVAL);
        if beats.device.is_none() {
            let session = self.sessions.sessions.find_session(owner.session_id).await?;
            let device = match session.and_then(|s| s.device_id) {
                Some(id) => {
                    let name = self.sessions.sessions.find_device(id).await?.and_then(|d| d.name);
                    Some((id, name))
                }
                None => None,
            };
            beats.device = Some(device);
        }
        // A session without a device (none is opened so today) has no presence to keep.
        let event = match beats.device.clone() {
            Some(Some((device_id, device_name))) => {
                let key = presence_key(owner.user_id);
                let mut seen = self.seen(&key, now).await?;
                let became_active = !seen.contains_key(&device_id.as_uuid());
                seen.insert(device_id.as_uuid(), Seen { name: device_name.clone(), at: now });
                let value = serde_json::to_string(&seen).map_err(|e| CoreError::Internal(e.into()))?;
                self.codes.put(&key, &value, self.presence_ttl()).await?;
                became_active.then(|| {
                    let data = PresenceUpdatedData {
                        user_id: owner.user_id.as_uuid(),
                        session_id: owner.session_id.as_uuid(),
                        device_id: device_id.as_uuid(),
                        device_name: device_name.as_deref(),
                        status: "active",
                        last_active_at: now,
                    };
                    let user = owner.user_id.as_uuid();
                    self.ctx.event_about(EventType::PresenceUpdated, user, Some(user), &data)
                })
            }
            _ => None,
        };
        if touch || event.is_some() {
            let mut tx = self.sessions.uow.begin().await?;
            if touch {
                tx.sessions().touch_session(owner.session_id, now).await?;
            }
            if let Some(event) = &event {
                tx.journal().record_events(std::slice::from_ref(event)).await?;
            }
            tx.commit().await?;
            if touch {
                beats.touched = Some(now);
            }
        }
        Ok(())
    }

    /// The user's devices seen within the TTL (one code store read). For the user's own
    /// `GET /v1/users/me/presence`, and for the admin user view once the caller is known to
    /// be an admin.
    pub async fn presence(&self, user: UserId) -> Result<Presence, CoreError> {
        let seen = self.seen(&presence_key(user), self.ctx.now()).await?;
        let mut devices: Vec<DevicePresence> = seen
            .into_iter()
            .map(|(id, seen)| DevicePresence {
                device_id: DeviceId::from_uuid(id),
                device_name: seen.name,
                last_active_at: seen.at,
            })
            .collect();
        devices.sort_by_key(|d| std::cmp::Reverse(d.last_active_at));
        Ok(Presence { devices })
    }

    fn presence_ttl(&self) -> Duration {
        self.ctx.settings.presence_ttl.to_std().unwrap_or(Duration::from_secs(60)).max(Duration::from_secs(1))
    }

    /// The devices the key holds that were seen within the TTL at `now` (an unreadable value
    /// counts as none: presence is rebuilt by the next heartbeats).
    async fn seen(&self, key: &str, now: DateTime<Utc>) -> Result<BTreeMap<Uuid, Seen>, CoreError> {
        let Some(value) = self.codes.get(key).await? else { return Ok(BTreeMap::new()) };
        let mut seen: BTreeMap<Uuid, Seen> = serde_json::from_str(&value).unwrap_or_default();
        let ttl = self.ctx.settings.presence_ttl;
        seen.retain(|_, device| device.at + ttl > now);
        Ok(seen)
    }
}

fn presence_key(user: UserId) -> String {
    format!("presence:{}", user.as_uuid().simple())
}
