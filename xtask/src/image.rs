//! `cargo xtask image`: the container image, built and run for real (issue 23 point 4).
//!
//! Base images cannot be pulled on this machine and no container can be started here (crun
//! cannot set rlimits or cgroups), so the image is the runtime stage of `deploy/Dockerfile`
//! rebuilt from what is at hand, and started without a container runtime:
//!
//! 1. `cargo build --release --locked -p identity-http --bin identity`;
//! 2. a build context staged under `<target>/image/context`: the binary, stripped; exactly the
//!    shared libraries `ldd` lists plus the loader, at their paths; the CA bundle; an
//!    `/etc/passwd` and `/etc/group` with distroless's `nonroot` user (65532);
//! 3. `buildah bud` of `deploy/Containerfile.local` (`FROM scratch`, `USER 65532:65532`, the
//!    Dockerfile's ENV, EXPOSE, ENTRYPOINT and CMD) into a storage root of this run's own
//!    (vfs, under `/tmp/identity-image-<pid>`), removed at the end; the image is kept as a
//!    docker archive, `<target>/image/identity-image.tar` (`docker load -i` / `podman load -i`);
//! 4. the image's root mounted (`buildah from` + `buildah mount`), bind-mounted read-only, and
//!    the image's entry point and command run in it by `chroot --userspec=<the image's USER>`
//!    with the image's environment only: on the embedded default, then on PostgreSQL, Redis and
//!    RabbitMQ (a database, key prefix and virtual host of its own, removed after). Each run
//!    must pass `GET /ready`, register and sign in over HTTP, run as the image's non-root user,
//!    and exit 0 within [`STOP_WITHIN`] of SIGTERM. Nothing outside the image is reachable from
//!    the chroot, so a missing library, loader or certificate file fails the run;
//! 5. the image must weigh less than [`MAX_BYTES`] and name a non-root user.
//!
//! What this does not verify (docs/deploy.md, "The image, as verified here"): the Dockerfile's
//! builder stage and the distroless base, which are never pulled here, and a real container
//! runtime (namespaces, cgroups, the runtime's `/proc`, `/dev`, `/etc/hosts`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::server::{log_lines, request};
use crate::{Result, cargo_command, root, run_quiet};

/// The image's name in the run's own storage.
const NAME: &str = "localhost/identity:local";
/// Issue 23: "under 40 MB".
const MAX_BYTES: u64 = 40_000_000;
/// distroless's `nonroot` user and group, which deploy/Dockerfile runs as.
const NONROOT: u32 = 65532;
/// The graceful shutdown's bound: SIGTERM to exit 0.
const STOP_WITHIN: Duration = Duration::from_secs(10);
/// The prefix of each run's work directory under /tmp (`<prefix><pid>`).
const WORK_PREFIX: &str = "identity-image-";
/// The prefix of each run's database, Redis keys and RabbitMQ virtual host (`<prefix><pid>`).
const STORES_PREFIX: &str = "identity_image_check_";

