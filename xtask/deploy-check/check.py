"""Offline checks of deploy/, run by `cargo xtask deploy-check` in its virtual environment.

1. Kubernetes (deploy/k8s): every object validated strictly. Built-in kinds by
   kubernetes-validate against the OpenAPI schemas it bundles for one Kubernetes version: the
   check `kubernetes-validate --strict` makes, except that a kind it has no schema for (a
   misspelt or removed apiVersion) fails instead of being a warning. Custom resources
   (ServiceMonitor, SecretProviderClass) against the schemas in schemas/. Then the project's
   rules (non-root, read-only root, dropped capabilities, probes, secrets only as files, …),
   the references between objects and the kustomizations.
2. Compose (deploy/compose.yaml), parsed with PyYAML: the services, images pinned to their
   major versions, health checks, identity starting after its dependencies are healthy, and
   its URLs pointing at them.
3. Dockerfile (deploy/Dockerfile), parsed with BuildKit's parser: multi-stage, the toolchain
   of rust-toolchain.toml, `cargo build --release --locked`, a non-root user, no shell needed.
4. deploy/Containerfile.local (`cargo xtask image`): FROM scratch, a numeric non-root USER, and
   the same USER, ENV, EXPOSE, ENTRYPOINT and CMD as the Dockerfile's runtime stage.

A self-test then breaks each rule on a copy of the inputs and expects the checks to fail, so
no check passes vacuously. Exit status 1 on any failure.
"""

import argparse
import copy
import json
import pathlib
import sys
import time
import tomllib

import dockerfile
import yaml

from compose import check_compose
from docker import check_containerfile, check_dockerfile
from kube import CUSTOM_SCHEMAS, check_kubernetes, name_of

HERE = pathlib.Path(__file__).resolve().parent


class Inputs:
    """Everything checked, parsed once; the self-test checks mutated copies."""

    def __init__(self, root):
        k8s_dir = root / "deploy" / "k8s"
        self.k8s = {}
        for path in sorted(k8s_dir.rglob("*")):
            if path.is_file() and path.suffix in (".yaml", ".yml"):
                rel = path.relative_to(root).as_posix()
                self.k8s[rel] = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        self.compose = yaml.safe_load((root / "deploy" / "compose.yaml").read_text())
        self.dockerfile = list(dockerfile.parse_file(str(root / "deploy" / "Dockerfile")))
        local = root / "deploy" / "Containerfile.local"
        self.containerfile = list(dockerfile.parse_file(str(local))) if local.exists() else None
        ignore = root / ".dockerignore"
        self.dockerignore = ignore.read_text() if ignore.exists() else None
        toolchain = tomllib.loads((root / "rust-toolchain.toml").read_text())
        self.toolchain = toolchain["toolchain"]["channel"]
        self.schemas = {key: json.loads((HERE / "schemas" / name).read_text()) for key, name in CUSTOM_SCHEMAS.items()}


# Self-test: each broken copy must fail with the expected message.


def find(inputs, kind, name=None):
    for docs in inputs.k8s.values():
        for doc in docs:
            if doc.get("kind") == kind and (name is None or name_of(doc) == name):
                return doc
    raise LookupError(kind)


def container(inputs, kind="Deployment", name=None):
    return find(inputs, kind, name)["spec"]["template"]["spec"]["containers"][0]


def env_var(inputs, job, var):
    return next(e for e in container(inputs, "Job", job)["env"] if e["name"] == var)


def replace_run(inputs, old, new):
    inputs.dockerfile = [
        c._replace(value=tuple(v.replace(old, new) for v in c.value)) if c.cmd == "RUN" else c
        for c in inputs.dockerfile
    ]


def first_stage(commands):
    second = [n for n, c in enumerate(commands) if c.cmd == "FROM"][1]
    return commands[:second]


def set_user(inputs, user):
    inputs.dockerfile = [c._replace(value=(user,)) if c.cmd == "USER" else c for c in inputs.dockerfile]


