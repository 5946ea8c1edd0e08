use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::{Output, ParamsString, PasswordHash as PhcHash, SaltString};
use argon2::{Algorithm, Params, Version};
use async_trait::async_trait;
use identity_core::ports::{HashError, PasswordHasher, Verification};
use identity_core::{Password, PasswordHash};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;
use tracing::Instrument;

/// Argon2id parameters and the bounds of the hashing pool.
#[derive(Debug, Clone)]
pub struct HasherSettings {
    /// Memory in KiB (OWASP: 19456).
    pub m_cost: u32,
    /// Iterations (OWASP: 2).
    pub t_cost: u32,
    /// Lanes (OWASP: 1).
    pub p_cost: u32,
    /// Hashes running at once; by default the number of cores.
    pub max_concurrency: usize,
    /// How long a request may wait for a hashing slot before it is shed.
    pub max_wait: Duration,
}

impl Default for HasherSettings {
    fn default() -> Self {
        Self {
            m_cost: Params::DEFAULT_M_COST,
            t_cost: Params::DEFAULT_T_COST,
            p_cost: Params::DEFAULT_P_COST,
            max_concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_wait: Duration::from_secs(2),
        }
    }
}

/// Argon2 working memory, reused across hashes: at most one `argon2_rust::Hasher` (and its
/// arena) per hashing slot, so the memory hashing takes is allocated once and bounded
/// (`max_concurrency` × `m_cost`), instead of 19 MiB allocated, faulted in and left to the
/// allocator on every login.
struct Scratch {
    block_count: usize,
    free: Mutex<Vec<argon2_rust::Hasher>>,
}

impl Scratch {
    /// A hasher set to `config`: a kept one (with its arena) when there is one.
    fn take(&self, config: argon2_rust::Argon2) -> argon2_rust::Hasher {
        match self.free.lock().ok().and_then(|mut free| free.pop()) {
            Some(mut hasher) => {
                hasher.set_argon2(config);
                hasher
            }
            None => config.hasher(),
        }
    }

    fn give_back(&self, hasher: argon2_rust::Hasher) {
        // An arena grown for other parameters (an old hash being verified) is not kept.
        if hasher.reserved_blocks() == self.block_count
            && let Ok(mut free) = self.free.lock()
        {
            free.push(hasher);
        }
    }
}

/// Argon2id in PHC strings. Hashing runs on tokio's blocking pool, at most
/// `max_concurrency` at once, so it never stalls the async executor; a request that cannot get
/// a slot within `max_wait` fails fast with [`HashError::Overloaded`].
#[derive(Clone)]
pub struct Argon2Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    max_wait: Duration,
    scratch: Arc<Scratch>,
    /// A real hash of a random secret, verified against for unknown accounts.
    dummy: Arc<String>,
}

