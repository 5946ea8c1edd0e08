//! The job workers' wiring: one runner per job queue — the main database's, and the shared
//! database's when instances live there — with the handlers of the jobs that queue holds, and
//! the retention schedule of each. The loops themselves are `identity-worker`'s.

use std::sync::Arc;

use identity_core::ports::{Clock, IdGenerator, InstanceProvisioner, JobQueue, Notifier, Retention, SecretBox};
use identity_core::usecases::{
    Immediate, InstanceService, JobHandler, JobRunner, MailHandler, ProvisionHandler, RetentionHandler,
    RetentionSchedule, RunnerSettings,
};

use crate::config::JobsConfig;

/// One job queue and what runs its jobs.
pub struct QueueWiring {
    /// `main`, or `shared` for the shared database's queue (the `queue` label of the metrics).
    pub label: &'static str,
    pub queue: Arc<dyn JobQueue>,
    pub runner: JobRunner,
    pub schedule: RetentionSchedule,
}

/// One store's queue and retention.
pub struct StoreJobs {
    pub queue: Arc<dyn JobQueue>,
    pub retention: Arc<dyn Retention>,
}

/// What the handlers need beyond the queues.
pub struct JobParts {
    pub notifier: Arc<dyn Notifier>,
    pub secret_box: Arc<dyn SecretBox>,
    pub instances: InstanceService,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

/// This process's name as a lease holder: host, process id and a random suffix, so two
/// processes never share one even on one host.
fn worker_name() -> String {
    // The host name as the kernel has it (a pod's name on Kubernetes).
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .unwrap_or_else(|| "identity".into());
    // A UUIDv7 ends in random bits.
    let id = uuid::Uuid::now_v7().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &id[24..])
}

/// The runners and schedules of every queue: mail and retention on the main queue;
/// provisioning on the queue of the database the instances live in (the main one, or the
/// shared one with a retention of its own).
pub fn wire(
    config: &JobsConfig,
    parts: JobParts,
    main: StoreJobs,
    shared: Option<StoreJobs>,
) -> anyhow::Result<Vec<QueueWiring>> {
    let provisioner: Arc<dyn InstanceProvisioner> = match &config.provisioner_url {
        Some(url) => {
            let auth = config.provisioner_auth.as_ref().map(|s| secrecy::ExposeSecret::expose_secret(s).to_owned());
            Arc::new(crate::provisioner::HttpProvisioner::new(url, auth)?)
        }
        None => Arc::new(Immediate),
    };
    let provision: Arc<dyn JobHandler> = Arc::new(ProvisionHandler { instances: parts.instances.clone(), provisioner });
    let settings = RunnerSettings { worker: worker_name(), lease: config.lease, backoff: config.backoff };
    let retention = |retention: Arc<dyn Retention>| -> Arc<dyn JobHandler> {
        Arc::new(RetentionHandler { retention, clock: parts.clock.clone(), keep_history: config.keep_history })
    };
    let queue_wiring = |label: &'static str, store: StoreJobs, mut handlers: Vec<Arc<dyn JobHandler>>| {
        handlers.push(retention(store.retention));
        QueueWiring {
            label,
            queue: store.queue.clone(),
            runner: JobRunner::new(store.queue.clone(), parts.clock.clone(), handlers, settings.clone()),
            schedule: RetentionSchedule {
                queue: store.queue,
                clock: parts.clock.clone(),
                ids: parts.ids.clone(),
                interval: config.retention_interval,
                max_attempts: config.max_attempts,
            },
        }
    };
    let mail: Arc<dyn JobHandler> =
        Arc::new(MailHandler { notifier: parts.notifier.clone(), secret_box: parts.secret_box.clone() });
    Ok(match shared {
        Some(shared) => vec![queue_wiring("main", main, vec![mail]), queue_wiring("shared", shared, vec![provision])],
        None => vec![queue_wiring("main", main, vec![mail, provision])],
    })
}