pub fn image() -> Result {
    let started = Instant::now();
    if run_quiet("id", &["-u"]).is_none_or(|uid| uid.trim() != "0") {
        return Err("cargo xtask image needs root (buildah's storage, mount, chroot): run it as root".into());
    }
    ensure_buildah()?;
    let build_started = Instant::now();
    let binary = build_release()?;
    let build_time = build_started.elapsed();
    let target = binary
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("no target directory above {}", binary.display()))?
        .join("image");
    remove_stale_work_dirs();
    let work = WorkDir::create()?;
    let context = target.join("context");
    let staged = stage(&binary, &context)?;

    let buildah = Buildah { root: work.path.join("storage"), runroot: work.path.join("run") };
    // The storage is this run's own; the name is freed anyway, so a leftover can never be used.
    let _ = buildah.output(&["rmi", "-f", NAME]);
    let image_started = Instant::now();
    let containerfile = root().join("deploy/Containerfile.local");
    buildah.run(&[
        "bud",
        "--pull=never",
        "-f",
        &containerfile.to_string_lossy(),
        "-t",
        NAME,
        &context.to_string_lossy(),
    ])?;
    let image_time = image_started.elapsed();
    let config = ImageConfig::inspect(&buildah)?;
    let archive = target.join("identity-image.tar");
    let _ = std::fs::remove_file(&archive);
    buildah.run(&["push", "--quiet", NAME, &format!("docker-archive:{}:{NAME}", archive.display())])?;

    let mut findings = Vec::new();
    if config.size >= MAX_BYTES {
        findings.push(format!("the image weighs {} bytes, not under {MAX_BYTES}", config.size));
    }
    let (uid, gid) = config.user()?;
    if (uid, gid) != (NONROOT, NONROOT) {
        findings.push(format!("the image's USER is {:?}, not {NONROOT}:{NONROOT}", config.user));
    }

    let container = Container::mount(&buildah)?;
    // No run here opens a TLS connection, so the bundle is checked as a file: in the image, PEM.
    let bundle = std::fs::read_to_string(container.root.join(CA_BUNDLE.trim_start_matches('/'))).unwrap_or_default();
    let roots = bundle.matches("-----BEGIN CERTIFICATE-----").count();
    if roots == 0 {
        findings.push(format!("the image has no certificates in {CA_BUNDLE}"));
    }
    let read_only = ReadOnly::bind(&container.root, &work.path.join("rootfs-ro"));
    let (run_root, read_only_note) = match &read_only {
        Ok(ro) => (ro.path.clone(), "read-only (a read-only bind mount of the image's root)".to_owned()),
        Err(e) => {
            eprintln!("xtask: WARNING: no read-only bind mount here ({e}); running on the writable root");
            (container.root.clone(), format!("WRITABLE: this machine refused a read-only bind mount ({e})"))
        }
    };
    let mut runs = Vec::new();
    for backend in [Backend::Embedded, Backend::Stores] {
        let log = target.join(format!("{}.log", backend.name()));
        let run = run_image(&run_root, &config, backend, &log)
            .map_err(|e| format!("the image on {}: {e} (log: {})", backend.name(), log.display()))?;
        runs.push(run);
    }
    drop(read_only);
    drop(container);

    let mut summary = String::new();
    let _ = writeln!(summary, "xtask: image {NAME} ({}), built from deploy/Containerfile.local", short(&config.id));
    let _ = writeln!(
        summary,
        "  size: {:.1} MB ({} bytes; limit {} MB): binary {:.1} MB stripped, {} libraries and the loader {:.1} MB, CA bundle {:.1} MB",
        mb(config.size),
        config.size,
        MAX_BYTES / 1_000_000,
        mb(staged.binary),
        staged.libraries.len() - 1,
        mb(staged.library_bytes),
        mb(staged.certificates)
    );
    let _ = writeln!(summary, "  libraries: {}; {CA_BUNDLE}: {roots} certificates", staged.libraries.join(", "));
    let _ = writeln!(summary, "  user: {} (non-root), root filesystem {read_only_note}", config.user);
    for run in &runs {
        let _ = writeln!(
            summary,
            "  {}: ready in {:.1}s as uid/gid {}, register + login + /v1/users/me, SIGTERM → exit 0 in {:.2}s",
            run.backend.name(),
            run.ready.as_secs_f64(),
            run.ids,
            run.stop.as_secs_f64()
        );
    }
    let _ = writeln!(summary, "  archive: {} (docker load -i / podman load -i)", archive.display());
    let _ = write!(
        summary,
        "  time: {:.1}s in all (release build {:.1}s, buildah bud {:.1}s)",
        started.elapsed().as_secs_f64(),
        build_time.as_secs_f64(),
        image_time.as_secs_f64()
    );
    println!("{summary}");
    drop(work);
    if findings.is_empty() { Ok(()) } else { Err(format!("image: {}", findings.join("; "))) }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Debian's buildah, installed when missing (as `cargo xtask tools` installs nginx).
