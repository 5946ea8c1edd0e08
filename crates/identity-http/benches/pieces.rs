//! `cargo xtask bench pieces`: what one request costs, piece by piece, on the real stores
//! (PostgreSQL at `TEST_DATABASE_URL`, by default the local server, in a test database of its
//! own; Redis at `BENCH_REDIS_URL`, by default the local one, under a key prefix of its own),
//! beside the in-memory store (an access token's signature check is `paseto/verify_signature` in
//! `benches/identity.rs`):
//!
//! - `pieces/{pg,memory}/session_with_user`: what every authenticated request reads, the
//!   session with its user, profile and roles (`SessionRepository::find_session_with_user`,
//!   one statement on PostgreSQL); its `revoked_at` is the revocation check;
//! - `pieces/redis/revocation_check`: the Redis round trip a revocation cache costs, which
//!   authenticated requests no longer make (beside the read above, for comparison);
//! - `pieces/{pg,memory}/user_by_id`: a user with profile and roles (one statement);
//! - `pieces/{pg,memory}/refresh_transaction`: a refresh's transaction, as `LoginService`
//!   runs it: begin, the token locked with its session and user, the rotation's writes, commit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use identity_core::ports::{RevocationList, SessionRepository, UnitOfWork, UserRepository};
use identity_core::testkit::fixtures;
use identity_core::{RefreshToken, Session, SessionId, UserId};
use identity_memory::MemoryStore;
use identity_postgres::testkit::TestDatabase;
use identity_postgres::{PgStore, PoolSettings};
use identity_redis::RedisStore;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

/// The stores' ports the pieces use.
struct Store {
    uow: Arc<dyn UnitOfWork>,
    users: Arc<dyn UserRepository>,
    sessions: Arc<dyn SessionRepository>,
}

/// A user (with the `user` role and a profile) signed in once: its session and refresh token.
async fn signed_in(store: &Store) -> (UserId, Session, RefreshToken) {
    let user = fixtures::user(fixtures::unique_email());
    let session = fixtures::session(&user);
    let token = fixtures::refresh_token(&session);
    let mut tx = store.uow.begin().await.unwrap();
    tx.users().insert_user(&user).await.unwrap();
    tx.sessions().insert_session(&session).await.unwrap();
    tx.sessions().insert_refresh_token(&token).await.unwrap();
    tx.commit().await.unwrap();
    (user.id, session, token)
}

/// `iters` rotations of one chain, each a transaction of its own.
async fn rotations(store: &Store, first: &RefreshToken, iters: u64) -> Duration {
    let mut current = first.digest.clone();
    let started = Instant::now();
    for _ in 0..iters {
        let mut tx = store.uow.begin().await.unwrap();
        let (mut token, session, _user) = tx.sessions().lock_refresh_token(&current).await.unwrap().unwrap();
        let now = Utc::now();
        let next = RefreshToken { issued_at: now, ..fixtures::refresh_token(&session) };
        token.consumed_at = Some(now);
        token.replaced_by = Some(next.id);
        tx.sessions().rotate_refresh_token(&token, &next, now).await.unwrap();
        tx.commit().await.unwrap();
        current = next.digest;
    }
    started.elapsed()
}

fn store_pieces(c: &mut Criterion, rt: &tokio::runtime::Runtime, name: &str, store: &Store) {
    let (user, session, token) = rt.block_on(signed_in(store));
    let mut group = c.benchmark_group("pieces");
    group.bench_function(format!("{name}/session_with_user"), |b| {
        b.to_async(rt).iter(|| async { store.sessions.find_session_with_user(session.id).await.unwrap().unwrap() })
    });
    group.bench_function(format!("{name}/user_by_id"), |b| {
        b.to_async(rt).iter(|| async { store.users.find_by_id(user).await.unwrap().unwrap() })
    });
    group.bench_function(format!("{name}/refresh_transaction"), |b| {
        b.to_async(rt).iter_custom(|iters| rotations(store, &token, iters))
    });
    group.finish();
}

fn pieces(c: &mut Criterion) {
    let rt = runtime();

    let memory = MemoryStore::new();
    let memory = Store { uow: Arc::new(memory.clone()), users: Arc::new(memory.clone()), sessions: Arc::new(memory) };
    store_pieces(c, &rt, "memory", &memory);

    let (_database, pg) = rt.block_on(async {
        let database = TestDatabase::create().await;
        let pg = PgStore::connect(database.url(), &PoolSettings::default()).await.unwrap();
        (database, pg)
    });
    let pg = Store { uow: Arc::new(pg.clone()), users: Arc::new(pg.clone()), sessions: Arc::new(pg) };
    store_pieces(c, &rt, "pg", &pg);

    let redis_url = std::env::var("BENCH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = format!("bench-pieces-{}:", uuid::Uuid::now_v7().simple());
    let redis = rt.block_on(RedisStore::connect(&redis_url, prefix)).unwrap();
    let revoked = SessionId::from_uuid(uuid::Uuid::now_v7());
    let live = SessionId::from_uuid(uuid::Uuid::now_v7());
    rt.block_on(redis.revoke(revoked, Duration::from_secs(60))).unwrap();
    c.bench_function("pieces/redis/revocation_check", |b| {
        b.to_async(&rt).iter(|| async { redis.is_revoked(live).await.unwrap() })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(4));
    targets = pieces
}
criterion_main!(benches);
