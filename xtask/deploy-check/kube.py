"""Kubernetes manifests (deploy/k8s): strict schema validation, the project's rules, the
references between objects and the kustomizations. See check.py."""

import functools
import json
import pathlib
from collections import defaultdict

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import yaml

# The secret variables of docs/configuration.md: in manifests only their _FILE forms.
SECRET_VARS = {
    "DATABASE_URL",
    "REDIS_URL",
    "AMQP_URL",
    "SMTP_URL",
    "PASETO_SECRET_KEY",
    "SECRETS_ENCRYPTION_KEY",
}
PORT = 8080
REQUIRED_KINDS = {
    "Deployment",
    "Service",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Job",
    "NetworkPolicy",
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "ServiceMonitor",
    "SecretProviderClass",
}
# The one-off Jobs and what each runs (the image's entry point is /identity: these are its
# arguments). The create-admin Job names its account by ADMIN_EMAIL, set when it is applied.
JOBS = {
    "identity-migrate": ["migrate"],
    "identity-create-admin": ["create-admin", "$(ADMIN_EMAIL)"],
}
# Custom resources: kubernetes-validate knows built-in kinds only.
CUSTOM_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor-monitoring.coreos.com-v1.json",
    ("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass"): "secretproviderclass-secrets-store.csi.x-k8s.io-v1.json",
}


def name_of(doc):
    return (doc.get("metadata") or {}).get("name", "?")


def where(path, doc):
    return f"{path}: {doc.get('kind', '?')}/{name_of(doc)}"


@functools.cache
def _schema_contents(filename, version):
    return _original_schema_contents(filename, version)


# kubernetes-validate reads and parses its 1.4 MB definitions file for every object; the
# files never change, so read each once (validate() looks the function up in its module).
_original_schema_contents = kubernetes_validate.utils.schema_contents
kubernetes_validate.utils.schema_contents = _schema_contents


def validate_builtin(doc, version):
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as e:
        path = ".".join(str(p) for p in e.path) or "(top)"
        return [f"{path}: {e.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [
            f"Kubernetes {version} has no kind {doc.get('kind')} in {doc.get('apiVersion')} "
            "(misspelt or removed?), and a custom resource needs its schema in xtask/deploy-check/schemas/"
        ]
    return []


def validate_custom(doc, schema):
    def messages(instance, subschema, prefix=""):
        validator = jsonschema.Draft202012Validator(subschema)
        return [
            f"{'.'.join([prefix] * bool(prefix) + [str(p) for p in e.absolute_path]) or '(top)'}: {e.message}"
            for e in validator.iter_errors(instance)
        ]

    def definition(name):
        return {"$ref": f"#/$defs/{name}", "$defs": schema["$defs"]}

    errors = messages(doc, schema)
    spec = doc.get("spec") or {}
    if not errors and doc.get("kind") == "SecretProviderClass" and spec.get("provider") == "aws":
        # The AWS provider's parameters; `objects` is YAML inside a string.
        params = spec.get("parameters") or {}
        errors += messages(params, definition("awsParameters"), "spec.parameters")
        try:
            objects = yaml.safe_load(params.get("objects", ""))
        except yaml.YAMLError as e:
            return errors + [f"spec.parameters.objects: not YAML: {e}"]
        errors += messages(objects, definition("awsObjects"), "spec.parameters.objects")
    return errors


def pod_specs(doc):
    """(what, pod spec, pod labels) of a workload."""
    spec = doc.get("spec") or {}
    if doc.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        template = spec.get("template") or {}
    elif doc.get("kind") == "CronJob":
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
    else:
        return []
    return [(template.get("spec") or {}, (template.get("metadata") or {}).get("labels") or {})]