fn ensure_buildah() -> Result {
    if run_quiet("buildah", &["--version"]).is_some() {
        return Ok(());
    }
    eprintln!("xtask: buildah is missing: installing it from Debian");
    let sudo = if run_quiet("id", &["-u"]).is_some_and(|uid| uid.trim() == "0") { "" } else { "sudo " };
    let install = format!(
        "{sudo}apt-get update -q && DEBIAN_FRONTEND=noninteractive {sudo}apt-get install -y -q --no-install-recommends buildah"
    );
    let status = Command::new("sh").args(["-c", &install]).status().map_err(|e| format!("cannot run apt-get: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("installing buildah failed ({status})")) }
}

/// `cargo build --release --locked -p identity-http --bin identity`: the executable's path, as
/// cargo reports it (whatever the target directory). Also `cargo xtask bench load`'s.
pub(crate) fn build_release() -> Result<PathBuf> {
    let args = [
        "build",
        "--release",
        "--locked",
        "-p",
        "identity-http",
        "--bin",
        "identity",
        "--message-format=json-render-diagnostics",
    ];
    eprintln!("$ cargo {}", args.join(" "));
    let output =
        cargo_command().args(args).stderr(Stdio::inherit()).output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err("the release build of identity failed".into());
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "identity")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo built no `identity` executable".into())
}

/// What went into the build context.
struct Staged {
    binary: u64,
    libraries: Vec<String>,
    library_bytes: u64,
    certificates: u64,
}

const PASSWD: &str = "root:x:0:0:root:/root:/sbin/nologin\n\
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n\
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n";
const GROUP: &str = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n";
const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The error of staging `what`.
fn io(what: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("cannot stage {}: {e}", what.display())
}

/// Stages the image's whole tree in `context` (emptied first).
fn stage(binary: &Path, context: &Path) -> Result<Staged> {
    if context.exists() {
        std::fs::remove_dir_all(context).map_err(|e| format!("cannot empty {}: {e}", context.display()))?;
    }
    for dir in ["etc/ssl/certs", "home/nonroot", "tmp"] {
        std::fs::create_dir_all(context.join(dir)).map_err(io(&context.join(dir)))?;
    }
    // /tmp as on every system (and distroless): sticky, world-writable.
    set_mode(&context.join("tmp"), 0o1777)?;
    let stripped = context.join("identity");
    let status = Command::new("strip")
        .arg("--strip-all")
        .arg("-o")
        .arg(&stripped)
        .arg(binary)
        .status()
        .map_err(|e| format!("cannot run strip (Debian: binutils): {e}"))?;
    if !status.success() {
        return Err(format!("strip --strip-all {} failed ({status})", binary.display()));
    }
    let mut libraries = Vec::new();
    let mut library_bytes = 0;
    for library in needed_libraries(&stripped)? {
        let to = context.join(library.trim_start_matches('/'));
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        // The file itself, through its symbolic links, at the path the loader asks for.
        library_bytes += std::fs::copy(&library, &to).map_err(io(Path::new(&library)))?;
        libraries.push(library);
    }
    let certificates = std::fs::copy(CA_BUNDLE, context.join(CA_BUNDLE.trim_start_matches('/')))
        .map_err(|e| format!("cannot stage {CA_BUNDLE} (Debian: ca-certificates): {e}"))?;
    std::fs::write(context.join("etc/passwd"), PASSWD).map_err(io(Path::new("etc/passwd")))?;
    std::fs::write(context.join("etc/group"), GROUP).map_err(io(Path::new("etc/group")))?;
    let binary = std::fs::metadata(&stripped).map_err(io(&stripped))?.len();
    Ok(Staged { binary, libraries, library_bytes, certificates })
}

fn set_mode(path: &Path, mode: u32) -> Result {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("cannot chmod {}: {e}", path.display()))
}

