//! `cargo xtask bench` (filter `jobs`): durable job throughput on this machine, in jobs/s
//! from the first enqueue to the last job done, through the real server on PostgreSQL: mail
//! jobs (each sealed like the use cases seal them) enqueued one transaction each, claimed with
//! `FOR UPDATE SKIP LOCKED` by the server's workers (`JOB_WORKERS`, default 4), opened and
//! delivered to the log transport, settled.
//!
//! A fresh database on `TEST_DATABASE_URL`'s server (default the local PostgreSQL). Each round
//! enqueues `JOBS_BENCH_JOBS` (2,000) mails; `JOBS_BENCH_WORKERS` sets `JOB_WORKERS` (4);
//! skipped with a note when PostgreSQL is not there.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use identity_core::domain::{JobKind, JobState};
use identity_core::ports::{JobQueue, Mail};
use identity_core::usecases::MailJobs;
use identity_crypto::{SealingKey, SystemClock, UuidV7Generator};
use identity_http::{Application, Config};

const ROUNDS: usize = 3;
const SEALING_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn main() {
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    if !filters.is_empty() && !filters.iter().any(|f| "jobs/throughput".contains(f.as_str())) {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run());
}

/// Mail jobs not yet done (one aggregate query: the watching costs the queue little).
async fn pending(queue: &dyn JobQueue) -> u64 {
    let depths = queue.depth().await.unwrap();
    depths
        .iter()
        .filter(|d| d.kind == JobKind::Mail && matches!(d.state, JobState::Queued | JobState::Running))
        .map(|d| d.count)
        .sum()
}

async fn run() {
    let jobs: usize = std::env::var("JOBS_BENCH_JOBS").ok().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let workers = std::env::var("JOBS_BENCH_WORKERS").unwrap_or_else(|_| "4".into());
    let server = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let address = reqwest::Url::parse(&server)
        .ok()
        .map(|url| format!("{}:{}", url.host_str().unwrap_or("127.0.0.1"), url.port().unwrap_or(5432)));
    if tokio::net::TcpStream::connect(address.as_deref().unwrap_or("127.0.0.1:5432")).await.is_err() {
        println!("jobs/throughput: skipped, PostgreSQL is not reachable at TEST_DATABASE_URL ({server})");
        return;
    }
    let database = identity_postgres::testkit::TestDatabase::create().await;
    let vars: HashMap<String, String> = HashMap::from([
        ("BIND_ADDR".into(), "127.0.0.1".into()),
        ("PORT".into(), "0".into()),
        ("RUST_LOG".into(), "error".into()),
        ("DATABASE_URL".into(), database.url().to_owned()),
        ("SECRETS_ENCRYPTION_KEY".into(), SEALING_KEY.into()),
        ("JOB_POLL_INTERVAL_MS".into(), "20".into()),
        ("JOB_WORKERS".into(), std::env::var("JOBS_BENCH_WORKERS").unwrap_or_else(|_| "4".into())),
    ]);
    let config = Config::from_env(&move |name: &str| vars.get(name).cloned()).unwrap();
    let app = Application::build(&config).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));

    let store = identity_postgres::PgStore::connect(database.url(), &Default::default()).await.unwrap();
    let queue: Arc<dyn JobQueue> = Arc::new(store);
    let mails = MailJobs::new(
        queue.clone(),
        Arc::new(SealingKey::from_base64(SEALING_KEY).unwrap()),
        Arc::new(UuidV7Generator),
        Arc::new(SystemClock),
        8,
    );
    let mut rates = Vec::new();
    for round in 1..=ROUNDS {
        let started = Instant::now();
        for n in 0..jobs {
            let to = identity_core::Email::parse(&format!("bench-{round}-{n}@example.com")).unwrap();
            mails.enqueue(&Mail::PasswordChanged { to }).await.unwrap();
        }
        let enqueued = started.elapsed();
        while pending(queue.as_ref()).await > 0 {
            assert!(started.elapsed() < Duration::from_secs(300), "the workers stalled");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let elapsed = started.elapsed();
        let rate = jobs as f64 / elapsed.as_secs_f64();
        println!(
            "jobs/throughput round {round}: {jobs} mail jobs enqueued in {enqueued:.2?} ({:.0}/s), all done in \
             {elapsed:.2?}: {rate:.0} jobs/s",
            jobs as f64 / enqueued.as_secs_f64()
        );
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "jobs/throughput: median {:.0} jobs/s (enqueue to done, mail jobs, {workers} workers, {ROUNDS} rounds of \
         {jobs}; min {:.0}, max {:.0})",
        rates[ROUNDS / 2],
        rates[0],
        rates[ROUNDS - 1]
    );
    let _ = stop.send(());
    let _ = serving.await;
}