def selects(selector, labels):
    """Whether a Service's selector (a plain map) or a LabelSelector's matchLabels select the
    labels. matchExpressions are not evaluated: the manifests use matchLabels."""
    selector = selector or {}
    if "matchLabels" in selector or "matchExpressions" in selector:
        selector = selector.get("matchLabels") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_kubernetes(inputs, version):
    errors, objects = [], []
    kustomizations = {}
    for path, docs in inputs.k8s.items():
        if not path.endswith(".yaml"):
            errors.append(f"{path}: name manifests *.yaml")
        if pathlib.PurePosixPath(path).name == "kustomization.yaml":
            kustomizations[path] = docs[0] if docs else {}
            continue
        if not docs:
            errors.append(f"{path}: holds no Kubernetes object")
        for doc in docs:
            if not isinstance(doc, dict) or "apiVersion" not in doc or "kind" not in doc:
                errors.append(f"{path}: a document without apiVersion and kind")
                continue
            schema = inputs.schemas.get((doc["apiVersion"], doc["kind"]))
            found = validate_custom(doc, schema) if schema else validate_builtin(doc, version)
            errors += [f"{where(path, doc)}: {e}" for e in found]
            objects.append((path, doc))
    images = check_kustomizations(inputs.k8s, kustomizations, errors)
    check_rules(objects, images, errors)
    return errors, len(objects)


def check_kustomizations(k8s, kustomizations, errors):
    """Every manifest is listed (or named *.example.yaml), every listed file exists, and all
    kustomizations set the same images. Returns the image names they rewrite."""
    image_sets = {}
    for path, k in kustomizations.items():
        directory = pathlib.PurePosixPath(path).parent
        listed = k.get("resources") or []
        for resource in listed:
            target = (directory / resource).as_posix()
            if target not in k8s and f"{target}/kustomization.yaml" not in k8s:
                errors.append(f"{path}: lists {resource}, which does not exist")
        for other in k8s:
            p = pathlib.PurePosixPath(other)
            if p.parent == directory and p.name != "kustomization.yaml" and p.name not in listed:
                if not p.name.endswith(".example.yaml"):
                    errors.append(f"{other}: not listed in {path} (name it *.example.yaml if it is only an example)")
        images = k.get("images") or []
        for image in images:
            tag = image.get("newTag") or image.get("digest")
            if not tag or tag == "latest":
                errors.append(f"{path}: image {image.get('name')} needs a pinned newTag or digest, not latest")
        image_sets[path] = json.dumps(images, sort_keys=True)
    if len(set(image_sets.values())) > 1:
        errors.append(f"the kustomizations set different images: {', '.join(sorted(image_sets))}")
    if not kustomizations:
        errors.append("deploy/k8s: no kustomization.yaml")
    return {i.get("name") for path in kustomizations for i in (kustomizations[path].get("images") or [])}