/// The absolute paths `ldd` prints for `binary`: each library it resolves and the loader.
fn needed_libraries(binary: &Path) -> Result<Vec<String>> {
    let output = Command::new("ldd").arg(binary).output().map_err(|e| format!("cannot run ldd: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!("ldd {} failed: {text}", binary.display()));
    }
    parse_ldd(&text)
}

fn parse_ldd(text: &str) -> Result<Vec<String>> {
    let mut paths = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.contains("not found") {
            return Err(format!("ldd: {line}"));
        }
        let path = match line.split_once("=>") {
            Some((_, resolved)) => resolved.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        // linux-vdso.so.1 is the kernel's, no file.
        if let Some(path) = path.filter(|p| p.starts_with('/')) {
            paths.push(path.to_owned());
        }
    }
    if !paths.iter().any(|p| p.contains("/ld-linux")) {
        return Err(format!("ldd names no loader: {text}"));
    }
    Ok(paths)
}

/// The run's own directory under /tmp: buildah's storage and run roots, the read-only mount
/// point. Removed when dropped.
struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    fn create() -> Result<Self> {
        let path = std::env::temp_dir().join(format!("{WORK_PREFIX}{}", std::process::id()));
        if path.exists() {
            remove_work_dir(&path);
        }
        std::fs::create_dir_all(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(Self { path })
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        remove_work_dir(&self.path);
    }
}

/// Unmounts what is mounted under `dir` (deepest first), then removes it.
fn remove_work_dir(dir: &Path) {
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut points: Vec<&str> = mounts
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .filter(|point| Path::new(point).starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for point in points {
        let _ = Command::new("umount").arg(point).status();
    }
    if let Err(e) = std::fs::remove_dir_all(dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        eprintln!("xtask: cannot remove {}: {e}", dir.display());
    }
}

/// The work directories of runs that were killed before cleaning up (their pid is gone).
fn remove_stale_work_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.map_while(std::result::Result::ok) {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(WORK_PREFIX)) else { continue };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            eprintln!("xtask: removing {} (left by a run that was killed)", entry.path().display());
            remove_work_dir(&entry.path());
        }
    }
}

/// buildah on this run's own storage (vfs: no overlay or fuse needed).
struct Buildah {
    root: PathBuf,
    runroot: PathBuf,
}

