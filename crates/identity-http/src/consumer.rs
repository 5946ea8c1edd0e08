//! Other services' `instance.updated` events (a provisioner moving an instance to `ready`):
//! each CloudEvents message is read here and applied once by core
//! (`InstanceService::apply_external`: deduplicated by message id, stale versions ignored,
//! re-emitted for the user). Messages this service published itself are ignored.

use std::sync::Arc;

use async_trait::async_trait;
use identity_amqp::{Message, MessageHandler};
use identity_core::usecases::{ExternalInstanceUpdate, InstanceService};
use serde::Deserialize;
use uuid::Uuid;

/// The CloudEvents envelope of an `instance.updated` another service published.
#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    source: String,
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    instance_id: Uuid,
    version: i64,
    state: Option<String>,
    name: Option<String>,
    config: Option<serde_json::Value>,
}

pub struct InstanceUpdates {
    pub instances: InstanceService,
    /// This service's own `EVENT_SOURCE`: its own events are not applied again.
    pub own_source: String,
}

#[async_trait]
impl MessageHandler for InstanceUpdates {
    async fn handle(&self, message: &Message) -> Result<&'static str, String> {
        let envelope: Envelope =
            serde_json::from_slice(&message.body).map_err(|e| format!("not an instance.updated CloudEvent: {e}"))?;
        if envelope.source == self.own_source || envelope.event_type != "instance.updated" {
            return Ok("ignored");
        }
        let id = message.message_id.as_deref().unwrap_or(&envelope.id);
        let message_id = Uuid::try_parse(id).map_err(|_| format!("the message id {id:?} is not a UUID"))?;
        let update = ExternalInstanceUpdate {
            message_id,
            instance_id: envelope.data.instance_id,
            version: envelope.data.version,
            state: envelope.data.state,
            name: envelope.data.name,
            config: envelope.data.config,
        };
        let outcome = self.instances.apply_external(update).await.map_err(|e| e.to_string())?;
        Ok(outcome.as_str())
    }
}

impl InstanceUpdates {
    pub fn handler(instances: InstanceService, own_source: String) -> Arc<dyn MessageHandler> {
        Arc::new(Self { instances, own_source })
    }
}