def check_rules(objects, image_names, errors):
    by_kind = defaultdict(list)
    for path, doc in objects:
        by_kind[doc["kind"]].append((path, doc))
    for kind in sorted(REQUIRED_KINDS - set(by_kind)):
        errors.append(f"deploy/k8s: no {kind}")
    names = {kind: {name_of(d) for _, d in docs} for kind, docs in by_kind.items()}
    for path, doc in by_kind["ConfigMap"]:
        for key in sorted(set((doc.get("data") or {})) & SECRET_VARS):
            errors.append(f"{where(path, doc)}: {key} is a secret: mount it as a file and set {key}_FILE")
    server_labels, server_ports = [], set()
    for path, doc in objects:
        for pod, labels in pod_specs(doc):
            check_pod(path, doc, pod, names, image_names, errors)
            if doc["kind"] == "Deployment":
                server_labels.append(labels)
                server_ports |= {p.get("name") for c in pod.get("containers") or [] for p in c.get("ports") or []}
    check_jobs(by_kind, errors)
    images = {c.get("image") for _, doc in objects for pod, _ in pod_specs(doc) for c in pod.get("containers") or []}
    if len(images) > 1:
        errors.append(f"deploy/k8s: the workloads run different images: {sorted(images)}")

    def must_select(path, doc, selector, what="the Deployment's pods"):
        if not any(selects(selector, labels) for labels in server_labels):
            errors.append(f"{where(path, doc)}: its selector selects none of {what}")

    services = by_kind["Service"]
    for path, doc in services:
        spec = doc.get("spec") or {}
        must_select(path, doc, spec.get("selector"))
        for port in spec.get("ports") or []:
            target = port.get("targetPort")
            if isinstance(target, str) and target not in server_ports:
                errors.append(f"{where(path, doc)}: targetPort {target} is no container port of the Deployment")
    for path, doc in by_kind["PodDisruptionBudget"]:
        must_select(path, doc, (doc.get("spec") or {}).get("selector"))
    for path, doc in by_kind["NetworkPolicy"]:
        must_select(path, doc, (doc.get("spec") or {}).get("podSelector"))
    for path, doc in by_kind["HorizontalPodAutoscaler"]:
        spec = doc.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        if ref.get("kind") != "Deployment" or ref.get("name") not in names.get("Deployment", set()):
            errors.append(f"{where(path, doc)}: scaleTargetRef names no Deployment here")
        if (spec.get("minReplicas") or 1) < 2:
            errors.append(f"{where(path, doc)}: minReplicas below 2 leaves no replica during a rollout or drain")
    for path, doc in by_kind["ServiceMonitor"]:
        spec = doc.get("spec") or {}
        matched = [
            d for _, d in services if selects(spec.get("selector"), (d.get("metadata") or {}).get("labels") or {})
        ]
        if not matched:
            errors.append(f"{where(path, doc)}: its selector matches no Service's labels")
        service_ports = {p.get("name") for d in matched for p in (d.get("spec") or {}).get("ports") or []}
        for endpoint in spec.get("endpoints") or []:
            if endpoint.get("port") not in service_ports:
                errors.append(f"{where(path, doc)}: endpoint port {endpoint.get('port')} is no port of the Service")


def check_jobs(by_kind, errors):
    """The Jobs of JOBS, each running its command; the create-admin Job with the Deployment's
    configuration and secrets (the command opens what the server opens) and no address."""
    jobs = {name_of(doc): (path, doc) for path, doc in by_kind["Job"]}
    for name in sorted(set(JOBS) - set(jobs)):
        errors.append(f"deploy/k8s: no Job {name} (`identity {JOBS[name][0]}`)")
    for name, (path, doc) in jobs.items():
        want = JOBS.get(name)
        if want is None:
            errors.append(f"{where(path, doc)}: a Job of deploy/k8s is one of {sorted(JOBS)}")
            continue
        for pod, _ in pod_specs(doc):
            for c in pod.get("containers") or []:
                if c.get("command") or c.get("args") != want:
                    shown = " ".join(want)
                    errors.append(
                        f"{where(path, doc)}: container {c.get('name')} must run `identity {shown}` "
                        f"(args: {json.dumps(want)}, no command: the entry point is /identity)"
                    )
    if "identity-create-admin" not in jobs:
        return
    path, job = jobs["identity-create-admin"]
    servers = [doc for _, doc in by_kind["Deployment"]]
    if not servers:
        return
    server_pod = pod_specs(servers[0])[0][0]
    server = (server_pod.get("containers") or [{}])[0]
    for pod, _ in pod_specs(job):
        for c in pod.get("containers") or []:
            cw = f"{where(path, job)}: container {c.get('name')}"
            env = {e.get("name"): e for e in c.get("env") or []}
            if "ADMIN_EMAIL" not in env:
                errors.append(f"{cw}: needs ADMIN_EMAIL in env (the `$(ADMIN_EMAIL)` of its args)")
            elif (env["ADMIN_EMAIL"].get("value") or "") != "" or "valueFrom" in env["ADMIN_EMAIL"]:
                errors.append(
                    f"{cw}: ADMIN_EMAIL must be empty in the manifest (set when applied, docs/deploy.md): "
                    "a committed address would make whoever registers it an admin"
                )
            if c.get("envFrom") != server.get("envFrom"):
                errors.append(f"{cw}: envFrom must be the Deployment's ({server.get('envFrom')})")
            for var in server.get("env") or []:
                if env.get(var.get("name")) != var:
                    errors.append(f"{cw}: needs the Deployment's {var.get('name')} ({var.get('value')})")
            if pod.get("serviceAccountName") != server_pod.get("serviceAccountName"):
                errors.append(f"{cw}: must use the Deployment's ServiceAccount")