impl Buildah {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("buildah");
        command.arg("--root").arg(&self.root).arg("--runroot").arg(&self.runroot);
        command.args(["--storage-driver", "vfs"]).args(args);
        command
    }

    /// Runs `buildah ARGS`, its output shown.
    fn run(&self, args: &[&str]) -> Result {
        eprintln!("$ buildah --storage-driver vfs {}", args.join(" "));
        let status = self.command(args).status().map_err(|e| format!("cannot run buildah: {e}"))?;
        if status.success() { Ok(()) } else { Err(format!("`buildah {}` failed ({status})", args.join(" "))) }
    }

    /// The standard output of `buildah ARGS`.
    fn output(&self, args: &[&str]) -> Result<String> {
        let output = self.command(args).output().map_err(|e| format!("cannot run buildah: {e}"))?;
        if !output.status.success() {
            return Err(format!("`buildah {}` failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr)));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }
}

/// What the image says about itself (`buildah inspect`).
struct ImageConfig {
    id: String,
    /// The layers' bytes (uncompressed tar), as the manifest states them.
    size: u64,
    user: String,
    env: Vec<(String, String)>,
    /// ENTRYPOINT then CMD.
    command: Vec<String>,
}

impl ImageConfig {
    fn inspect(buildah: &Buildah) -> Result<Self> {
        let text = buildah.output(&["inspect", "--type", "image", NAME])?;
        let inspected: Value = serde_json::from_str(&text).map_err(|e| format!("buildah inspect: {e}"))?;
        let manifest: Value = serde_json::from_str(inspected["Manifest"].as_str().unwrap_or_default())
            .map_err(|e| format!("the image's manifest: {e}"))?;
        let size = manifest["layers"].as_array().into_iter().flatten().filter_map(|l| l["size"].as_u64()).sum();
        let config = &inspected["OCIv1"]["config"];
        let strings = |value: &Value| -> Vec<String> {
            value.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_owned)).collect()
        };
        let env = strings(&config["Env"])
            .into_iter()
            .filter_map(|pair| pair.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
            .collect();
        let mut command = strings(&config["Entrypoint"]);
        command.extend(strings(&config["Cmd"]));
        if command.is_empty() {
            return Err("the image has no ENTRYPOINT or CMD".into());
        }
        Ok(Self {
            id: inspected["FromImageID"].as_str().unwrap_or_default().to_owned(),
            size,
            user: config["User"].as_str().unwrap_or_default().to_owned(),
            env,
            command,
        })
    }

    /// USER as numbers (`uid:gid`); a name or no USER at all is refused (Kubernetes'
    /// runAsNonRoot cannot verify a name either).
    fn user(&self) -> Result<(u32, u32)> {
        let (uid, gid) = self.user.split_once(':').unwrap_or((&self.user, &self.user));
        match (uid.parse(), gid.parse()) {
            (Ok(uid), Ok(gid)) => Ok((uid, gid)),
            _ => Err(format!("the image's USER is {:?}: it must be numeric, uid:gid", self.user)),
        }
    }
}

/// A working container of the image, its root mounted. Unmounted and removed when dropped.
struct Container<'a> {
    buildah: &'a Buildah,
    name: String,
    root: PathBuf,
}

impl<'a> Container<'a> {
    fn mount(buildah: &'a Buildah) -> Result<Self> {
        let name = buildah.output(&["from", "--pull=never", NAME])?;
        let mut container = Self { buildah, name, root: PathBuf::new() };
        container.root = PathBuf::from(buildah.output(&["mount", &container.name])?);
        Ok(container)
    }
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        let _ = self.buildah.output(&["umount", &self.name]);
        if let Err(e) = self.buildah.output(&["rm", &self.name]) {
            eprintln!("xtask: {e}");
        }
    }
}

/// A read-only bind mount of the image's root. Unmounted when dropped.
struct ReadOnly {
    path: PathBuf,
}

