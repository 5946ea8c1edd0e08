//! `cargo xtask bench` (filter `relay`): outbox relay throughput on this machine, in events/s
//! from the commit of a backlog to the broker's confirm of its last event (every row marked
//! published), through the real server on PostgreSQL and RabbitMQ: claim 100 rows
//! (`FOR UPDATE SKIP LOCKED`), publish them persistent and `mandatory`, wait for the confirms,
//! mark them published, again.
//!
//! A fresh database on `TEST_DATABASE_URL`'s server (default the local PostgreSQL) and
//! `BENCH_AMQP_URL` (default the local RabbitMQ), an exchange of its own with one queue bound
//! to everything (deleted at the end). Each round commits `RELAY_BENCH_EVENTS` (5,000) rows in
//! one transaction and times until none is unpublished; skipped with a note when the services
//! are not there.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use identity_http::{Application, Config};
use lapin::options::{ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, ExchangeKind};

const ROUNDS: usize = 3;

fn main() {
    // `cargo bench` passes `--bench`; other arguments are filters, as criterion's.
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    if !filters.is_empty() && !filters.iter().any(|f| "relay/throughput".contains(f.as_str())) {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run());
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn unpublished(conn: &mut AsyncPgConnection) -> i64 {
    let row: Count = diesel::sql_query("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")
        .get_result(conn)
        .await
        .unwrap();
    row.n
}

async fn run() {
    let events: usize = std::env::var("RELAY_BENCH_EVENTS").ok().and_then(|n| n.parse().ok()).unwrap_or(5000);
    let amqp = std::env::var("BENCH_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let Ok(broker) = Connection::connect(&amqp, ConnectionProperties::default()).await else {
        println!("relay/throughput: skipped, RabbitMQ is not reachable at BENCH_AMQP_URL ({amqp})");
        return;
    };
    let database = identity_postgres::testkit::TestDatabase::create().await;

    // Declared before the server starts, with a queue, so every event is routable.
    let exchange = format!("identity.bench.{}", uuid::Uuid::now_v7().simple());
    let channel = broker.create_channel().await.unwrap();
    let durable = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
    channel
        .exchange_declare(exchange.as_str().into(), ExchangeKind::Topic, durable, FieldTable::default())
        .await
        .unwrap();
    let exclusive = QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() };
    let queue = channel.queue_declare("".into(), exclusive, FieldTable::default()).await.unwrap();
    let bind = QueueBindOptions::default();
    channel
        .queue_bind(queue.name().clone(), exchange.as_str().into(), "#".into(), bind, FieldTable::default())
        .await
        .unwrap();

    let vars: HashMap<String, String> = HashMap::from([
        ("BIND_ADDR".into(), "127.0.0.1".into()),
        ("PORT".into(), "0".into()),
        ("RUST_LOG".into(), "error".into()),
        ("DATABASE_URL".into(), database.url().to_owned()),
        ("AMQP_URL".into(), amqp.clone()),
        ("AMQP_EXCHANGE".into(), exchange.clone()),
    ]);
    let config = Config::from_env(&move |name: &str| vars.get(name).cloned()).unwrap();
    let app = Application::build(&config).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));

    let mut conn = AsyncPgConnection::establish(database.url()).await.unwrap();
    let mut rates = Vec::new();
    for round in 1..=ROUNDS {
        // One commit of `events` user.registered rows, as the use cases write them.
        diesel::sql_query(
            "INSERT INTO outbox (id, aggregate_type, aggregate_id, subject, type, payload, occurred_at) \
             SELECT u, 'user', u, u, 'user.registered', jsonb_build_object('user_id', u, 'email', \
             'bench-' || n || '@example.com', 'username', NULL, 'email_verified', false, 'registered_at', now()), now() \
             FROM (SELECT gen_random_uuid() AS u, n FROM generate_series(1, $1) AS n) AS rows",
        )
        .bind::<diesel::sql_types::Integer, _>(i32::try_from(events).unwrap())
        .execute(&mut conn)
        .await
        .unwrap();
        let committed = Instant::now();
        while unpublished(&mut conn).await > 0 {
            assert!(committed.elapsed() < Duration::from_secs(300), "the relay stalled");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let elapsed = committed.elapsed();
        let rate = events as f64 / elapsed.as_secs_f64();
        println!("relay/throughput round {round}: {events} events in {elapsed:.2?}: {rate:.0} events/s");
        rates.push(rate);
        channel.queue_purge(queue.name().clone(), Default::default()).await.unwrap();
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "relay/throughput: median {:.0} events/s (commit to confirmed publish, batches of 100, {ROUNDS} rounds of \
         {events}; min {:.0}, max {:.0})",
        rates[ROUNDS / 2],
        rates[0],
        rates[ROUNDS - 1]
    );

    let _ = stop.send(());
    let _ = server.await;
    channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()).await.unwrap();
}