impl Argon2Hasher {
    pub fn new(settings: &HasherSettings) -> anyhow::Result<Self> {
        let params = Params::new(settings.m_cost, settings.t_cost, settings.p_cost, None)
            .map_err(|e| anyhow::anyhow!("invalid Argon2 parameters: {e}"))?;
        let scratch = Arc::new(Scratch { block_count: params.block_count(), free: Mutex::new(Vec::new()) });
        let secret = hex_string(&crate::random_bytes::<32>()?);
        // The dummy hash's working memory is not kept (a scratch that keeps nothing): an idle
        // process holds no hashing buffer (19 MiB at the default cost), the first hashes
        // allocate theirs.
        let dummy = hash_blocking(&params, &Scratch { block_count: 0, free: Mutex::new(Vec::new()) }, &secret)?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(settings.max_concurrency.max(1))),
            max_wait: settings.max_wait,
            scratch,
            dummy: Arc::new(dummy),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Params, &Scratch) -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, HashError> {
        let queued = std::time::Instant::now();
        let permit = match tokio::time::timeout(self.max_wait, self.permits.clone().acquire_owned()).await {
            Ok(permit) => permit.map_err(|e| HashError::Internal(e.into()))?,
            Err(_) => {
                metrics::counter!("identity_load_shed_total", "reason" => "password_hash_queue").increment(1);
                return Err(HashError::Overloaded { retry_after_secs: self.max_wait.as_secs().max(1) });
            }
        };
        metrics::histogram!("identity_password_hash_queue_wait_seconds").record(queued.elapsed().as_secs_f64());
        let params = self.params.clone();
        let scratch = self.scratch.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let started = std::time::Instant::now();
            let result = work(&params, &scratch);
            metrics::histogram!("identity_password_hash_duration_seconds").record(started.elapsed().as_secs_f64());
            result
        })
        .await
        .map_err(|e| HashError::Internal(e.into()))?
        .map_err(HashError::Internal)
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs Argon2 into `out` on reused working memory, with `argon2-rust`: the reference
/// implementation's algorithm with run-time SIMD dispatch (AVX-512, AVX2, SSE2), about 1.5×
/// RustCrypto `argon2`'s throughput here (`cargo xtask bench hash`), the same tags (the PHC
/// strings stay RustCrypto's to parse and write).
fn compute(
    algorithm: Algorithm,
    version: Version,
    params: &Params,
    scratch: &Scratch,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> anyhow::Result<()> {
    let algorithm = match algorithm {
        Algorithm::Argon2d => argon2_rust::Algorithm::Argon2d,
        Algorithm::Argon2i => argon2_rust::Algorithm::Argon2i,
        Algorithm::Argon2id => argon2_rust::Algorithm::Argon2id,
    };
    let version = match version {
        Version::V0x10 => argon2_rust::Version::V0x10,
        Version::V0x13 => argon2_rust::Version::V0x13,
    };
    let tag_len = u64::try_from(out.len()).map_err(|e| anyhow::anyhow!("output length: {e}"))?;
    let config = argon2_rust::Params::builder()
        .memory(argon2_rust::params::Memory::kib(params.m_cost().into()))
        .passes(params.t_cost())
        .lanes(params.p_cost())
        .tag_len(argon2_rust::params::TagLen::bytes(tag_len))
        .build()
        .map_err(|e| anyhow::anyhow!("Argon2 parameters: {e}"))?;
    let mut hasher = scratch.take(argon2_rust::Argon2::new(algorithm, version, config));
    let result = hasher.hash_into(password, salt, out);
    scratch.give_back(hasher);
    result.map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

fn hash_blocking(params: &Params, scratch: &Scratch, password: &str) -> anyhow::Result<String> {
    let salt_bytes = crate::random_bytes::<16>()?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    compute(Algorithm::Argon2id, Version::V0x13, params, scratch, password.as_bytes(), &salt_bytes, &mut out)?;
    let phc = PhcHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| anyhow::anyhow!("params: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("output: {e}"))?),
    };
    Ok(phc.to_string())
}

fn verify_blocking(params: &Params, scratch: &Scratch, password: &str, phc: &str) -> anyhow::Result<Verification> {
    let parsed = PhcHash::new(phc).map_err(|e| anyhow::anyhow!("stored hash is not a PHC string: {e}"))?;
    // The stored string carries its own algorithm and parameters, so old hashes still verify.
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?,
        None => Version::default(),
    };
    let stored_params = Params::try_from(&parsed).map_err(|e| anyhow::anyhow!("stored hash parameters: {e}"))?;
    let expected = parsed.hash.ok_or_else(|| anyhow::anyhow!("stored hash has no output"))?;
    let mut salt = [0u8; 64];
    let salt = parsed
        .salt
        .ok_or_else(|| anyhow::anyhow!("stored hash has no salt"))?
        .decode_b64(&mut salt)
        .map_err(|e| anyhow::anyhow!("stored salt: {e}"))?;
    let mut out = vec![0u8; expected.len()];
    compute(algorithm, version, &stored_params, scratch, password.as_bytes(), salt, &mut out)?;
    if !bool::from(out.as_slice().ct_eq(expected.as_bytes())) {
        return Ok(Verification::Invalid);
    }
    let current = algorithm == Algorithm::Argon2id
        && version == Version::V0x13
        && stored_params.m_cost() == params.m_cost()
        && stored_params.t_cost() == params.t_cost()
        && stored_params.p_cost() == params.p_cost();
    Ok(Verification::Valid { needs_rehash: !current })
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        let password = password.expose().to_owned();
        let phc = self
            .run(move |params, scratch| hash_blocking(params, scratch, &password))
            .instrument(span("password hash"))
            .await?;
        Ok(PasswordHash::from_phc(phc))
    }

    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<Verification, HashError> {
        let password = password.expose().to_owned();
        let phc = hash.as_phc().to_owned();
        self.run(move |params, scratch| verify_blocking(params, scratch, &password, &phc))
            .instrument(span("password verify"))
            .await
    }

    async fn verify_dummy(&self, password: &Password) -> Result<(), HashError> {
        let password = password.expose().to_owned();
        let dummy = self.dummy.clone();
        // Named as a real verification: a trace does not tell an unknown account apart.
        self.run(move |params, scratch| verify_blocking(params, scratch, &password, &dummy).map(|_| ()))
            .instrument(span("password verify"))
            .await
    }
}