impl ReadOnly {
    fn bind(root: &Path, path: &Path) -> Result<Self> {
        std::fs::create_dir_all(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let mount = |args: &[&str]| -> Result {
            let output = Command::new("mount").args(args).output().map_err(|e| format!("cannot run mount: {e}"))?;
            if output.status.success() {
                Ok(())
            } else {
                Err(format!("`mount {}`: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()))
            }
        };
        mount(&["--bind", &root.to_string_lossy(), &path.to_string_lossy()])?;
        let read_only = Self { path: path.to_path_buf() };
        mount(&["-o", "remount,ro,bind", &path.to_string_lossy()])?;
        // Even root cannot write there now.
        let probe = path.join(".xtask-write-probe");
        if std::fs::write(&probe, b"").is_ok() {
            let _ = std::fs::remove_file(&probe);
            return Err(format!("{} is still writable after remount,ro", path.display()));
        }
        Ok(read_only)
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

#[derive(Clone, Copy)]
enum Backend {
    /// No store configured: in memory, in-process codes and bus.
    Embedded,
    /// PostgreSQL, Redis and RabbitMQ on this machine.
    Stores,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Self::Embedded => "embedded",
            Self::Stores => "postgres+redis+rabbitmq",
        }
    }
}

/// The run of the image on one backend.
struct Run {
    backend: Backend,
    ready: Duration,
    ids: String,
    stop: Duration,
}

/// The stores of one run: a PostgreSQL database, a Redis key prefix and a RabbitMQ virtual
/// host of its own. Removed when dropped.
struct Stores {
    tag: String,
    database: bool,
    vhost: bool,
}

impl Stores {
    fn create() -> Result<Self> {
        remove_stale_stores();
        let tag = format!("{STORES_PREFIX}{}", std::process::id());
        let mut stores = Self { tag, database: false, vhost: false };
        psql(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", stores.tag))?;
        psql(&format!("CREATE DATABASE \"{}\"", stores.tag))?;
        stores.database = true;
        let _ = rabbitmqctl(&["delete_vhost", &stores.tag]);
        rabbitmqctl(&["add_vhost", &stores.tag])?;
        stores.vhost = true;
        rabbitmqctl(&["set_permissions", "-p", &stores.tag, "guest", ".*", ".*", ".*"])?;
        Ok(stores)
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("DATABASE_URL".into(), format!("postgres://postgres@127.0.0.1:5432/{}", self.tag)),
            ("REDIS_URL".into(), "redis://127.0.0.1:6379".into()),
            ("REDIS_KEY_PREFIX".into(), format!("{}:", self.tag)),
            ("AMQP_URL".into(), format!("amqp://guest:guest@127.0.0.1:5672/{}", self.tag)),
            ("AMQP_EXCHANGE".into(), format!("{}.events", self.tag)),
        ]
    }
}

/// The databases and virtual hosts of runs that were killed before cleaning up (their pid is
/// gone).
fn remove_stale_stores() {
    let dead = |name: &str| {
        name.strip_prefix(STORES_PREFIX)
            .is_some_and(|pid| pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists())
    };
    let query = format!("SELECT datname FROM pg_database WHERE datname LIKE '{}%'", STORES_PREFIX.replace('_', "\\_"));
    let databases = run_quiet("psql", &["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-Atc", &query]);
    for name in databases.unwrap_or_default().lines().filter(|n| dead(n)) {
        eprintln!("xtask: dropping the database {name} (left by a run that was killed)");
        let _ = psql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
    }
    for name in run_quiet("rabbitmqctl", &["-q", "list_vhosts"]).unwrap_or_default().lines().filter(|n| dead(n)) {
        eprintln!("xtask: deleting the RabbitMQ virtual host {name} (left by a run that was killed)");
        let _ = rabbitmqctl(&["delete_vhost", name]);
    }
    let pattern = format!("{STORES_PREFIX}*");
    let keys = run_quiet("redis-cli", &["--scan", "--pattern", &pattern]).unwrap_or_default();
    let mut prefixes: Vec<&str> = keys.lines().filter_map(|key| key.split(':').next()).filter(|p| dead(p)).collect();
    prefixes.sort_unstable();
    prefixes.dedup();
    for prefix in prefixes {
        eprintln!("xtask: deleting the Redis keys {prefix}:* (left by a run that was killed)");
        delete_keys(prefix);
    }
}

/// Deletes the Redis keys `<prefix>:*`.
fn delete_keys(prefix: &str) {
    let script = format!("redis-cli --scan --pattern '{prefix}:*' | xargs -r redis-cli del > /dev/null");
    let _ = Command::new("sh").args(["-c", &script]).status();
}

impl Drop for Stores {
    fn drop(&mut self) {
        if self.database
            && let Err(e) = psql(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.tag))
        {
            eprintln!("xtask: {e}");
        }
        delete_keys(&self.tag);
        if self.vhost
            && let Err(e) = rabbitmqctl(&["delete_vhost", &self.tag])
        {
            eprintln!("xtask: {e}");
        }
    }
}

fn psql(statement: &str) -> Result {
    let output = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", statement])
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("`{statement}` failed: {}", String::from_utf8_lossy(&output.stderr).trim()))
    }
}

fn rabbitmqctl(args: &[&str]) -> Result {
    let output = Command::new("rabbitmqctl")
        .arg("-q")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run rabbitmqctl: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("`rabbitmqctl {}` failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()))
    }
}

