//! The worker, the retention schedule and the queue gauges on the memory queue, with real
//! tasks on paused tokio time (sleeps, polls, heartbeats and graces pass at once, in order).
//! Series are read back from a capturing recorder; each test owns the job kind whose series
//! it checks, since the recorder is the process's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeDelta, Utc};
use identity_core::domain::{Backoff, Job, JobFilter, JobId, JobKind, JobState, NewJob, QueueDepth, Transition};
use identity_core::ports::{Clock, IdGenerator, JobQueue, RepoError, Transitioned};
use identity_core::testkit::time::ManualClock;
use identity_core::usecases::{JobError, JobHandler, JobRunner, RetentionSchedule, RunnerSettings};
use identity_memory::MemoryStore;
use metrics::{Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, SharedString, Unit};
use serde_json::{Value, json};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

use identity_worker::{OLDEST, WorkerSettings, gauge_values, record_depth, spawn_schedule, spawn_worker};

// --- what the tests run on -------------------------------------------------------------------

/// The service's clock following tokio's (paused) time, so backoffs and leases pass with it;
/// `shift` moves it further.
#[derive(Clone)]
struct TokioClock {
    start: tokio::time::Instant,
    base: DateTime<Utc>,
    shifted: Arc<Mutex<TimeDelta>>,
}

impl TokioClock {
    fn new() -> Self {
        Self { start: tokio::time::Instant::now(), base: ManualClock::default().now(), shifted: Arc::default() }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = TimeDelta::from_std(self.start.elapsed()).unwrap();
        self.base + elapsed + *self.shifted.lock().unwrap()
    }
}

struct Ids;

impl IdGenerator for Ids {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// Every series recorded, by name and sorted labels (`name{k=v,…}`); a histogram by its count.
#[derive(Default)]
struct Captured(Mutex<HashMap<String, f64>>);

impl Captured {
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let key = render(name, labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect());
        self.0.lock().unwrap().get(&key).copied().unwrap_or(0.0)
    }
}

fn render(name: &str, mut labels: Vec<(String, String)>) -> String {
    labels.sort();
    let labels: Vec<String> = labels.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{name}{{{}}}", labels.join(","))
}

struct Series(Arc<Captured>, String);

impl Series {
    fn update(&self, change: impl FnOnce(&mut f64)) {
        change(self.0.0.lock().unwrap().entry(self.1.clone()).or_default());
    }
}

impl CounterFn for Series {
    fn increment(&self, value: u64) {
        self.update(|v| *v += value as f64);
    }
    fn absolute(&self, value: u64) {
        self.update(|v| *v = value as f64);
    }
}

impl GaugeFn for Series {
    fn increment(&self, value: f64) {
        self.update(|v| *v += value);
    }
    fn decrement(&self, value: f64) {
        self.update(|v| *v -= value);
    }
    fn set(&self, value: f64) {
        self.update(|v| *v = value);
    }
}

impl HistogramFn for Series {
    fn record(&self, _value: f64) {
        self.update(|v| *v += 1.0);
    }
}

struct Recorder(Arc<Captured>);

impl Recorder {
    fn series(&self, key: &Key) -> Arc<Series> {
        let labels = key.labels().map(|l| (l.key().to_owned(), l.value().to_owned())).collect();
        Arc::new(Series(self.0.clone(), render(key.name(), labels)))
    }
}

impl metrics::Recorder for Recorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.series(key))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.series(key))
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.series(key))
    }
}

/// The process's capturing recorder, installed on first use.
fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Arc<Captured>> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Arc::new(Captured::default());
        metrics::set_global_recorder(Recorder(captured.clone())).unwrap();
        captured
    })
}

/// A handler of `kind` doing what `run` says, counting runs and `gave_up` calls.
struct TestHandler {
    kind: JobKind,
    run: RunFn,
    runs: AtomicUsize,
    gave_up: AtomicUsize,
}

type RunFn = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Result<Option<Value>, JobError>> + Send>> + Send + Sync>;