/// The span of one hashing (waiting for a slot included), for traces (docs/operations.md).
fn span(name: &'static str) -> tracing::Span {
    tracing::info_span!("password", otel.name = name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use argon2::Argon2;
    use identity_core::PasswordPolicy;

    use super::*;

    #[test]
    fn every_variant_gives_the_tag_rustcrypto_gives() {
        // Hashes stored by RustCrypto's argon2 (or anything producing standard tags) verify.
        let scratch = Scratch { block_count: 64, free: Mutex::new(Vec::new()) };
        let params = Params::new(64, 2, 1, Some(32)).unwrap();
        for algorithm in [Algorithm::Argon2d, Algorithm::Argon2i, Algorithm::Argon2id] {
            for version in [Version::V0x10, Version::V0x13] {
                let mut expected = [0u8; 32];
                Argon2::new(algorithm, version, params.clone())
                    .hash_password_into(b"password", b"sixteen byte salt", &mut expected)
                    .unwrap();
                let mut ours = [0u8; 32];
                compute(algorithm, version, &params, &scratch, b"password", b"sixteen byte salt", &mut ours).unwrap();
                assert_eq!(ours, expected, "{algorithm:?} {version:?}");
            }
        }
        let mut longer = [0u8; 48];
        compute(Algorithm::Argon2id, Version::V0x13, &params, &scratch, b"password", b"sixteen byte salt", &mut longer)
            .unwrap();
        let mut expected = [0u8; 48];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(64, 2, 1, Some(48)).unwrap())
            .hash_password_into(b"password", b"sixteen byte salt", &mut expected)
            .unwrap();
        assert_eq!(longer, expected, "a stored tag of another length");
        assert_eq!(scratch.free.lock().unwrap().len(), 1, "one hasher, reused");
    }

    fn fast() -> HasherSettings {
        HasherSettings { m_cost: 1024, t_cost: 1, ..HasherSettings::default() }
    }

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let hasher = Argon2Hasher::new(&fast()).unwrap();
        let pw = PasswordPolicy::candidate("correct horse battery staple");
        let hash = hasher.hash(&pw).await.unwrap();
        assert!(hash.as_phc().starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        assert_eq!(hasher.verify(&pw, &hash).await.unwrap(), Verification::Valid { needs_rehash: false });
        let wrong = PasswordPolicy::candidate("correct horse battery stapler");
        assert_eq!(hasher.verify(&wrong, &hash).await.unwrap(), Verification::Invalid);
        // Salted: the same password hashes differently each time.
        assert_ne!(hasher.hash(&pw).await.unwrap(), hash);
    }

    #[tokio::test]
    async fn default_parameters_are_owasp() {
        let hasher = Argon2Hasher::new(&HasherSettings::default()).unwrap();
        let hash = hasher.hash(&PasswordPolicy::candidate("a long passphrase")).await.unwrap();
        assert!(hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", hash.as_phc());
    }

    #[tokio::test]
    async fn old_parameters_still_verify_and_ask_for_a_rehash() {
        let old = Argon2Hasher::new(&fast()).unwrap();
        let pw = PasswordPolicy::candidate("a long passphrase");
        let old_hash = old.hash(&pw).await.unwrap();
        let current =
            Argon2Hasher::new(&HasherSettings { m_cost: 2048, t_cost: 1, ..HasherSettings::default() }).unwrap();
        assert_eq!(current.verify(&pw, &old_hash).await.unwrap(), Verification::Valid { needs_rehash: true });
    }

    #[tokio::test]
    async fn hashes_from_the_reference_implementation_verify() {
        // Made by argon2's own PasswordHasher (the PHC strings other systems store).
        use argon2::password_hash::PasswordHasher as _;
        let salt = SaltString::encode_b64(b"sixteen byte salt").unwrap();
        let reference = Argon2::default().hash_password(b"a long passphrase", &salt).unwrap().to_string();
        let hasher = Argon2Hasher::new(&HasherSettings::default()).unwrap();
        assert!(hasher.scratch.free.lock().unwrap().is_empty(), "an idle hasher holds no working memory");
        let stored = PasswordHash::from_phc(reference);
        let pw = PasswordPolicy::candidate("a long passphrase");
        assert_eq!(hasher.verify(&pw, &stored).await.unwrap(), Verification::Valid { needs_rehash: false });
        let wrong = PasswordPolicy::candidate("a long passphrasf");
        assert_eq!(hasher.verify(&wrong, &stored).await.unwrap(), Verification::Invalid);
        // And ours verify with the reference verifier.
        use argon2::password_hash::PasswordVerifier as _;
        let ours = hasher.hash(&pw).await.unwrap();
        Argon2::default().verify_password(b"a long passphrase", &PhcHash::new(ours.as_phc()).unwrap()).unwrap();
        // Working memory is reused, not piled up: at most one buffer per slot.
        for _ in 0..4 {
            hasher.verify(&pw, &stored).await.unwrap();
        }
        assert!(hasher.scratch.free.lock().unwrap().len() <= 2);
    }

    #[tokio::test]
    async fn garbage_hashes_are_errors_not_matches() {
        let hasher = Argon2Hasher::new(&fast()).unwrap();
        let pw = PasswordPolicy::candidate("whatever it is");
        assert!(hasher.verify(&pw, &PasswordHash::from_phc("not-a-hash".into())).await.is_err());
        hasher.verify_dummy(&pw).await.unwrap();
    }

    #[tokio::test]
    async fn saturation_is_shed_not_queued_forever() {
        let hasher = Argon2Hasher::new(&HasherSettings {
            max_concurrency: 1,
            max_wait: Duration::from_millis(1),
            ..HasherSettings::default()
        })
        .unwrap();
        let held = hasher.permits.clone().acquire_owned().await.unwrap();
        let err = hasher.hash(&PasswordPolicy::candidate("a long passphrase")).await.unwrap_err();
        assert!(matches!(err, HashError::Overloaded { .. }));
        drop(held);
        assert!(hasher.hash(&PasswordPolicy::candidate("a long passphrase")).await.is_ok());
    }
}
