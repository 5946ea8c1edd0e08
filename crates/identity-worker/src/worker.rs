//! The worker: claims due jobs up to its free slots, runs each on a task of its own while a
//! heartbeat extends its lease, and at shutdown lets running jobs finish for a grace period,
//! then aborts the rest and hands them back so another replica runs them at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use identity_core::domain::{Job, JobId, JobKind};
use identity_core::usecases::{JobRunner, RunOutcome};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::{self, JoinError, JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::{DURATION, ERRORS, RUNS, is_stopped, stopped};

/// Longest wait after store errors (the wait doubles from the poll interval up to this).
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Shortest heartbeat, whatever the lease.
const MIN_HEARTBEAT: Duration = Duration::from_millis(10);

/// How a worker paces its jobs.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Jobs run at once (at least one): what one replica may take on.
    pub concurrency: usize,
    /// How long the worker waits before claiming again when nothing more was due.
    pub poll_interval: Duration,
    /// At shutdown, how long running jobs may go on before they are aborted and handed back.
    pub shutdown_grace: Duration,
}

/// Starts a worker claiming and running `runner`'s jobs until `stop` turns true; then it claims
/// nothing more, lets running jobs finish for up to `shutdown_grace`, aborts the rest and
/// hands them back (due again at once, their attempt given back). The task ends when all that
/// is done. Store errors are logged and backed off from; the loop never ends on one.
pub fn spawn_worker(runner: JobRunner, settings: WorkerSettings, stop: watch::Receiver<bool>) -> JoinHandle<()> {
    let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let worker = Worker { runner, settings, slots, running: JoinSet::new(), jobs: HashMap::new() };
    tokio::spawn(worker.run(stop))
}

struct Worker {
    runner: JobRunner,
    settings: WorkerSettings,
    /// One permit per job that may run at once; each running task holds one.
    slots: Arc<Semaphore>,
    running: JoinSet<()>,
    /// The job each running task runs: what is handed back when the task is aborted.
    jobs: HashMap<task::Id, (JobId, JobKind)>,
}

impl Worker {
    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let kinds: Vec<&str> = self.runner.kinds().iter().map(|kind| kind.as_str()).collect();
        tracing::info!(
            worker = %self.runner.settings().worker,
            ?kinds,
            concurrency = self.slots.available_permits(),
            "job worker started"
        );
        let poll = self.settings.poll_interval;
        let mut backoff = poll;
        while !is_stopped(&stop) {
            while let Some(done) = self.running.try_join_next_with_id() {
                self.reaped(done);
            }
            let healthy = self.claim().await;
            let wait = if healthy {
                backoff = poll;
                poll
            } else {
                let wait = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF.max(poll));
                wait
            };
            // A job that ends frees a slot: claim again at once (unless backing off).
            tokio::select! {
                biased;
                () = stopped(&mut stop) => break,
                Some(done) = self.running.join_next_with_id(), if healthy && !self.running.is_empty() => {
                    self.reaped(done);
                }
                () = tokio::time::sleep(wait) => {}
            }
        }
        self.shut_down().await;
    }

    /// Claims up to the free slots and starts each job; `false` on a store error.
    async fn claim(&mut self) -> bool {
        let free = self.slots.available_permits();
        if free == 0 {
            return true;
        }
        match self.runner.claim(free).await {
            Ok(jobs) => {
                for job in jobs {
                    self.start(job).await;
                }
                true
            }
            Err(error) => {
                metrics::counter!(ERRORS, "op" => "claim").increment(1);
                tracing::warn!(%error, "claiming jobs failed; backing off");
                false
            }
        }
    }

    async fn start(&mut self, job: Job) {
        let (id, kind) = (job.id, job.kind);
        match self.slots.clone().try_acquire_owned() {
            Ok(slot) => {
                let handle = self.running.spawn(run_job(self.runner.clone(), job, slot));
                self.jobs.insert(handle.id(), (id, kind));
            }
            // Only this loop takes slots, and it claims no more than are free: should the
            // bound be reached anyway, the job goes back rather than exceed it.
            Err(_) => self.release(id, kind).await,
        }
    }

    /// Forgets a task that ended. An aborted task's job stays listed: `shut_down` hands it back.
    fn reaped(&mut self, done: Result<(task::Id, ()), JoinError>) {
        match done {
            Ok((id, ())) => {
                self.jobs.remove(&id);
            }
            Err(error) if error.is_panic() => {
                if let Some((job, kind)) = self.jobs.remove(&error.id()) {
                    metrics::counter!(RUNS, "kind" => kind.as_str(), "outcome" => "panicked").increment(1);
                    tracing::error!(
                        job_id = %job,
                        kind = kind.as_str(),
                        "a job's run panicked; it runs again once its lease expires"
                    );
                }
            }
            Err(_) => {}
        }
    }

    /// Claims nothing more; lets running jobs finish for up to the grace, then aborts and
    /// hands back the rest.
    async fn shut_down(mut self) {
        if !self.running.is_empty() {
            tracing::info!(
                running = self.running.len(),
                grace_ms = self.settings.shutdown_grace.as_millis() as u64,
                "job worker stopping: waiting for running jobs"
            );
        }
        let grace = tokio::time::sleep(self.settings.shutdown_grace);
        tokio::pin!(grace);
        loop {
            tokio::select! {
                biased;
                done = self.running.join_next_with_id() => match done {
                    Some(done) => self.reaped(done),
                    None => break,
                },
                () = &mut grace => break,
            }
        }
        self.running.abort_all();
        while let Some(done) = self.running.join_next_with_id().await {
            self.reaped(done);
        }
        let aborted: Vec<(JobId, JobKind)> = self.jobs.drain().map(|(_, job)| job).collect();
        for (id, kind) in aborted {
            self.release(id, kind).await;
        }
        tracing::info!(worker = %self.runner.settings().worker, "job worker stopped");
    }

    async fn release(&self, id: JobId, kind: JobKind) {
        match self.runner.release(id).await {
            Ok(true) => {
                metrics::counter!(RUNS, "kind" => kind.as_str(), "outcome" => "released").increment(1);
                tracing::info!(job_id = %id, kind = kind.as_str(), "job handed back: due again at once");
            }
            // Its run was recorded just before the abort, or its lease was lost already.
            Ok(false) => tracing::debug!(job_id = %id, kind = kind.as_str(), "job not handed back: no longer ours"),
            Err(error) => {
                metrics::counter!(ERRORS, "op" => "release").increment(1);
                tracing::warn!(
                    job_id = %id,
                    kind = kind.as_str(),
                    %error,
                    "handing a job back failed; it runs again once its lease expires"
                );
            }
        }
    }
}

