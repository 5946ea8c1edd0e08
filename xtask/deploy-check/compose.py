"""deploy/compose.yaml, parsed with PyYAML. See check.py."""

import posixpath
import re
import urllib.parse

from kube import PORT

COMPOSE_IMAGES = {
    "postgres": (r"^postgres:16(\.\d+)*(-[a-z0-9.]+)?$", "postgres:16…"),
    "redis": (r"^redis:7(\.\d+)*(-[a-z0-9.]+)?$", "redis:7…"),
    "rabbitmq": (r"^rabbitmq:3(\.\d+)*-management(-[a-z0-9.]+)?$", "rabbitmq:3…-management…"),
    "mailpit": (r"^axllent/mailpit:v1\.\d+(\.\d+)?$", "axllent/mailpit:v1.N"),
}
# Keys of the Compose specification (top level and services), to catch misspellings.
COMPOSE_TOP = {"name", "services", "volumes", "networks", "secrets", "configs", "include", "models"}
COMPOSE_SERVICE = {
    "annotations",
    "attach",
    "build",
    "blkio_config",
    "cap_add",
    "cap_drop",
    "cgroup",
    "cgroup_parent",
    "command",
    "configs",
    "container_name",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpus",
    "cpuset",
    "credential_spec",
    "depends_on",
    "deploy",
    "develop",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "gpus",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "labels",
    "links",
    "logging",
    "mac_address",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "post_start",
    "pre_stop",
    "privileged",
    "profiles",
    "pull_policy",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "user",
    "userns_mode",
    "uts",
    "volumes",
    "volumes_from",
    "working_dir",
}


def environment(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {k: (str(v) if v is not None else None) for k, v in env.items()}


def check_compose(compose):
    errors = []
    if not isinstance(compose, dict):
        return ["deploy/compose.yaml: not a mapping"]
    for key in compose:
        if key not in COMPOSE_TOP and not key.startswith("x-"):
            errors.append(f"compose: unknown top-level key {key}")
    services = compose.get("services") or {}
    for name, service in services.items():
        for key in service or {}:
            if key not in COMPOSE_SERVICE and not key.startswith("x-"):
                errors.append(f"compose: service {name}: unknown key {key}")
    for name in ["identity", *COMPOSE_IMAGES]:
        if name not in services:
            errors.append(f"compose: no service {name}")
    if errors:
        return errors
    for name, (pattern, want) in COMPOSE_IMAGES.items():
        image = str(services[name].get("image", ""))
        if not re.match(pattern, image):
            errors.append(f"compose: service {name}: image {image!r} is not pinned to {want}")
    for name, service in services.items():
        image = str(service.get("image", ""))
        if image.endswith(":latest") or (
            image and ":" not in image.rsplit("/", 1)[-1] and "@" not in image and "build" not in service
        ):
            errors.append(f"compose: service {name}: image {image!r} needs a pinned tag")
        if name == "identity":
            continue
        test = (service.get("healthcheck") or {}).get("test")
        if not test or (isinstance(test, list) and test[0] not in ("CMD", "CMD-SHELL")) or test == ["NONE"]:
            errors.append(f"compose: service {name}: needs a healthcheck with a test")
    identity = services["identity"]
    # Paths in compose.yaml are relative to deploy/; the Dockerfile to the build context.
    build = identity.get("build")
    context = (
        posixpath.normpath(posixpath.join("deploy", build.get("context", "."))) if isinstance(build, dict) else None
    )
    built_from = posixpath.normpath(posixpath.join(context, build.get("dockerfile", "Dockerfile"))) if context else None
    if (context, built_from) != (".", "deploy/Dockerfile"):
        errors.append("compose: service identity: build must use context .. and dockerfile deploy/Dockerfile")
    # docs/deploy.md makes the first admin with `docker compose run --rm identity create-admin
    # EMAIL`: the arguments after the service name must reach the image's /identity.
    if "entrypoint" in identity:
        errors.append(
            "compose: service identity: no entrypoint (`run identity create-admin EMAIL` passes its "
            "arguments to the image's ENTRYPOINT /identity)"
        )
    depends = identity.get("depends_on") or {}
    for name in COMPOSE_IMAGES:
        condition = (depends.get(name) or {}).get("condition") if isinstance(depends, dict) else None
        if condition != "service_healthy":
            errors.append(f"compose: service identity: depends_on {name} must have condition service_healthy")
    env = environment(identity)
    urls = {
        "DATABASE_URL": ("postgres", 5432, ("postgres", "postgresql")),
        "REDIS_URL": ("redis", 6379, ("redis",)),
        "AMQP_URL": ("rabbitmq", 5672, ("amqp",)),
        "SMTP_URL": ("mailpit", 1025, ("smtp",)),
    }
    for var, (host, port, schemes) in urls.items():
        url = urllib.parse.urlsplit(env.get(var) or "")
        if url.scheme not in schemes or url.hostname != host or (url.port or port) != port:
            errors.append(f"compose: service identity: {var} must be a {schemes[0]}:// URL of {host}:{port}")
    db = urllib.parse.urlsplit(env.get("DATABASE_URL") or "")
    pg = environment(services["postgres"])
    if (db.username, db.password, db.path.lstrip("/")) != (
        pg.get("POSTGRES_USER"),
        pg.get("POSTGRES_PASSWORD"),
        pg.get("POSTGRES_DB"),
    ):
        errors.append(
            "compose: DATABASE_URL's user, password and database differ from postgres' POSTGRES_USER/PASSWORD/DB"
        )
    mq = urllib.parse.urlsplit(env.get("AMQP_URL") or "")
    rabbit = environment(services["rabbitmq"])
    if (mq.username, mq.password) != (rabbit.get("RABBITMQ_DEFAULT_USER"), rabbit.get("RABBITMQ_DEFAULT_PASS")):
        errors.append("compose: AMQP_URL's user and password differ from rabbitmq's RABBITMQ_DEFAULT_USER/PASS")
    if not any(str(p).split(":")[-1].split("/")[0] == str(PORT) for p in identity.get("ports") or []):
        errors.append(f"compose: service identity: must publish port {PORT}")
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source and not source.startswith((".", "/", "~")) and source not in declared:
                errors.append(f"compose: service {name}: volume {source} is not declared")
    return errors
