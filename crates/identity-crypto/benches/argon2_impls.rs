//! Argon2id implementations side by side, at the service's cost (m=19456 KiB, t=2, p=1, 16-byte
//! salt, 32-byte output): RustCrypto `argon2` 0.5 (the service's until argon2-rust measured
//! fastest here; its PHC strings are still RustCrypto's) and 0.6, each with working
//! memory allocated per hash and reused, `argon2-rust` (a port of the reference C code with
//! run-time AVX-512/AVX2/SSE2 dispatch, the code inside `@node-rs/argon2` 2.x) one-shot and with
//! its pooled `Hasher`, and the reference C implementation (phc-winner-argon2's `opt.c`, through
//! `just-argon2`, renamed `argon2_c`; it allocates per hash with malloc, its safe API has no
//! reusable buffer; built by `cc` at the release profile's opt-level for dependencies, "s").
//! Plus the service's own `Argon2Hasher` (argon2-rust's pooled `Hasher` behind the tokio
//! blocking pool and a semaphore, and the PHC string).
//!
//! `cargo bench --locked -p identity-crypto --bench argon2_impls`; `-- 1thread` or `-- 2threads`
//! to run one group. Before measuring, PHC strings and raw outputs are checked to agree across
//! the implementations (a mismatch panics): a fast implementation that hashes differently is no
//! candidate.
//!
//! - `argon2id_1thread/*`: one hash on one thread (criterion's time per hash).
//! - `argon2id_2threads/*`: two threads hashing at once, each with its own buffer; one iteration
//!   is one hash on each thread, so criterion's `thrpt` is hashes/s for the machine (2 cores).
//!
//! Target-specific code: run it again with `RUSTFLAGS="-C target-cpu=native"`
//! `CFLAGS="-march=native"` and another `CARGO_TARGET_DIR` (the reference C code picks its SIMD
//! at compile time only: SSE2 by default, AVX2/AVX-512 with `-march`; RustCrypto detects AVX2 at
//! run time).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::CStr;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, measurement::WallTime};

const M_COST: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
const OUT_LEN: usize = 32;
const PASSWORD: &[u8] = b"correct horse battery staple";
const SALT: [u8; 16] = *b"sixteen byte slt";

/// One hash: writes the raw Argon2id output of (`PASSWORD`, `SALT`).
type HashFn = Box<dyn FnMut(&mut [u8; OUT_LEN]) + Send>;

/// One hashing implementation. Each thread makes its own with `make`, so working memory reused
/// is per thread.
struct Impl {
    name: &'static str,
    make: fn() -> HashFn,
}

fn v05() -> argon2::Argon2<'static> {
    let params = argon2::Params::new(M_COST, T_COST, P_COST, Some(OUT_LEN)).unwrap();
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

fn v06() -> argon2_06::Argon2<'static> {
    let params = argon2_06::Params::new(M_COST, T_COST, P_COST, Some(OUT_LEN)).unwrap();
    argon2_06::Argon2::new(argon2_06::Algorithm::Argon2id, argon2_06::Version::V0x13, params)
}

fn rust_port() -> argon2_rust::Argon2 {
    use argon2_rust::params::{Memory, TagLen};
    let params = argon2_rust::Params::builder()
        .memory(Memory::kib(u64::from(M_COST)))
        .passes(T_COST)
        .lanes(P_COST)
        .tag_len(TagLen::bytes(OUT_LEN as u64))
        .build()
        .unwrap();
    argon2_rust::Argon2::new(argon2_rust::Algorithm::Argon2id, argon2_rust::Version::V0x13, params)
}

fn impls() -> Vec<Impl> {
    vec![
        Impl {
            name: "rustcrypto-0.5/fresh",
            make: || {
                let argon2 = v05();
                Box::new(move |out| argon2.hash_password_into(PASSWORD, &SALT, out).unwrap())
            },
        },
        Impl {
            name: "rustcrypto-0.5/reused",
            make: || {
                let argon2 = v05();
                let mut blocks = vec![argon2::Block::default(); argon2.params().block_count()];
                Box::new(move |out| argon2.hash_password_into_with_memory(PASSWORD, &SALT, out, &mut blocks).unwrap())
            },
        },
        Impl {
            name: "rustcrypto-0.6/fresh",
            make: || {
                let argon2 = v06();
                Box::new(move |out| argon2.hash_password_into(PASSWORD, &SALT, out).unwrap())
            },
        },
        Impl {
            name: "rustcrypto-0.6/reused",
            make: || {
                let argon2 = v06();
                let mut blocks = vec![argon2_06::Block::default(); argon2.params().block_count()];
                Box::new(move |out| argon2.hash_password_into_with_memory(PASSWORD, &SALT, out, &mut blocks).unwrap())
            },
        },
        Impl {
            name: "argon2-rust/fresh",
            make: || {
                let argon2 = rust_port();
                Box::new(move |out| argon2.hash_into(PASSWORD, &SALT, out).unwrap())
            },
        },
        Impl {
            name: "argon2-rust/reused",
            make: || {
                let mut hasher = rust_port().hasher();
                hasher.reserve().unwrap();
                Box::new(move |out| hasher.hash_into(PASSWORD, &SALT, out).unwrap())
            },
        },
        Impl {
            name: "c-reference/fresh",
            make: || {
                Box::new(|out| argon2_c::id_hash_raw(T_COST, M_COST, P_COST, Some(PASSWORD), Some(&SALT), out).unwrap())
            },
        },
    ]
}