def set_local(inputs, cmd, value):
    inputs.containerfile = [c._replace(value=value) if c.cmd == cmd else c for c in inputs.containerfile]


BREAKAGES = [
    (
        "a writable root filesystem",
        "k8s",
        "readOnlyRootFilesystem",
        lambda i: container(i)["securityContext"].update(readOnlyRootFilesystem=False),
    ),
    (
        "an unknown field (strict)",
        "k8s",
        "Additional properties",
        lambda i: find(i, "Deployment")["spec"].update(replica=3),
    ),
    (
        "a removed apiVersion",
        "k8s",
        "has no kind",
        lambda i: find(i, "HorizontalPodAutoscaler").update(apiVersion="autoscaling/v2beta2"),
    ),
    (
        "a misspelt custom resource field",
        "k8s",
        "intervall",
        lambda i: find(i, "ServiceMonitor")["spec"]["endpoints"][0].update(intervall="30s"),
    ),
    (
        "a bad AWS secret object",
        "k8s",
        "objectTyp",
        lambda i: find(i, "SecretProviderClass")["spec"]["parameters"].update(
            objects="- objectName: x\n  objectTyp: secretsmanager\n"
        ),
    ),
    (
        "a secret as a plain variable",
        "k8s",
        "DATABASE_URL is a secret",
        lambda i: container(i)["env"].append({"name": "DATABASE_URL", "value": "postgres://u:p@db/x"}),
    ),
    (
        "a _FILE path outside the mounts",
        "k8s",
        "under no volume mount",
        lambda i: container(i)["env"].append({"name": "REDIS_URL_FILE", "value": "/etc/redis-url"}),
    ),
    (
        "readiness on /health",
        "k8s",
        "readinessProbe",
        lambda i: container(i)["readinessProbe"]["httpGet"].update(path="/health"),
    ),
    (
        "a migration Job that serves",
        "k8s",
        "identity migrate",
        lambda i: container(i, "Job", "identity-migrate").update(args=["serve"]),
    ),
    (
        "a create-admin Job without its address",
        "k8s",
        "identity create-admin $(ADMIN_EMAIL)",
        lambda i: container(i, "Job", "identity-create-admin").update(args=["create-admin"]),
    ),
    (
        "an address in the create-admin Job",
        "k8s",
        "ADMIN_EMAIL must be empty",
        lambda i: env_var(i, "identity-create-admin", "ADMIN_EMAIL").update(value="admin@example.com"),
    ),
    (
        "a create-admin Job without a secret of the Deployment",
        "k8s",
        "the Deployment's REDIS_URL_FILE",
        lambda i: container(i, "Job", "identity-create-admin")["env"].remove(
            env_var(i, "identity-create-admin", "REDIS_URL_FILE")
        ),
    ),
    (
        "no create-admin Job",
        "k8s",
        "no Job identity-create-admin",
        lambda i: i.k8s.pop("deploy/k8s/create-admin/job.yaml"),
    ),
    (
        "a Service selecting nothing",
        "k8s",
        "selects none",
        lambda i: find(i, "Service")["spec"]["selector"].update({"app.kubernetes.io/component": "web"}),
    ),
    (
        "an unlisted manifest",
        "k8s",
        "not listed",
        lambda i: i.k8s.update({"deploy/k8s/extra.yaml": [copy.deepcopy(find(i, "ConfigMap"))]}),
    ),
    (
        "postgres 15",
        "compose",
        "postgres:16",
        lambda i: i.compose["services"]["postgres"].update(image="postgres:15-alpine"),
    ),
    (
        "a dependency merely started",
        "compose",
        "depends_on redis",
        lambda i: i.compose["services"]["identity"]["depends_on"]["redis"].update(condition="service_started"),
    ),
    (
        "no health check",
        "compose",
        "rabbitmq: needs a healthcheck",
        lambda i: i.compose["services"]["rabbitmq"].pop("healthcheck"),
    ),
    (
        "an entrypoint that swallows create-admin",
        "compose",
        "no entrypoint",
        lambda i: i.compose["services"]["identity"].update(entrypoint=["/identity", "serve"]),
    ),
    (
        "a misspelt compose key",
        "compose",
        "unknown key healthchek",
        lambda i: i.compose["services"]["redis"].update(healthchek={}),
    ),
    ("no --locked", "dockerfile", "--locked", lambda i: replace_run(i, "--locked", "")),
    ("a root user", "dockerfile", "non-root", lambda i: set_user(i, "root")),
    ("another toolchain", "dockerfile", "rust-toolchain.toml", lambda i: setattr(i, "toolchain", "1.0.0")),
    ("one stage", "dockerfile", "multi-stage", lambda i: setattr(i, "dockerfile", first_stage(i.dockerfile))),
    ("a root user in Containerfile.local", "containerfile", "non-root", lambda i: set_local(i, "USER", ("0:0",))),
    ("a user by name in Containerfile.local", "containerfile", "numeric", lambda i: set_local(i, "USER", ("nonroot",))),
    ("another entry point locally", "containerfile", "ENTRYPOINT", lambda i: set_local(i, "ENTRYPOINT", ("/bin/sh",))),
    ("another base locally", "containerfile", "FROM scratch", lambda i: set_local(i, "FROM", ("debian:12",))),
    ("no Containerfile.local", "containerfile", "missing", lambda i: setattr(i, "containerfile", None)),
]