fn handler<Fut>(kind: JobKind, run: impl Fn() -> Fut + Send + Sync + 'static) -> Arc<TestHandler>
where
    Fut: Future<Output = Result<Option<Value>, JobError>> + Send + 'static,
{
    let run: RunFn = Box::new(move || Box::pin(run()));
    Arc::new(TestHandler { kind, run, runs: AtomicUsize::new(0), gave_up: AtomicUsize::new(0) })
}

#[async_trait]
impl JobHandler for TestHandler {
    fn kind(&self) -> JobKind {
        self.kind
    }
    async fn run(&self, _job: &Job) -> Result<Option<Value>, JobError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        (self.run)().await
    }
    async fn gave_up(&self, _job: &Job) -> Result<(), identity_core::usecases::CoreError> {
        self.gave_up.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn runner(store: &Arc<MemoryStore>, clock: Arc<dyn Clock>, handler: Arc<dyn JobHandler>, worker: &str) -> JobRunner {
    let settings = RunnerSettings {
        worker: worker.into(),
        lease: Duration::seconds(30),
        backoff: Backoff { base: Duration::milliseconds(10), max: Duration::milliseconds(50) },
    };
    JobRunner::new(store.clone(), clock, vec![handler], settings)
}

fn settings(concurrency: usize, shutdown_grace: StdDuration) -> WorkerSettings {
    WorkerSettings { concurrency, poll_interval: StdDuration::from_millis(20), shutdown_grace }
}

async fn enqueue(store: &MemoryStore, kind: JobKind, max_attempts: i32, now: DateTime<Utc>) -> JobId {
    let id = JobId::from_uuid(Uuid::now_v7());
    assert!(JobQueue::enqueue(store, &NewJob::new(id, kind, Value::Null, max_attempts, now)).await.unwrap());
    id
}

async fn job(store: &MemoryStore, id: JobId) -> Job {
    store.find_job(id).await.unwrap().unwrap()
}

/// Waits (in tokio time) until every job in `ids` is in `state`.
async fn until_all(store: &MemoryStore, ids: &[JobId], state: JobState) {
    let wait = async {
        loop {
            let mut all = true;
            for id in ids {
                all &= job(store, *id).await.state == state;
            }
            if all {
                return;
            }
            tokio::time::sleep(StdDuration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(StdDuration::from_secs(60), wait).await.expect("the jobs reach the state");
}

async fn stop(sender: &watch::Sender<bool>, worker: JoinHandle<()>) {
    sender.send(true).unwrap();
    tokio::time::timeout(StdDuration::from_secs(120), worker).await.expect("the worker stops").unwrap();
}

// --- the worker ------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn concurrency_is_bounded_and_every_job_runs() {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(TokioClock::new());
    let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (r, m) = (running.clone(), most.clone());
    let slow = handler(JobKind::Mail, move || {
        let (running, most) = (r.clone(), m.clone());
        async move {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(StdDuration::from_millis(50)).await;
            running.fetch_sub(1, Ordering::SeqCst);
            Ok(None)
        }
    });
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(enqueue(&store, JobKind::Mail, 3, clock.now()).await);
    }
    let (sender, receiver) = watch::channel(false);
    let worker = spawn_worker(
        runner(&store, clock.clone(), slow.clone(), "a"),
        settings(2, StdDuration::from_secs(1)),
        receiver,
    );

    until_all(&store, &ids, JobState::Succeeded).await;
    stop(&sender, worker).await;
    assert_eq!(most.load(Ordering::SeqCst), 2, "two at once, never more");
    assert_eq!(slow.runs.load(Ordering::SeqCst), 6);
    for id in ids {
        assert_eq!(job(&store, id).await.attempts, 1);
    }
}

#[tokio::test(start_paused = true)]
async fn a_failing_job_backs_off_and_ends_dead_after_its_attempts() {
    let captured = captured();
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(TokioClock::new());
    let failing = handler(JobKind::Retention, || async { Err(JobError::Retry("smtp down".into())) });
    let id = enqueue(&store, JobKind::Retention, 3, clock.now()).await;
    let (sender, receiver) = watch::channel(false);
    let worker = spawn_worker(
        runner(&store, clock.clone(), failing.clone(), "a"),
        settings(2, StdDuration::from_secs(1)),
        receiver,
    );

    until_all(&store, &[id], JobState::Dead).await;
    stop(&sender, worker).await;
    let dead = job(&store, id).await;
    assert_eq!((dead.attempts, dead.last_error.as_deref()), (3, Some("smtp down")));
    assert!(dead.finished_at.unwrap() > dead.created_at, "it backed off between runs");
    assert_eq!(failing.runs.load(Ordering::SeqCst), 3);
    assert_eq!(failing.gave_up.load(Ordering::SeqCst), 1);
    let runs = |outcome| captured.get("identity_job_runs_total", &[("kind", "retention"), ("outcome", outcome)]);
    assert_eq!((runs("retrying"), runs("dead")), (2.0, 1.0));
    assert_eq!(captured.get("identity_job_duration_seconds", &[("kind", "retention")]), 3.0);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_job_is_handed_back_at_shutdown_and_runs_on_another_worker() {
    let captured = captured();
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(TokioClock::new());
    let started = Arc::new(Notify::new());
    let s = started.clone();
    let hanging = handler(JobKind::Mail, move || {
        let started = s.clone();
        async move {
            started.notify_one();
            std::future::pending().await
        }
    });
    let id = enqueue(&store, JobKind::Mail, 3, clock.now()).await;
    let (sender, receiver) = watch::channel(false);
    let worker = spawn_worker(
        runner(&store, clock.clone(), hanging.clone(), "a"),
        settings(2, StdDuration::from_millis(50)),
        receiver,
    );
    started.notified().await;
    assert_eq!(job(&store, id).await.state, JobState::Running);

    stop(&sender, worker).await;
    let released = job(&store, id).await;
    assert_eq!((released.state, released.attempts, released.locked_by), (JobState::Queued, 0, None));
    assert_eq!(captured.get("identity_job_runs_total", &[("kind", "mail"), ("outcome", "released")]), 1.0);

    let quick = handler(JobKind::Mail, || async { Ok(Some(json!("sent"))) });
    let (sender, receiver) = watch::channel(false);
    let worker = spawn_worker(
        runner(&store, clock.clone(), quick.clone(), "b"),
        settings(2, StdDuration::from_secs(1)),
        receiver,
    );
    until_all(&store, &[id], JobState::Succeeded).await;
    stop(&sender, worker).await;
    let done = job(&store, id).await;
    assert_eq!((done.attempts, done.result), (1, Some(json!("sent"))));
    assert_eq!(hanging.runs.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_run_whose_lease_was_taken_over_has_its_result_dropped() {
    let captured = captured();
    let store = Arc::new(MemoryStore::new());
    let clock = ManualClock::default();
    let (started, finish) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let (s, f) = (started.clone(), finish.clone());
    let slow = handler(JobKind::ProvisionInstance, move || {
        let (started, finish) = (s.clone(), f.clone());
        async move {
            started.notify_one();
            finish.notified().await;
            Ok(Some(json!("a")))
        }
    });
    let id = enqueue(&store, JobKind::ProvisionInstance, 3, clock.now()).await;
    let (sender, receiver) = watch::channel(false);
    let worker = spawn_worker(
        runner(&store, Arc::new(clock.clone()), slow, "a"),
        settings(1, StdDuration::from_secs(60)),
        receiver,
    );
    started.notified().await;

    // Worker a's lease runs out (its process looked dead) and worker b takes the job over.
    clock.shift(Duration::seconds(31));
    let quick = handler(JobKind::ProvisionInstance, || async { Ok(Some(json!("b"))) });
    let other = runner(&store, Arc::new(clock.clone()), quick, "b");
    let taken = other.claim(1).await.unwrap();
    assert_eq!(taken.len(), 1);
    // a's heartbeat beats (every third of the lease) and finds the lease lost.
    tokio::time::sleep(StdDuration::from_secs(11)).await;
    assert_eq!(job(&store, id).await.locked_by.as_deref(), Some("b"));
    other.run(&taken[0]).await.unwrap();

    finish.notify_one();
    stop(&sender, worker).await;
    let done = job(&store, id).await;
    assert_eq!((done.state, done.attempts, done.result), (JobState::Succeeded, 2, Some(json!("b"))));
    let runs =
        |outcome| captured.get("identity_job_runs_total", &[("kind", "provision_instance"), ("outcome", outcome)]);
    assert_eq!((runs("lease_lost"), runs("succeeded")), (1.0, 0.0));
}

#[tokio::test(start_paused = true)]
async fn the_heartbeat_keeps_a_long_run_s_lease() {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(TokioClock::new());
    let long = handler(JobKind::Mail, || async {
        tokio::time::sleep(StdDuration::from_secs(100)).await;
        Ok(None)
    });
    let id = enqueue(&store, JobKind::Mail, 3, clock.now()).await;
    let (sender, receiver) = watch::channel(false);
    let worker = spawn_worker(
        runner(&store, clock.clone(), long.clone(), "a"),
        settings(1, StdDuration::from_secs(1)),
        receiver,
    );
    let other = runner(&store, clock.clone(), handler(JobKind::Mail, || async { Ok(None) }), "b");
    for _ in 0..4 {
        // 20 s apart, on a 30 s lease: an unextended lease would have run out by the second.
        tokio::time::sleep(StdDuration::from_secs(20)).await;
        assert!(other.claim(1).await.unwrap().is_empty());
    }
    until_all(&store, &[id], JobState::Succeeded).await;
    stop(&sender, worker).await;
    assert_eq!((job(&store, id).await.attempts, long.runs.load(Ordering::SeqCst)), (1, 1));
}

/// The memory queue, whose first `failures` claims fail.
struct FlakyQueue {
    store: MemoryStore,
    failures: AtomicUsize,
}

#[async_trait]
impl JobQueue for FlakyQueue {
    async fn enqueue(&self, job: &NewJob) -> Result<bool, RepoError> {
        JobQueue::enqueue(&self.store, job).await
    }
    async fn claim(
        &self,
        kinds: &[JobKind],
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Job>, RepoError> {
        if self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1)).is_ok() {
            return Err(RepoError::Unavailable(std::io::Error::other("the database is restarting").into()));
        }
        self.store.claim(kinds, worker, now, lease, limit).await
    }
    async fn transition(
        &self,
        id: JobId,
        transition: &Transition,
        now: DateTime<Utc>,
    ) -> Result<Transitioned, RepoError> {
        self.store.transition(id, transition, now).await
    }
    async fn find_job(&self, id: JobId) -> Result<Option<Job>, RepoError> {
        self.store.find_job(id).await
    }
    async fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<Job>, RepoError> {
        self.store.list_jobs(filter).await
    }
    async fn depth(&self) -> Result<Vec<QueueDepth>, RepoError> {
        self.store.depth().await
    }
}

#[tokio::test(start_paused = true)]
async fn store_errors_are_backed_off_from_and_the_worker_goes_on() {
    let captured = captured();
    let before = captured.get("identity_job_errors_total", &[("op", "claim")]);
    let queue = Arc::new(FlakyQueue { store: MemoryStore::new(), failures: AtomicUsize::new(3) });
    let clock = Arc::new(TokioClock::new());
    let id = enqueue(&queue.store, JobKind::Mail, 3, clock.now()).await;
    let settings_ = RunnerSettings { worker: "a".into(), lease: Duration::seconds(30), backoff: Backoff::default() };
    let quick: Arc<dyn JobHandler> = handler(JobKind::Mail, || async { Ok(None) });
    let runner = JobRunner::new(queue.clone(), clock.clone(), vec![quick], settings_);
    let (sender, receiver) = watch::channel(false);
    let started = tokio::time::Instant::now();
    let worker = spawn_worker(runner, settings(1, StdDuration::from_secs(1)), receiver);
    until_all(&queue.store, &[id], JobState::Succeeded).await;
    // Waits of 20, 40 and 80 ms (doubling from the poll interval) before the fourth claim.
    assert!(started.elapsed() >= StdDuration::from_millis(140), "{:?}", started.elapsed());
    stop(&sender, worker).await;
    assert!(captured.get("identity_job_errors_total", &[("op", "claim")]) - before >= 3.0);
}

// --- the retention schedule ------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn every_replica_schedules_retention_and_the_queue_keeps_one_per_interval() {
    let store = Arc::new(MemoryStore::new());
    let schedule = RetentionSchedule {
        queue: store.clone(),
        clock: Arc::new(TokioClock::new()),
        ids: Arc::new(Ids),
        interval: Duration::hours(1),
        max_attempts: 3,
    };
    let (sender, receiver) = watch::channel(false);
    let replicas = [
        spawn_schedule(schedule.clone(), StdDuration::from_secs(60), receiver.clone()),
        spawn_schedule(schedule, StdDuration::from_secs(60), receiver),
    ];
    tokio::time::sleep(StdDuration::from_secs(150)).await;
    sender.send(true).unwrap();
    for replica in replicas {
        replica.await.unwrap();
    }
    let depths = store.depth().await.unwrap();
    assert_eq!(depths.len(), 1, "{depths:?}");
    assert_eq!((depths[0].kind, depths[0].state, depths[0].count), (JobKind::Retention, JobState::Queued, 1));
}

// --- the gauges ------------------------------------------------------------------------------

#[tokio::test]
async fn the_gauges_count_every_kind_and_state_and_fall_back_to_zero() {
    let captured = captured();
    let store = Arc::new(MemoryStore::new());
    let clock = ManualClock::default();
    for _ in 0..3 {
        enqueue(&store, JobKind::Mail, 3, clock.now()).await;
    }
    clock.shift(Duration::seconds(90));
    record_depth("main", &store.depth().await.unwrap(), clock.now());
    let jobs = |kind, state| captured.get("identity_jobs", &[("queue", "main"), ("kind", kind), ("state", state)]);
    let oldest = |kind| captured.get(OLDEST, &[("queue", "main"), ("kind", kind)]);
    assert_eq!((jobs("mail", "queued"), jobs("mail", "running"), oldest("mail")), (3.0, 0.0, 90.0));

    store.claim(&[JobKind::Mail], "a", clock.now(), Duration::seconds(30), 10).await.unwrap();
    record_depth("main", &store.depth().await.unwrap(), clock.now());
    assert_eq!((jobs("mail", "queued"), jobs("mail", "running"), oldest("mail")), (0.0, 3.0, 0.0));
    assert_eq!(jobs("retention", "dead"), 0.0);
}

#[test]
fn a_queued_job_not_yet_due_has_not_waited() {
    let now = ManualClock::default().now();
    let depth = |state, count, at| QueueDepth { kind: JobKind::Retention, state, count, oldest_run_at: Some(at) };
    let values = gauge_values(
        &[depth(JobState::Queued, 2, now + Duration::minutes(5)), depth(JobState::Dead, 1, now - Duration::hours(1))],
        now,
    );
    let value = |name: &str, labels: &[(&str, &str)]| {
        values.iter().find(|v| v.name == name && v.labels == labels).map(|v| v.value)
    };
    assert_eq!(value("identity_jobs", &[("kind", "retention"), ("state", "queued")]), Some(2.0));
    assert_eq!(value("identity_jobs", &[("kind", "retention"), ("state", "dead")]), Some(1.0));
    assert_eq!(value("identity_jobs", &[("kind", "mail"), ("state", "cancelled")]), Some(0.0));
    assert_eq!(value(OLDEST, &[("kind", "retention")]), Some(0.0));
    assert_eq!(values.len(), JobKind::ALL.len() * (JobState::ALL.len() + 1));
}