/// The implementations must agree before their speed means anything: the same raw output, and
/// PHC strings that each one's verifier accepts (argon2 0.5's verifier is the service's).
fn check_interop() {
    use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
    use argon2_06::{PasswordHasher as _, PasswordVerifier};

    let outputs: Vec<(&str, [u8; OUT_LEN])> = impls()
        .iter()
        .map(|i| {
            let mut out = [0u8; OUT_LEN];
            (i.make)()(&mut out);
            (i.name, out)
        })
        .collect();
    for (name, out) in &outputs[1..] {
        assert_eq!(out, &outputs[0].1, "{name} hashes differently from {}", outputs[0].0);
    }

    // 0.5 → 0.6 and C.
    let salt = SaltString::encode_b64(&SALT).unwrap();
    let ours = v05().hash_password(PASSWORD, &salt).unwrap().to_string();
    assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{ours}");
    PasswordVerifier::<str>::verify_password(&v06(), PASSWORD, &ours).unwrap();
    assert!(PasswordVerifier::<str>::verify_password(&v06(), b"wrong", &ours).is_err());
    let ours_c = std::ffi::CString::new(ours.clone()).unwrap();
    argon2_c::id_verify(&ours_c, Some(PASSWORD)).unwrap();
    assert!(argon2_c::id_verify(&ours_c, Some(b"wrong")).is_err());

    // 0.6 → 0.5: the same string, byte for byte.
    let theirs = v06().hash_password_with_salt(PASSWORD, &SALT).unwrap().to_string();
    assert_eq!(theirs, ours, "argon2 0.6 writes another PHC string");
    v05().verify_password(PASSWORD, &PasswordHash::new(&theirs).unwrap()).unwrap();

    // C → 0.5: the same string too (the reference encoder writes `v=19` and no padding, as PHC).
    let mut encoded = [0u8; 128];
    argon2_c::id_hash_encoded(T_COST, M_COST, P_COST, Some(PASSWORD), Some(&SALT), OUT_LEN, &mut encoded).unwrap();
    let c = CStr::from_bytes_until_nul(&encoded).unwrap().to_str().unwrap();
    assert_eq!(c, ours, "the C reference writes another PHC string");
    v05().verify_password(PASSWORD, &PasswordHash::new(c).unwrap()).unwrap();
    assert!(v05().verify_password(b"wrong", &PasswordHash::new(c).unwrap()).is_err());

    // argon2-rust ↔ 0.5: the same string, and each verifies the other's.
    let port = rust_port().hash_encoded(PASSWORD, &SALT).unwrap();
    assert_eq!(port, ours, "argon2-rust writes another PHC string");
    v05().verify_password(PASSWORD, &PasswordHash::new(&port).unwrap()).unwrap();
    argon2_rust::Argon2::verify_encoded(&ours, PASSWORD, argon2_rust::Algorithm::Argon2id).unwrap();
    assert!(argon2_rust::Argon2::verify_encoded(&ours, b"wrong", argon2_rust::Algorithm::Argon2id).is_err());
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
}

fn one_thread(c: &mut Criterion) {
    let mut group = c.benchmark_group("argon2id_1thread");
    configure(&mut group);
    for i in impls() {
        let mut hash = (i.make)();
        let mut out = [0u8; OUT_LEN];
        group.bench_function(i.name, |b| b.iter(|| hash(black_box(&mut out))));
    }
    group.finish();
}

fn two_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("argon2id_2threads");
    configure(&mut group);
    // One iteration = one hash on each of the two threads: thrpt is hashes/s.
    group.throughput(Throughput::Elements(2));
    for i in impls() {
        // Each thread keeps its own implementation (and buffer) for the whole run, made and
        // warmed once outside the measured time.
        let (mut a, mut b) = ((i.make)(), (i.make)());
        let mut out = [0u8; OUT_LEN];
        a(&mut out);
        b(&mut out);
        group.bench_function(i.name, |bench| {
            bench.iter_custom(|iters| {
                let start = Instant::now();
                std::thread::scope(|s| {
                    for hash in [&mut a, &mut b] {
                        s.spawn(move || {
                            let mut out = [0u8; OUT_LEN];
                            for _ in 0..iters {
                                hash(black_box(&mut out));
                            }
                        });
                    }
                });
                start.elapsed()
            });
        });
    }
    service(&mut group);
    group.finish();
}

/// The service's hasher as a request uses it: two hashes at once through `Argon2Hasher::hash`
/// (the blocking pool, the semaphore, the reused scratch, a random salt, the PHC string).
fn service(group: &mut BenchmarkGroup<'_, WallTime>) {
    use identity_core::ports::PasswordHasher as _;
    use identity_crypto::{Argon2Hasher, HasherSettings};

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let settings = HasherSettings {
        m_cost: M_COST,
        t_cost: T_COST,
        p_cost: P_COST,
        max_concurrency: 2,
        max_wait: Duration::from_secs(60),
    };
    let hasher = Argon2Hasher::new(&settings).unwrap();
    let password = identity_core::PasswordPolicy::candidate(std::str::from_utf8(PASSWORD).unwrap());
    group.bench_function("service/Argon2Hasher", |bench| {
        bench.to_async(&rt).iter_custom(|iters| {
            let (hasher, password) = (hasher.clone(), password.clone());
            async move {
                let hashes = || async {
                    for _ in 0..iters {
                        hasher.hash(&password).await.unwrap();
                    }
                };
                let start = Instant::now();
                tokio::join!(hashes(), hashes());
                start.elapsed()
            }
        });
    });
}

criterion_group!(benches, one_thread, two_threads);

fn main() {
    check_interop();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