/// Runs one claimed job while its lease is extended, and records what became of it. The
/// slot is held until the run ends.
async fn run_job(runner: JobRunner, job: Job, _slot: OwnedSemaphorePermit) {
    let kind = job.kind.as_str();
    let started = Instant::now();
    let run = runner.run(&job);
    tokio::pin!(run);
    // A lost lease ends the heartbeat, not the run: its result is dropped when it is recorded.
    let result = tokio::select! {
        biased;
        result = &mut run => result,
        () = heartbeat(&runner, &job) => run.await,
    };
    metrics::histogram!(DURATION, "kind" => kind).record(started.elapsed().as_secs_f64());
    match result {
        Ok(outcome) => {
            metrics::counter!(RUNS, "kind" => kind, "outcome" => outcome.as_str()).increment(1);
            match outcome {
                RunOutcome::Dead => log_dead(&runner, &job).await,
                RunOutcome::LeaseLost => tracing::info!(
                    job_id = %job.id,
                    kind,
                    "a job's run ended after its lease was lost: its result is dropped"
                ),
                RunOutcome::Succeeded | RunOutcome::Retrying => {
                    tracing::debug!(job_id = %job.id, kind, outcome = outcome.as_str(), "job ran");
                }
            }
        }
        Err(error) => {
            metrics::counter!(ERRORS, "op" => "settle").increment(1);
            tracing::warn!(
                job_id = %job.id,
                kind,
                %error,
                "recording a job's run failed; it runs again once its lease expires"
            );
        }
    }
}

/// Extends the job's lease every third of it; resolves when the lease is lost (another worker
/// took the job over). A store error is retried at the next beat: the lease may still hold.
async fn heartbeat(runner: &JobRunner, job: &Job) {
    let period = (runner.settings().lease / 3).to_std().unwrap_or_default().max(MIN_HEARTBEAT);
    loop {
        tokio::time::sleep(period).await;
        match runner.extend(job.id).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(
                    job_id = %job.id,
                    kind = job.kind.as_str(),
                    "a running job's lease was lost (another worker took it over); its result will be dropped"
                );
                return;
            }
            Err(error) => {
                metrics::counter!(ERRORS, "op" => "extend").increment(1);
                tracing::warn!(job_id = %job.id, kind = job.kind.as_str(), %error, "extending a job's lease failed");
            }
        }
    }
}

/// Logs a job that ended dead with its last error (read back: the run's error is the
/// runner's).
async fn log_dead(runner: &JobRunner, job: &Job) {
    let last_error = match runner.queue().find_job(job.id).await {
        Ok(Some(found)) => found.last_error,
        Ok(None) | Err(_) => None,
    };
    tracing::warn!(
        job_id = %job.id,
        kind = job.kind.as_str(),
        attempts = job.attempts,
        max_attempts = job.max_attempts,
        last_error = last_error.as_deref().unwrap_or_default(),
        "job is dead: it runs no more unless an admin retries it"
    );
}