def run_checks(inputs, version, part):
    if part == "k8s":
        return check_kubernetes(inputs, version)[0]
    if part == "compose":
        return check_compose(inputs.compose)
    if part == "containerfile":
        return check_containerfile(inputs.containerfile, inputs.dockerfile)
    return check_dockerfile(inputs.dockerfile, inputs.toolchain, inputs.dockerignore)


def self_test(inputs, version):
    failures = []
    for what, part, expected, breakage in BREAKAGES:
        broken = copy.deepcopy(inputs)
        breakage(broken)
        errors = run_checks(broken, version, part)
        if not any(expected in e for e in errors):
            failures.append(f"self-test: {what} was not caught (expected {expected!r}; got {errors})")
    return failures


# ---------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path, required=True)
    parser.add_argument("--kubernetes-version", required=True)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    started = time.monotonic()
    try:
        inputs = Inputs(args.root)
    except (OSError, yaml.YAMLError, tomllib.TOMLDecodeError) as e:
        print(f"deploy-check: FAIL cannot read the inputs: {e}", file=sys.stderr)
        return 1
    errors, count = check_kubernetes(inputs, args.kubernetes_version)
    print(
        f"deploy-check: {count} Kubernetes objects in {len(inputs.k8s)} files against Kubernetes "
        f"{args.kubernetes_version} (strict) and {len(inputs.schemas)} custom resource schemas"
    )
    compose_errors = check_compose(inputs.compose)
    print(f"deploy-check: deploy/compose.yaml, {len((inputs.compose or {}).get('services') or {})} services")
    docker_errors = check_dockerfile(inputs.dockerfile, inputs.toolchain, inputs.dockerignore)
    print(f"deploy-check: deploy/Dockerfile, {len(inputs.dockerfile)} instructions")
    local_errors = check_containerfile(inputs.containerfile, inputs.dockerfile)
    print(f"deploy-check: deploy/Containerfile.local, {len(inputs.containerfile or [])} instructions")
    errors += compose_errors + docker_errors + local_errors
    if not errors:
        errors += self_test(inputs, args.kubernetes_version)
        print(f"deploy-check: self-test, {len(BREAKAGES)} broken copies")
    for error in errors:
        print(f"deploy-check: FAIL {error}", file=sys.stderr)
    print(f"deploy-check: {'failed' if errors else 'ok'} in {time.monotonic() - started:.1f}s")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