/// The image's process (chroot executes it: the child is `identity` itself, which starts no
/// processes). Killed when dropped. It stays in xtask's process group, so a Ctrl-C stops it too;
/// a watchdog kills it if xtask itself is killed (no `Drop` then).
struct Process {
    child: Child,
    watchdog: Option<Child>,
}

impl Process {
    fn new(child: Child) -> Self {
        let script = format!(
            "while kill -0 {} 2>/dev/null; do sleep 1; done; kill -KILL {} 2>/dev/null",
            std::process::id(),
            child.id()
        );
        let watchdog = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok();
        Self { child, watchdog }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(watchdog) = &mut self.watchdog {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs the image's command in `rootfs` on `backend`: ready, a register + login round trip,
/// the user it runs as, and the graceful stop.
fn run_image(rootfs: &Path, config: &ImageConfig, backend: Backend, log: &Path) -> Result<Run> {
    let stores = match backend {
        Backend::Embedded => None,
        Backend::Stores => Some(Stores::create()?),
    };
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let file = std::fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| e.to_string())?;
    let mut command = Command::new("chroot");
    command
        .arg(format!("--userspec={}", config.user))
        .arg(rootfs)
        .args(&config.command)
        .current_dir("/")
        // The image's environment and nothing of this shell's, as a container runtime does.
        .env_clear()
        .envs(config.env.iter().map(|(k, v)| (k, v)))
        // A free port on loopback, not the image's 8080, which may be taken here.
        .env("BIND_ADDR", "127.0.0.1")
        .env("PORT", "0")
        .env("SHUTDOWN_DRAIN_SECONDS", "0")
        .env("SHUTDOWN_TIMEOUT_SECONDS", "5")
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err);
    if let Some(stores) = &stores {
        command.envs(stores.env());
    }
    let shown: Vec<_> = command.get_args().map(|a| a.to_string_lossy()).collect();
    eprintln!("$ chroot {} ({})", shown.join(" "), backend.name());
    let started = Instant::now();
    let child = command.spawn().map_err(|e| format!("cannot run chroot: {e}"))?;
    let mut process = Process::new(child);
    let base = format!("http://127.0.0.1:{}", wait_for_port(&mut process, log)?);
    wait_ready(&mut process, &base)?;
    let ready = started.elapsed();
    let ids = running_as(process.child.id())?;
    round_trip(&base)?;
    if stores.is_some() {
        // RabbitMQ does not gate readiness: its connection is waited for in the log.
        wait_for_log(&mut process, log, "connected to RabbitMQ")?;
    }

    let stopping = Instant::now();
    let kill = Command::new("kill").args(["-TERM", &process.child.id().to_string()]).status();
    if !kill.is_ok_and(|s| s.success()) {
        return Err("cannot send SIGTERM".into());
    }
    let status = loop {
        if let Some(status) = process.child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if stopping.elapsed() > STOP_WITHIN {
            return Err(format!("still running {}s after SIGTERM", STOP_WITHIN.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stop = stopping.elapsed();
    if !status.success() {
        return Err(format!("exited with {status} after SIGTERM, not 0"));
    }
    drop(stores);
    Ok(Run { backend, ready, ids, stop })
}

/// The port of the `identity is listening` log line.
fn wait_for_port(process: &mut Process, log: &Path) -> Result<u16> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = process.child.try_wait() {
            return Err(format!("exited at start-up ({status}): {}", tail(log)));
        }
        let port = log_lines(log).into_iter().find_map(|line| {
            let fields = &line["fields"];
            (fields["message"].as_str()?.starts_with("identity is listening")).then_some(())?;
            fields["port"].as_u64().and_then(|p| u16::try_from(p).ok())
        });
        if let Some(port) = port {
            return Ok(port);
        }
        if Instant::now() > deadline {
            return Err(format!("not listening within 60 s: {}", tail(log)));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits (up to 30 s) for a log line whose message starts with `message`.
fn wait_for_log(process: &mut Process, log: &Path, message: &str) -> Result {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = process.child.try_wait() {
            return Err(format!("exited ({status}) before logging {message:?}"));
        }
        let found = log_lines(log)
            .iter()
            .any(|line| line["fields"]["message"].as_str().is_some_and(|m| m.starts_with(message)));
        if found {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("no {message:?} in the log within 30 s: {}", tail(log)));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The last lines of a log, for an error message.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

/// `GET /ready` until 200.
fn wait_ready(process: &mut Process, base: &str) -> Result {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = process.child.try_wait() {
            return Err(format!("exited before it was ready ({status})"));
        }
        let answer = request(base, "GET", "/ready", None, None);
        if matches!(answer, Ok((200, _))) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("GET /ready not 200 within 60 s (last: {answer:?})"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The real and effective uid and gid of `pid`, from /proc: all must be the non-root user.
fn running_as(pid: u32) -> Result<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| format!("/proc/{pid}: {e}"))?;
    let field = |name: &str| -> Vec<u32> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|rest| rest.split_whitespace().filter_map(|n| n.parse().ok()).collect())
            .unwrap_or_default()
    };
    let (uids, gids, groups) = (field("Uid:"), field("Gid:"), field("Groups:"));
    let ok = |ids: &[u32]| !ids.is_empty() && ids.iter().all(|&id| id == NONROOT);
    if !ok(&uids) || !ok(&gids) || groups.iter().any(|&g| g != NONROOT) {
        return Err(format!("runs as uid {uids:?}, gid {gids:?}, groups {groups:?}: not only {NONROOT}"));
    }
    Ok(format!("{NONROOT}/{NONROOT}"))
}

/// Registers an account and signs it in.
fn round_trip(base: &str) -> Result {
    let email = format!("image-check-{}@example.com", std::process::id());
    let body = json!({ "email": email, "password": "image check: correct horse battery staple" });
    let (status, answer) = request(base, "POST", "/v1/auth/register", None, Some(&body))?;
    if status != 201 {
        return Err(format!("POST /v1/auth/register answered {status}: {answer}"));
    }
    let (status, answer) = request(base, "POST", "/v1/auth/login", None, Some(&body))?;
    let Some(token) = answer["access_token"].as_str().filter(|_| status == 200) else {
        return Err(format!("POST /v1/auth/login answered {status}: {answer}"));
    };
    let (status, me) = request(base, "GET", "/v1/users/me", Some(token), None)?;
    if status != 200 || me["email"] != email {
        return Err(format!("GET /v1/users/me with the token answered {status}: {me}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_user_as_numbers_only() {
        let config = |user: &str| super::ImageConfig {
            id: String::new(),
            size: 0,
            user: user.into(),
            env: Vec::new(),
            command: vec!["/identity".into()],
        };
        assert_eq!(config("65532:65532").user().unwrap(), (65532, 65532));
        assert_eq!(config("65532").user().unwrap(), (65532, 65532));
        assert_eq!(config("0:0").user().unwrap(), (0, 0));
        assert!(config("nonroot").user().is_err());
        assert!(config("").user().is_err());
    }

    #[test]
    fn reads_the_libraries_and_the_loader_from_ldd() {
        let ldd = "\tlinux-vdso.so.1 (0x00007ffd)\n\
                   \tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f0c)\n\
                   \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0c)\n\
                   \t/lib64/ld-linux-x86-64.so.2 (0x00007f0c)\n";
        assert_eq!(
            super::parse_ldd(ldd).unwrap(),
            ["/lib/x86_64-linux-gnu/libgcc_s.so.1", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]
        );
        assert!(super::parse_ldd("\tlibssl.so.3 => not found\n\t/lib64/ld-linux-x86-64.so.2 (0x1)\n").is_err());
        assert!(super::parse_ldd("\tstatically linked\n").is_err());
    }
}
