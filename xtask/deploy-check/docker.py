"""deploy/Dockerfile, parsed with BuildKit's parser (the `dockerfile` package). See check.py."""

import re

from kube import PORT


def expand(text, args):
    return re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), text)


def check_dockerfile(commands, toolchain, dockerignore):
    errors, args, stages = [], {}, []
    for c in commands:
        if c.cmd == "FROM":
            value = list(c.value)
            alias = value[2] if len(value) >= 3 and value[1].upper() == "AS" else None
            stages.append({"image": expand(value[0], args), "name": alias, "commands": []})
        elif not stages:
            if c.cmd == "ARG":
                for item in c.value:
                    key, _, default = item.partition("=")
                    args[key] = default
        else:
            stages[-1]["commands"].append(c)
    if len(stages) < 2:
        return [f"Dockerfile: needs build and runtime stages (multi-stage), found {len(stages)} stage(s)"]
    for stage in stages:
        image = stage["image"]
        last = image.rsplit("/", 1)[-1]
        if "@" not in image and (":" not in last or last.endswith(":latest") or "$" in image):
            errors.append(f"Dockerfile: base image {image} needs a pinned tag (not latest) or digest")
    builder, final = stages[:-1], stages[-1]
    first = builder[0]["image"]
    if not re.match(rf"^(docker\.io/(library/)?)?rust:{re.escape(toolchain)}(-|$)", first):
        errors.append(f"Dockerfile: the build stage is {first}, not rust:{toolchain}… of rust-toolchain.toml")
    builds = [c for s in builder for c in s["commands"] if c.cmd == "RUN" and "cargo build" in " ".join(c.value)]
    if not builds:
        errors.append("Dockerfile: no `cargo build` in a build stage")
    for c in builds:
        line = " ".join(c.value)
        for flag in ("--release", "--locked"):
            if flag not in line.split():
                errors.append(f"Dockerfile:{c.start_line}: cargo build needs {flag}")
    runs = [c for c in final["commands"] if c.cmd == "RUN"]
    if runs:
        errors.append(f"Dockerfile:{runs[0].start_line}: the runtime stage must need no shell (no RUN)")
    users = [c.value[0] for c in final["commands"] if c.cmd == "USER"]
    user = users[-1] if users else None
    if user is not None and user.split(":")[0] in ("root", "0"):
        errors.append(f"Dockerfile: the runtime stage runs as {user}: use a non-root user")
    if user is None and not final["image"].endswith(":nonroot"):
        errors.append("Dockerfile: the runtime stage needs USER <non-root> or a :nonroot base image")
    stage_names = {s["name"] for s in builder if s["name"]}
    copies = [
        c
        for c in final["commands"]
        if c.cmd == "COPY" and any(f.split("=", 1)[-1] in stage_names for f in c.flags if f.startswith("--from="))
    ]
    if not copies:
        errors.append("Dockerfile: the runtime stage must COPY --from a build stage")
    entry = [c for c in final["commands"] if c.cmd == "ENTRYPOINT"]
    if not entry or not entry[-1].json or list(entry[-1].value) != ["/identity"]:
        errors.append('Dockerfile: the runtime stage needs ENTRYPOINT ["/identity"] (JSON form: no shell)')
    exposed = {p.split("/")[0] for c in final["commands"] if c.cmd == "EXPOSE" for p in c.value}
    if str(PORT) not in exposed:
        errors.append(f"Dockerfile: the runtime stage must EXPOSE {PORT}")
    ignored = {line.strip().strip("/") for line in (dockerignore or "").splitlines()}
    if dockerignore is None:
        errors.append(".dockerignore: missing at the repository root (the build context)")
    elif not {"target", ".git"} <= ignored:
        errors.append(".dockerignore: must exclude target and .git")
    return errors


# The instructions of the runtime stage that deploy/Containerfile.local must repeat.
RUNTIME_SETTINGS = ("USER", "ENV", "EXPOSE", "ENTRYPOINT", "CMD")


def runtime_settings(commands):
    """The last USER, ENV, … of the last stage, each as (JSON form, values)."""
    froms = [n for n, c in enumerate(commands) if c.cmd == "FROM"]
    final = commands[froms[-1] :] if froms else commands
    return {c.cmd: (c.json, c.value) for c in final if c.cmd in RUNTIME_SETTINGS}


def check_containerfile(commands, dockerfile_commands):
    """deploy/Containerfile.local (`cargo xtask image`): one stage from scratch, a numeric
    non-root USER, and the Dockerfile's runtime USER, ENV, EXPOSE, ENTRYPOINT and CMD."""
    if commands is None:
        return ["Containerfile.local: missing (deploy/Containerfile.local, built by `cargo xtask image`)"]
    errors = []
    froms = [c for c in commands if c.cmd == "FROM"]
    if len(froms) != 1 or list(froms[0].value) != ["scratch"]:
        errors.append("Containerfile.local: one stage, FROM scratch (the staged tree is the whole image)")
    if any(c.cmd == "RUN" for c in commands):
        errors.append("Containerfile.local: no RUN (buildah cannot run containers here)")
    ours, theirs = runtime_settings(commands), runtime_settings(dockerfile_commands)
    user = ours.get("USER", (False, ("",)))[1][0]
    uid, _, gid = user.partition(":")
    if not uid.isdigit() or uid == "0" or (gid and (not gid.isdigit() or gid == "0")):
        errors.append(f"Containerfile.local: USER {user or '(none)'}: needs a numeric non-root uid:gid")
    for cmd in RUNTIME_SETTINGS:
        if ours.get(cmd) != theirs.get(cmd):
            errors.append(
                f"Containerfile.local: {cmd} {ours.get(cmd, (0, ('(none)',)))[1]} differs from deploy/Dockerfile's "
                f"runtime stage {theirs.get(cmd, (0, ('(none)',)))[1]}"
            )
    return errors
