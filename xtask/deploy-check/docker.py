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