def check_pod(path, doc, pod, names, image_names, errors):
    w = where(path, doc)
    sc = pod.get("securityContext") or {}
    if sc.get("runAsNonRoot") is not True:
        errors.append(f"{w}: pod securityContext.runAsNonRoot must be true")
    if (sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        errors.append(f"{w}: pod securityContext.seccompProfile.type must be RuntimeDefault")
    if pod.get("automountServiceAccountToken") is not False:
        errors.append(f"{w}: automountServiceAccountToken must be false (the server never calls the Kubernetes API)")
    account = pod.get("serviceAccountName")
    if account and account not in names.get("ServiceAccount", set()):
        errors.append(f"{w}: ServiceAccount {account} is not defined")
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    for volume in volumes.values():
        if "secret" in volume and volume["secret"].get("secretName") not in names.get("Secret", set()):
            errors.append(f"{w}: volume {volume['name']} mounts an undefined Secret")
        spc = ((volume.get("csi") or {}).get("volumeAttributes") or {}).get("secretProviderClass")
        if "csi" in volume and spc not in names.get("SecretProviderClass", set()):
            errors.append(f"{w}: volume {volume['name']} names an undefined SecretProviderClass")
    for c in (pod.get("containers") or []) + (pod.get("initContainers") or []):
        cw = f"{w}: container {c.get('name')}"
        csc = c.get("securityContext") or {}
        if csc.get("allowPrivilegeEscalation") is not False:
            errors.append(f"{cw}: securityContext.allowPrivilegeEscalation must be false")
        if csc.get("readOnlyRootFilesystem") is not True:
            errors.append(f"{cw}: securityContext.readOnlyRootFilesystem must be true")
        if "ALL" not in ((csc.get("capabilities") or {}).get("drop") or []):
            errors.append(f"{cw}: securityContext.capabilities.drop must hold ALL")
        if csc.get("privileged"):
            errors.append(f"{cw}: must not be privileged")
        resources = c.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        if not ("cpu" in requests and "memory" in requests and "memory" in limits):
            errors.append(f"{cw}: needs resources.requests.cpu, requests.memory and limits.memory")
        if c.get("image") not in image_names:
            errors.append(f"{cw}: image {c.get('image')} is not one kustomization.yaml pins ({sorted(image_names)})")
        mounts = {m.get("mountPath"): m.get("name") for m in c.get("volumeMounts") or []}
        for volume in mounts.values():
            if volume not in volumes:
                errors.append(f"{cw}: mounts undefined volume {volume}")
        for source in c.get("envFrom") or []:
            ref = (source.get("configMapRef") or {}).get("name")
            if ref and ref not in names.get("ConfigMap", set()):
                errors.append(f"{cw}: envFrom names undefined ConfigMap {ref}")
        for env in c.get("env") or []:
            name = env.get("name", "")
            if name in SECRET_VARS:
                errors.append(f"{cw}: {name} is a secret: mount it as a file and set {name}_FILE")
            if name.endswith("_FILE"):
                value = env.get("value") or ""
                if not any(value.startswith(m.rstrip("/") + "/") for m in mounts):
                    errors.append(f"{cw}: {name}={value} is under no volume mount of the container")
        if doc["kind"] == "Deployment":
            if PORT not in {p.get("containerPort") for p in c.get("ports") or []}:
                errors.append(f"{cw}: must expose containerPort {PORT}")
            for probe, want in (("livenessProbe", "/health"), ("readinessProbe", "/ready"), ("startupProbe", None)):
                got = ((c.get(probe) or {}).get("httpGet") or {}).get("path")
                if got is None or (want and got != want):
                    errors.append(f"{cw}: {probe} must be an httpGet of {want or 'a path'}")
