#!/usr/bin/env python3
"""Check deploy/: render every kustomization, validate it, and check what refers to what.

Usage: .venv/bin/python scripts/check-deploy.py [--renderer auto|builtin|kubectl] [-v]
Needs PyYAML, kubernetes-validate (bundled schemas, offline) and dockerfile (BuildKit's own
Dockerfile parser): `.venv/bin/pip install pyyaml kubernetes-validate dockerfile`.

Rendering. Each directory under deploy/k8s/overlays/ is rendered together with
deploy/k8s/batch/ (the Job runs against an overlay's daemons). The renderer built in here
implements exactly the kustomize features deploy/k8s uses, and refuses any other field:
resources (files and directories), components, namespace, labels (pairs, includeTemplates),
configMapGenerator / secretGenerator (files, literals, envs; behavior create/merge/replace;
options.disableNameSuffixHash) with kustomize's content-hash suffix and the name references
it rewrites, patches by path as strategic merge keyed by kind + name (with `$patch: delete` on
objects and list items), and images. With `auto` (the default) and `kubectl` on PATH, the
overlay is also rendered by `kubectl kustomize` and both renders must agree, which keeps the
built-in renderer honest; `--renderer kubectl` uses kubectl alone.

Checks, each failure printed with the object it is about; exit status 1 when any fails:
  * every object validates against the Kubernetes schemas (strict) of 1.30 and of the newest
    version kubernetes-validate carries;
  * pods: every volumeMount names a volume of the pod, every volume is mounted; every
    ConfigMap, Secret (unless optional) and PVC a pod uses exists in the render, keys
    included; non-root 10001 (the Dockerfile's USER), RuntimeDefault seccomp, no privilege
    escalation, read-only root with /tmp mounted, capabilities dropped, requests and limits;
  * the config each xformd container really gets (`--config` file from its ConfigMap, then
    XFORMD__ variables): media.root and the disk cache are mounted (unless an origin takes
    every path), listen ports are container ports; base/xformd.toml has exactly the keys of
    deploy/config.example.toml (the daemon refuses unknown keys), the s3-origin copy differs
    from it only in [[origins]];
  * Services select some Deployment's pods and their targetPorts are container ports; a gRPC
    Service is headless; every `--daemon` URL names such a Service and port;
  * probes: ports are container ports, HTTP paths are routes of the server behind that port
    (grepped from the axum `.route("…")` calls in src/), gRPC health services are ones the
    daemon registers (proto package + service, src/service/health.rs);
  * HPA and PDB target a Deployment; a Pods metric is one src/metrics.rs registers; CPU
    utilisation has CPU requests to divide by;
  * a NetworkPolicy selects the daemon pods and lets only front-end and batch pods reach the
    gRPC port;
  * Indexed Jobs run `batch` with `--shard $(JOB_COMPLETION_INDEX)/N`, N = completions, and
    declare JOB_COMPLETION_INDEX;
  * GPU: nvidia.com/gpu limits go with backend.gpu = true and a toleration, and vice versa;
  * deploy/Dockerfile: non-root USER 10001, exec-form ENTRYPOINT, no HEALTHCHECK, the NVIDIA
    ICD manifest and driver capabilities (graphics), no lavapipe in the default image;
    .dockerignore keeps target/ and .git out.

`--self-test` breaks the tree on purpose, one known mistake at a time in a temporary copy
(a renamed volume, a probe path that is no route, a ClusterIP for gRPC, …), and fails unless
every one of them is caught: a check that cannot fail checks nothing.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlparse

try:
    import dockerfile
    import yaml
    import kubernetes_validate
except ImportError as missing:
    sys.exit(f"check-deploy: {missing.name} is missing: .venv/bin/pip install pyyaml kubernetes-validate dockerfile")

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
UID = 10001
# The oldest release the manifests promise to work on (backoffLimitPerIndex is beta, on by
# default, from 1.29; gRPC probes are GA since 1.27), and the newest the validator knows.
FLOOR_VERSION = "1.30.0"
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}

failures: list[str] = []


def fail(where: str, msg: str) -> None:
    failures.append(f"{where}: {msg}")


def ident(o: dict) -> str:
    return f"{o.get('kind')}/{o.get('metadata', {}).get('name')}"


# ---------------------------------------------------------------- built-in kustomize renderer

KUSTOMIZATION_FIELDS = {
    "apiVersion", "kind", "namespace", "labels", "resources", "components",
    "configMapGenerator", "secretGenerator", "patches", "images",
}
# Strategic-merge keys of the lists this renderer merges (as in the Kubernetes API types).
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "env": "name", "envFrom": None,
    "volumes": "name", "volumeMounts": "mountPath", "ports": "containerPort",
    "imagePullSecrets": "name",
}


class RenderError(Exception):
    pass


def read_yaml_docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def go_json(value) -> str:
    """json.Marshal's bytes for maps of strings: sorted keys, no spaces, HTML-safe escapes."""
    s = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        s = s.replace(ch, esc)
    return s


def name_hash(o: dict) -> str:
    """kustomize's hash suffix: sha256 of the JSON of kind, data (and a Secret's type), with the
    name left empty as kustomize hashes it, first 10 hex digits with 0 1 3 a e remapped."""
    m = {"kind": o["kind"], "name": "", "data": o.get("data") or ""}
    if o["kind"] == "Secret":
        m["type"] = o.get("type", "Opaque")
    digest = hashlib.sha256(go_json(m).encode()).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def generator_data(base: Path, g: dict) -> dict[str, str]:
    data: dict[str, str] = {}
    for f in g.get("files", []):
        key, _, rel = f.rpartition("=") if "=" in f else (Path(f).name, "", f)
        data[key] = (base / rel).read_text()
    for lit in g.get("literals", []):
        k, _, v = lit.partition("=")
        data[k] = v
    for env in g.get("envs", []):
        for line in (base / env).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                k, _, v = line.partition("=")
                data[k] = v
    return data


def generate(objs: list[dict], base: Path, kind: str, g: dict) -> None:
    extra = set(g) - {"name", "behavior", "files", "literals", "envs", "options"}
    if extra:
        raise RenderError(f"{base}: generator field(s) {sorted(extra)} not implemented")
    data = generator_data(base, g)
    if kind == "Secret":
        data = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    behavior = g.get("behavior", "create")
    existing = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == g["name"]]
    if behavior == "create":
        if existing:
            raise RenderError(f"{base}: {kind}/{g['name']} generated twice")
        o = {"apiVersion": "v1", "kind": kind, "metadata": {"name": g["name"]}, "data": data}
        if kind == "Secret":
            o["type"] = "Opaque"
        o["_hash"] = not g.get("options", {}).get("disableNameSuffixHash", False)
        objs.append(o)
    elif behavior in ("merge", "replace"):
        if len(existing) != 1:
            raise RenderError(f"{base}: {behavior} of {kind}/{g['name']}, which is not generated below")
        if behavior == "merge":
            existing[0]["data"].update(data)
        else:
            existing[0]["data"] = data
    else:
        raise RenderError(f"{base}: generator behavior {behavior!r} not implemented")


def merge_list(dst: list, src: list, key: str | None) -> list:
    if key is None:
        return copy.deepcopy(src)
    out = dst
    for item in src:
        match = [d for d in out if isinstance(d, dict) and d.get(key) == item.get(key)]
        if item.get("$patch") == "delete":
            out = [d for d in out if d not in match]
        elif match:
            strategic_merge(match[0], item)
        else:
            out.append(copy.deepcopy(item))
    return out


def strategic_merge(dst: dict, src: dict) -> None:
    for k, v in src.items():
        if k == "$patch":
            continue
        if v is None:
            dst.pop(k, None)
        elif isinstance(v, dict) and isinstance(dst.get(k), dict):
            strategic_merge(dst[k], v)
        elif isinstance(v, list) and isinstance(dst.get(k), list) and k in MERGE_KEYS:
            dst[k] = merge_list(dst[k], v, MERGE_KEYS[k])
        else:
            dst[k] = copy.deepcopy(v)


def pod_template(o: dict) -> dict | None:
    if o.get("kind") in WORKLOADS:
        return o.get("spec", {}).get("template")
    if o.get("kind") == "CronJob":
        return o.get("spec", {}).get("jobTemplate", {}).get("spec", {}).get("template")
    return None


def all_containers(pod_spec: dict) -> list[dict]:
    return pod_spec.get("initContainers", []) + pod_spec.get("containers", [])


def apply_kustomization(objs: list[dict], base: Path, k: dict) -> None:
    """Generators, patches and transformers of one kustomization (or component), applied to
    everything accumulated below it, as kustomize does."""
    for g in k.get("configMapGenerator", []):
        generate(objs, base, "ConfigMap", g)
    for g in k.get("secretGenerator", []):
        generate(objs, base, "Secret", g)
    for p in k.get("patches", []):
        if set(p) - {"path"}:
            raise RenderError(f"{base}: only `patches: - path:` is implemented, not {sorted(p)}")
        for patch in read_yaml_docs(base / p["path"]):
            name = patch["metadata"]["name"]
            targets = [o for o in objs if o["kind"] == patch["kind"] and o["metadata"]["name"] == name]
            if len(targets) != 1:
                raise RenderError(f"{base / p['path']}: patch target {patch['kind']}/{name} not found")
            if patch.get("$patch") == "delete":
                objs.remove(targets[0])
            else:
                strategic_merge(targets[0], patch)
    if "namespace" in k:
        for o in objs:
            if o["kind"] not in CLUSTER_SCOPED:
                o["metadata"]["namespace"] = k["namespace"]
    for spec in k.get("labels", []):
        if set(spec) - {"pairs", "includeTemplates"}:
            raise RenderError(f"{base}: labels field(s) {sorted(set(spec) - {'pairs', 'includeTemplates'})} not implemented")
        for o in objs:
            o["metadata"].setdefault("labels", {}).update(spec["pairs"])
            t = pod_template(o)
            if spec.get("includeTemplates") and t is not None:
                t.setdefault("metadata", {}).setdefault("labels", {}).update(spec["pairs"])
    for img in k.get("images", []):
        for o in objs:
            t = pod_template(o)
            for c in all_containers(t["spec"]) if t else []:
                name, tag = re.match(r"^([^:@]+(?::\d+/[^:@]+)?)(.*)$", c["image"]).groups()
                if name == img["name"]:
                    c["image"] = img.get("newName", name) + (":" + img["newTag"] if "newTag" in img else tag)


def build(base: Path) -> list[dict]:
    k = yaml.safe_load((base / "kustomization.yaml").read_text())
    unknown = set(k) - KUSTOMIZATION_FIELDS
    if unknown:
        raise RenderError(f"{base}: kustomization field(s) {sorted(unknown)} not implemented here")
    objs: list[dict] = []
    for r in k.get("resources", []):
        path = (base / r).resolve()
        objs += build(path) if path.is_dir() else read_yaml_docs(path)
    for c in k.get("components", []):
        comp = (base / c).resolve()
        ck = yaml.safe_load((comp / "kustomization.yaml").read_text())
        if ck.get("kind") != "Component" or set(ck) - KUSTOMIZATION_FIELDS:
            raise RenderError(f"{comp}: not a Component this renderer implements")
        apply_kustomization(objs, comp, ck)
    apply_kustomization(objs, base, k)
    return objs


def rename_references(objs: list[dict], renames: dict[tuple[str, str], str]) -> None:
    def new(kind: str, name: str) -> str:
        return renames.get((kind, name), name)

    for o in objs:
        t = pod_template(o)
        if not t:
            continue
        spec = t["spec"]
        for v in spec.get("volumes", []):
            if "configMap" in v:
                v["configMap"]["name"] = new("ConfigMap", v["configMap"]["name"])
            if "secret" in v:
                v["secret"]["secretName"] = new("Secret", v["secret"]["secretName"])
        for c in all_containers(spec):
            for e in c.get("env", []):
                ref = e.get("valueFrom", {})
                if "configMapKeyRef" in ref:
                    ref["configMapKeyRef"]["name"] = new("ConfigMap", ref["configMapKeyRef"]["name"])
                if "secretKeyRef" in ref:
                    ref["secretKeyRef"]["name"] = new("Secret", ref["secretKeyRef"]["name"])
            for e in c.get("envFrom", []):
                if "configMapRef" in e:
                    e["configMapRef"]["name"] = new("ConfigMap", e["configMapRef"]["name"])
                if "secretRef" in e:
                    e["secretRef"]["name"] = new("Secret", e["secretRef"]["name"])


def render_builtin(base: Path) -> list[dict]:
    objs = build(base)
    renames = {}
    for o in objs:
        if o.pop("_hash", False):
            old = o["metadata"]["name"]
            o["metadata"]["name"] = f"{old}-{name_hash(o)}"
            renames[(o["kind"], old)] = o["metadata"]["name"]
        o.pop("_hash", None)
    rename_references(objs, renames)
    return objs


def render_kubectl(base: Path) -> list[dict]:
    out = subprocess.run(["kubectl", "kustomize", str(base)], capture_output=True, text=True)
    if out.returncode != 0:
        raise RenderError(f"kubectl kustomize {base}: {out.stderr.strip()}")
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def canonical(objs: list[dict]) -> dict[str, dict]:
    """Objects by kind/namespace/name, lists of named items sorted (merge order is not meaning)."""

    def norm(v):
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            items = [norm(x) for x in v]
            if items and all(isinstance(x, dict) for x in items):
                return sorted(items, key=lambda x: json.dumps(x, sort_keys=True))
            return items
        return v

    return {f"{o['kind']}/{o['metadata'].get('namespace', '')}/{o['metadata']['name']}": norm(o) for o in objs}


def render(base: Path, renderer: str) -> list[dict]:
    if renderer == "kubectl":
        return render_kubectl(base)
    objs = render_builtin(base)
    if renderer == "auto" and shutil.which("kubectl"):
        mine, theirs = canonical(objs), canonical(render_kubectl(base))
        rel = base.relative_to(ROOT)
        for key in sorted(set(mine) | set(theirs)):
            if key not in theirs:
                fail(str(rel), f"built-in renderer made {key}, kubectl kustomize did not")
            elif key not in mine:
                fail(str(rel), f"kubectl kustomize made {key}, the built-in renderer did not")
            elif mine[key] != theirs[key]:
                fail(str(rel), f"{key} differs between the built-in renderer and kubectl kustomize")
    return objs


# ---------------------------------------------------------------- facts from the source tree


def rust_routes() -> dict[str, set[str]]:
    """HTTP paths per server: the `.route("…"` calls of src/frontend.rs and src/metrics.rs."""
    routes = {}
    for server, rel in (("front", "src/frontend.rs"), ("daemon", "src/metrics.rs")):
        text = (ROOT / rel).read_text()
        routes[server] = set(re.findall(r'\.route\(\s*"(/[^"]*)"', text))
        if not routes[server]:
            fail(rel, "no `.route(\"/…\"` call found: the probe check has nothing to compare with")
    routes["serve"] = routes["front"]  # in `serve` the HTTP port is the front end's
    return routes


def grpc_health_services() -> set[str]:
    proto = "\n".join(p.read_text() for p in (ROOT / "proto").rglob("*.proto"))
    package = re.search(r"^package\s+([\w.]+);", proto, re.M).group(1)
    names = {""} | {f"{package}.{s}" for s in re.findall(r"^service\s+(\w+)", proto, re.M)}
    health = (ROOT / "src/service/health.rs").read_text()
    names |= set(re.findall(r'pub const \w+_SERVICE: &str = "([^"]+)"', health))
    return names


def exported_metrics() -> set[str]:
    text = (ROOT / "src/metrics.rs").read_text()
    prefix = re.search(r'Registry::with_prefix\("(\w+)"\)', text).group(1)
    names = set()
    for n in re.findall(r'registry\.register\(\s*"(\w+)"', text):
        names |= {f"{prefix}_{n}", f"{prefix}_{n}_total"}
    return names


def toml_keys(tree: dict, prefix: str = "") -> set[str]:
    keys = set()
    for k, v in tree.items():
        keys.add(prefix + k)
        if isinstance(v, dict):
            keys |= toml_keys(v, f"{prefix}{k}.")
    return keys


def check_config_files() -> None:
    example = tomllib.loads((ROOT / "deploy/config.example.toml").read_text())
    base = tomllib.loads((K8S / "base/xformd.toml").read_text())
    missing, extra = toml_keys(example) - toml_keys(base), toml_keys(base) - toml_keys(example)
    if missing or extra:
        fail("deploy/k8s/base/xformd.toml", f"keys differ from deploy/config.example.toml "
             f"(missing {sorted(missing)}, unknown {sorted(extra)}): regenerate it with `xformd config dump`")
    for comp in sorted((K8S / "components").glob("*/xformd.toml")):
        other = tomllib.loads(comp.read_text())
        strip = lambda t: {k: v for k, v in t.items() if k != "origins"}  # noqa: E731
        if strip(other) != strip(base):
            fail(str(comp.relative_to(ROOT)), "differs from base/xformd.toml outside [[origins]]")


# ---------------------------------------------------------------- checks over one render


def validate_schemas(objs: list[dict], where: str) -> None:
    versions = [FLOOR_VERSION, kubernetes_validate.latest_version() + ".0"]
    for o in objs:
        for v in dict.fromkeys(versions):
            try:
                kubernetes_validate.validate(o, v, strict=True)
            except kubernetes_validate.ValidationError as e:
                path = "/".join(str(p) for p in e.absolute_path)
                fail(where, f"{ident(o)} is invalid for Kubernetes {v} at {path or '/'}: {e.message}")
            except kubernetes_validate.SchemaNotFoundError as e:
                fail(where, f"{ident(o)}: no schema for Kubernetes {v}: {e}")


def find(objs: list[dict], kind: str, name: str, namespace: str | None) -> dict | None:
    for o in objs:
        m = o["metadata"]
        if o["kind"] == kind and m["name"] == name and m.get("namespace") == namespace:
            return o
    return None


def selects(selector: dict, labels: dict) -> bool:
    """A LabelSelector (matchLabels + matchExpressions) or a plain Service selector map."""
    if not selector:
        return False
    plain = {k: v for k, v in selector.items() if k not in ("matchLabels", "matchExpressions")}
    wanted = {**plain, **selector.get("matchLabels", {})}
    if any(labels.get(k) != v for k, v in wanted.items()):
        return False
    for e in selector.get("matchExpressions", []):
        value, op = labels.get(e["key"]), e["operator"]
        ok = {"In": value in e.get("values", []), "NotIn": value not in e.get("values", []),
              "Exists": e["key"] in labels, "DoesNotExist": e["key"] not in labels}[op]
        if not ok:
            return False
    return True


def role(c: dict) -> str | None:
    """The xformd subcommand a container runs (daemon, front, serve, batch), if it runs xformd."""
    args = c.get("command", [])[1:] + c.get("args", [])
    return args[0] if args and "xformd" in c.get("image", "") else None


def arg_value(c: dict, flag: str) -> str | None:
    args = c.get("args", [])
    return args[args.index(flag) + 1] if flag in args and args.index(flag) + 1 < len(args) else None


def container_port(c: dict, port) -> dict | None:
    for p in c.get("ports", []):
        if port in (p.get("name"), p.get("containerPort")):
            return p
    return None


def pods(objs: list[dict]):
    for o in objs:
        t = pod_template(o)
        if t:
            yield o, t


def effective_config(objs: list[dict], o: dict, spec: dict, c: dict, where: str) -> dict | None:
    """The config an xformd container loads: its --config file, then XFORMD__ variables."""
    ns = o["metadata"].get("namespace")
    path = arg_value(c, "--config")
    if not path:
        return None
    mount = next((m for m in c.get("volumeMounts", []) if path.startswith(m["mountPath"].rstrip("/") + "/")), None)
    vol = next((v for v in spec.get("volumes", []) if mount and v["name"] == mount["name"]), None)
    if not vol or "configMap" not in vol:
        fail(where, f"{ident(o)}: --config {path} is not on a mounted ConfigMap")
        return None
    cm = find(objs, "ConfigMap", vol["configMap"]["name"], ns)
    key = path[len(mount["mountPath"].rstrip("/")) + 1:]
    if not cm or key not in cm.get("data", {}):
        fail(where, f"{ident(o)}: --config {path}: no key {key!r} in ConfigMap {vol['configMap']['name']}")
        return None
    config = tomllib.loads(cm["data"][key])
    env: dict[str, str] = {}
    for e in c.get("envFrom", []):
        ref = e.get("configMapRef")
        src = find(objs, "ConfigMap", ref["name"], ns) if ref else None
        env.update(src.get("data", {}) if src else {})
    env.update({e["name"]: e.get("value", "<from a reference>") for e in c.get("env", [])})
    for k, v in env.items():
        if k.startswith("XFORMD__"):
            *sections, last = k[len("XFORMD__"):].lower().split("__")
            t = config
            for s in sections:
                t = t.setdefault(s, {})
            old = t.get(last)
            t[last] = v.lower() == "true" if isinstance(old, bool) else int(v) if isinstance(old, int) else v
    return config


def under_mount(c: dict, path: str, writable: bool) -> bool:
    return any((path + "/").startswith(m["mountPath"].rstrip("/") + "/") and not (writable and m.get("readOnly"))
               for m in c.get("volumeMounts", []))


def port_of(addr: str) -> int:
    return int(addr.rsplit(":", 1)[1])


def check_pods(objs: list[dict], where: str, routes: dict[str, set[str]], health: set[str]) -> None:
    for o, t in pods(objs):
        spec, ns, name = t["spec"], o["metadata"].get("namespace"), ident(o)
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        mounted = set()
        psc = spec.get("securityContext", {})
        if not (psc.get("runAsNonRoot") and psc.get("runAsUser") == UID and
                psc.get("seccompProfile", {}).get("type") == "RuntimeDefault"):
            fail(where, f"{name}: pod securityContext needs runAsNonRoot, runAsUser {UID}, seccomp RuntimeDefault")
        for v in volumes.values():
            if "configMap" in v and not v["configMap"].get("optional") and not find(objs, "ConfigMap", v["configMap"]["name"], ns):
                fail(where, f"{name}: volume {v['name']} uses ConfigMap {v['configMap']['name']}, which is not in the render")
            if "secret" in v and not v["secret"].get("optional") and not find(objs, "Secret", v["secret"]["secretName"], ns):
                fail(where, f"{name}: volume {v['name']} uses Secret {v['secret']['secretName']}, which is not in the render")
            pvc = v.get("persistentVolumeClaim")
            if pvc and not find(objs, "PersistentVolumeClaim", pvc["claimName"], ns):
                fail(where, f"{name}: volume {v['name']} claims PVC {pvc['claimName']}, which is not in the render")
        for c in all_containers(spec):
            cname = f"{name} container {c['name']}"
            for m in c.get("volumeMounts", []):
                mounted.add(m["name"])
                if m["name"] not in volumes:
                    fail(where, f"{cname}: volumeMount {m['mountPath']} names volume {m['name']!r}, which the pod does not have")
            for e in c.get("env", []):
                for kind, field in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                    ref = e.get("valueFrom", {}).get(field)
                    if not ref or ref.get("optional"):
                        continue
                    src = find(objs, kind, ref["name"], ns)
                    if not src:
                        fail(where, f"{cname}: env {e['name']} reads {kind} {ref['name']}, which is not in the render")
                    elif ref["key"] not in src.get("data", {}):
                        fail(where, f"{cname}: env {e['name']} reads key {ref['key']!r}, which {kind} {ref['name']} lacks")
            for e in c.get("envFrom", []):
                for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                    ref = e.get(field)
                    if ref and not ref.get("optional") and not find(objs, kind, ref["name"], ns):
                        fail(where, f"{cname}: envFrom reads {kind} {ref['name']}, which is not in the render")
            sc = c.get("securityContext", {})
            if not (sc.get("allowPrivilegeEscalation") is False and sc.get("readOnlyRootFilesystem") is True
                    and "ALL" in sc.get("capabilities", {}).get("drop", [])):
                fail(where, f"{cname}: needs allowPrivilegeEscalation false, readOnlyRootFilesystem, capabilities drop ALL")
            if sc.get("readOnlyRootFilesystem") and not under_mount(c, "/tmp", writable=True):
                fail(where, f"{cname}: read-only root filesystem without a writable /tmp")
            res = c.get("resources", {})
            for part in ("requests", "limits"):
                if not {"cpu", "memory"} <= set(res.get(part, {})):
                    fail(where, f"{cname}: resources.{part} needs cpu and memory")
            check_probes(c, cname, where, routes, health)
            check_xformd_config(objs, o, spec, c, cname, where)
        for unused in set(volumes) - mounted:
            fail(where, f"{name}: volume {unused!r} is mounted by no container")


def check_probes(c: dict, cname: str, where: str, routes: dict[str, set[str]], health: set[str]) -> None:
    r = role(c)
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        p = c.get(kind)
        if p is None:
            if r in ("daemon", "front", "serve"):
                fail(where, f"{cname}: no {kind}")
            continue
        handler = p.get("httpGet") or p.get("grpc") or p.get("tcpSocket")
        if handler and not container_port(c, handler["port"]):
            fail(where, f"{cname}: {kind} port {handler['port']} is not a container port")
        if "httpGet" in p:
            path = p["httpGet"]["path"].split("?")[0]
            port = container_port(c, p["httpGet"]["port"]) or {}
            # The daemon's HTTP port is its metrics listener; front and serve answer on theirs.
            server = "daemon" if r == "daemon" or port.get("name") == "metrics" else r
            if server not in routes:
                fail(where, f"{cname}: {kind} on {path}, but {r!r} serves no HTTP routes")
            elif path not in routes[server]:
                fail(where, f"{cname}: {kind} path {path} is not a route of the {server} server "
                     f"(src/ has {sorted(routes[server])})")
        if "grpc" in p:
            if r not in ("daemon", "serve"):
                fail(where, f"{cname}: gRPC {kind}, but {r!r} runs no gRPC server")
            if p["grpc"].get("service", "") not in health:
                fail(where, f"{cname}: {kind} asks gRPC health for {p['grpc'].get('service')!r}, "
                     f"not one the daemon registers ({sorted(health)})")


def check_xformd_config(objs: list[dict], o: dict, spec: dict, c: dict, cname: str, where: str) -> None:
    r = role(c)
    config = effective_config(objs, o, spec, c, where) if r in ("daemon", "front", "serve") else None
    if config is None:
        if r in ("daemon", "front", "serve"):
            fail(where, f"{cname}: runs `xformd {r}` without --config from a ConfigMap")
        return
    server = config.get("server", {})
    if r in ("daemon", "serve"):
        every_path = any(x.get("prefix", "") in ("", "/") for x in config.get("origins", []))
        if not every_path and not under_mount(c, str(config["media"]["root"]), writable=False):
            fail(where, f"{cname}: media.root {config['media']['root']} is not mounted (and no origin takes every path)")
        cache = config.get("cache", {})
        if cache.get("enabled") and cache.get("backend") == "disk":
            if not cache.get("dir") or not under_mount(c, cache["dir"], writable=True):
                fail(where, f"{cname}: cache.dir {cache.get('dir')!r} is not on a writable volume")
        if not container_port(c, port_of(server["grpc"])):
            fail(where, f"{cname}: server.grpc {server['grpc']} is not a container port")
        if server.get("metrics_listen") and not container_port(c, port_of(server["metrics_listen"])):
            fail(where, f"{cname}: server.metrics_listen {server['metrics_listen']} is not a container port")
        gpus = any("nvidia.com/gpu" in c.get("resources", {}).get(p, {}) for p in ("limits", "requests"))
        backend = config.get("backend", {})
        if gpus and not backend.get("gpu"):
            fail(where, f"{cname}: has an nvidia.com/gpu but backend.gpu is false")
        if backend.get("default") == "gpu" and not gpus:
            fail(where, f"{cname}: backend.default = gpu without an nvidia.com/gpu limit")
        if gpus and not any(t.get("key") == "nvidia.com/gpu" for t in spec.get("tolerations", [])):
            fail(where, f"{cname}: has an nvidia.com/gpu but no toleration for the nvidia.com/gpu taint")
    if r in ("front", "serve") and not container_port(c, port_of(server["http"])):
        fail(where, f"{cname}: server.http {server['http']} is not a container port")


def workload_pods(objs: list[dict], namespace: str | None, selector: dict):
    for o, t in pods(objs):
        if o["metadata"].get("namespace") == namespace and selects(selector, t["metadata"].get("labels", {})):
            yield o, t


def check_services(objs: list[dict], where: str) -> None:
    for s in (o for o in objs if o["kind"] == "Service"):
        ns, sel = s["metadata"].get("namespace"), s["spec"].get("selector", {})
        targets = [(o, t) for o, t in workload_pods(objs, ns, sel) if o["kind"] == "Deployment"]
        if not targets:
            fail(where, f"{ident(s)}: selector {sel} matches no Deployment's pods")
            continue
        for p in s["spec"].get("ports", []):
            tp = p.get("targetPort", p["port"])
            for o, t in targets:
                if not any(container_port(c, tp) for c in t["spec"]["containers"]):
                    fail(where, f"{ident(s)}: port {p.get('name', p['port'])} targets {tp}, not a container port of {ident(o)}")
            if (p.get("appProtocol") == "grpc" or tp == "grpc") and s["spec"].get("clusterIP") != "None":
                fail(where, f"{ident(s)}: serves gRPC but is not headless (clusterIP: None): "
                     "HTTP/2 connections would pin each client to one pod")
    # Every --daemon URL names a headless Service of this render, and one of its ports.
    for o, t in pods(objs):
        for c in t["spec"]["containers"]:
            args = c.get("args", [])
            for i, a in enumerate(args[:-1]):
                if a != "--daemon":
                    continue
                url = urlparse(args[i + 1])
                host = url.hostname.split(".")[0]
                svc = find(objs, "Service", host, o["metadata"].get("namespace"))
                if not svc:
                    fail(where, f"{ident(o)}: --daemon {args[i + 1]} names no Service in the render")
                elif url.port not in [p["port"] for p in svc["spec"]["ports"]]:
                    fail(where, f"{ident(o)}: --daemon {args[i + 1]}: Service {host} has no port {url.port}")
                elif svc["spec"].get("clusterIP") != "None":
                    fail(where, f"{ident(o)}: --daemon {args[i + 1]} is not a headless Service")


def deployment_for(objs: list[dict], ns: str | None, selector: dict) -> list[dict]:
    return [o for o, _ in workload_pods(objs, ns, selector) if o["kind"] == "Deployment"]


def check_scaling(objs: list[dict], where: str, metrics: set[str]) -> None:
    for h in (o for o in objs if o["kind"] == "HorizontalPodAutoscaler"):
        ref, ns = h["spec"]["scaleTargetRef"], h["metadata"].get("namespace")
        target = find(objs, ref["kind"], ref["name"], ns)
        if not target or target["kind"] != "Deployment":
            fail(where, f"{ident(h)}: scaleTargetRef {ref['kind']}/{ref['name']} is not a Deployment in the render")
            continue
        for m in h["spec"].get("metrics", []):
            if m["type"] == "Pods" and m["pods"]["metric"]["name"] not in metrics:
                fail(where, f"{ident(h)}: Pods metric {m['pods']['metric']['name']} is not exported (src/metrics.rs)")
            if m["type"] == "Resource":
                res = m["resource"]["name"]
                for c in target["spec"]["template"]["spec"]["containers"]:
                    if res not in c.get("resources", {}).get("requests", {}):
                        fail(where, f"{ident(h)}: {res} utilisation, but {c['name']} requests no {res}")
    for p in (o for o in objs if o["kind"] == "PodDisruptionBudget"):
        if not deployment_for(objs, p["metadata"].get("namespace"), p["spec"]["selector"]):
            fail(where, f"{ident(p)}: selector matches no Deployment's pods")


def check_network_policy(objs: list[dict], where: str) -> None:
    daemons = [(o, t) for o, t in pods(objs) if o["kind"] == "Deployment"
               and any(role(c) == "daemon" for c in t["spec"]["containers"])]
    for o, t in daemons:
        ns, labels = o["metadata"].get("namespace"), t["metadata"].get("labels", {})
        grpc = next(container_port(c, "grpc") for c in t["spec"]["containers"] if role(c) == "daemon")
        policies = [n for n in objs if n["kind"] == "NetworkPolicy" and n["metadata"].get("namespace") == ns
                    and selects(n["spec"]["podSelector"], labels) and "Ingress" in n["spec"].get("policyTypes", [])]
        if not policies:
            fail(where, f"{ident(o)}: no NetworkPolicy selects the daemon pods")
            continue
        reach: set[str] = set()
        for n in policies:
            for rule in n["spec"].get("ingress", []):
                ports = rule.get("ports")
                if ports and not any(p["port"] in (grpc["name"], grpc["containerPort"]) for p in ports):
                    continue
                for peer in rule.get("from", [{}]):
                    if set(peer) != {"podSelector"}:
                        fail(where, f"{ident(n)}: the gRPC port is open to {sorted(peer) or 'everyone'}, not only to pods")
                        continue
                    for p, pt in workload_pods(objs, ns, peer["podSelector"]):
                        reach |= {role(c) for c in pt["spec"]["containers"]}
        clients = {r for _, pt in pods(objs) for c in pt["spec"]["containers"]
                   if (r := role(c)) in ("front", "batch")}
        if reach - {"front", "batch"}:
            fail(where, f"{ident(o)}: pods running {sorted(reach - {'front', 'batch'})} may reach the gRPC port")
        if clients - reach:
            fail(where, f"{ident(o)}: {sorted(clients - reach)} pods need the gRPC port but no policy admits them")


def check_jobs(objs: list[dict], where: str) -> None:
    jobs = [o for o in objs if o["kind"] == "Job"]
    if not jobs:
        fail(where, "no Job in the render (deploy/k8s/batch)")
    for j in jobs:
        spec = j["spec"]
        if spec.get("completionMode") != "Indexed":
            fail(where, f"{ident(j)}: completionMode is not Indexed")
        for c in spec["template"]["spec"]["containers"]:
            if role(c) != "batch":
                fail(where, f"{ident(j)}: container {c['name']} does not run `xformd batch`")
                continue
            shard = arg_value(c, "--shard")
            if shard is None:
                fail(where, f"{ident(j)}: args lack --shard")
                continue
            m = re.fullmatch(r"\$\(JOB_COMPLETION_INDEX\)/(\d+)", shard)
            if not m:
                fail(where, f"{ident(j)}: --shard {shard} is not $(JOB_COMPLETION_INDEX)/N")
            elif int(m.group(1)) != spec.get("completions"):
                fail(where, f"{ident(j)}: --shard .../{m.group(1)} but completions is {spec.get('completions')}")
            if not any(e["name"] == "JOB_COMPLETION_INDEX" for e in c.get("env", [])):
                fail(where, f"{ident(j)}: $(JOB_COMPLETION_INDEX) expands only when env declares it")


def check_render(objs: list[dict], where: str, facts: dict) -> None:
    validate_schemas(objs, where)
    check_pods(objs, where, facts["routes"], facts["health"])
    check_services(objs, where)
    check_scaling(objs, where, facts["metrics"])
    check_network_policy(objs, where)
    check_jobs(objs, where)


# ---------------------------------------------------------------- Dockerfile


def check_dockerfile() -> None:
    where = "deploy/Dockerfile"
    cmds = dockerfile.parse_file(str(ROOT / where))
    stages: dict[str, list] = {}
    order: list[str] = []
    parent: dict[str, str] = {}
    for c in cmds:
        if c.cmd == "FROM":
            v = c.value
            name = v[2].lower() if len(v) > 2 and v[1].upper() == "AS" else f"#{len(order)}"
            parent[name] = v[0].lower()
            order.append(name)
            stages[name] = []
        elif order:
            stages[order[-1]].append(c)

    def chain(stage: str) -> list:
        out = []
        while stage in stages:
            out = stages[stage] + out
            stage = parent[stage]
        return out

    final = chain(order[-1])
    text = " ".join(" ".join(c.value) for c in final)
    if "mesa-vulkan-drivers" in text:
        fail(where, "the default (last) stage installs mesa-vulkan-drivers: lavapipe belongs only in the fallback target")
    if any(c.cmd == "HEALTHCHECK" for c in final):
        fail(where, "has a HEALTHCHECK (Kubernetes probes do this)")
    users = [c.value[0] for c in final if c.cmd == "USER"]
    if not users or users[-1].split(":")[0] != str(UID):
        fail(where, f"the default image does not end as USER {UID} (runAsUser in deploy/k8s)")
    copies = " ".join(" ".join(c.value) for c in final if c.cmd == "COPY")
    if "xformd-ffmpeg" not in copies:
        fail(where, "the runtime image has no xformd-ffmpeg next to xformd (every video call would be refused)")
    entry = [c for c in final if c.cmd == "ENTRYPOINT"]
    if not entry or not entry[-1].json:
        fail(where, "ENTRYPOINT missing or in shell form (a shell would swallow SIGTERM)")
    env = {}
    for c in final:
        if c.cmd == "ENV":
            env.update(zip(c.value[::2], c.value[1::2]))
    if "graphics" not in env.get("NVIDIA_DRIVER_CAPABILITIES", "").split(","):
        fail(where, "NVIDIA_DRIVER_CAPABILITIES lacks graphics: the toolkit would not mount the Vulkan driver")
    if "nvidia_icd.json" not in text or "libGLX_nvidia.so.0" not in text:
        fail(where, "writes no NVIDIA ICD manifest pointing at libGLX_nvidia.so.0")
    if not any(stage_base.startswith(("debian:", "rust:")) and "bookworm" in stage_base or "${debian}" in stage_base
               for stage_base in parent.values()):
        fail(where, "not based on Debian 12 (bookworm)")
    ignore = (ROOT / ".dockerignore")
    patterns = ignore.read_text().split() if ignore.is_file() else []
    for must in ("target/", ".git/"):
        if must not in patterns and must.rstrip("/") not in patterns:
            fail(".dockerignore", f"does not exclude {must}")


# ---------------------------------------------------------------- self-test

# (file, text, replacement, what the failure message must say)
BREAKAGES = [
    ("deploy/Dockerfile", "/usr/local/bin/xformd /usr/local/bin/xformd-ffmpeg /usr/local/bin/",
     "/usr/local/bin/xformd /usr/local/bin/", "no xformd-ffmpeg"),
    ("deploy/k8s/base/daemon.yaml", "        - name: cache\n          emptyDir:", "        - name: kache\n          emptyDir:",
     "names volume 'cache'"),
    ("deploy/k8s/base/daemon-service.yaml", "  clusterIP: None\n", "", "not headless"),
    ("deploy/k8s/base/front.yaml", "path: /readyz", "path: /ready", "not a route"),
    ("src/frontend.rs", '.route("/healthz"', '.route("/health"', "not a route"),
    ("deploy/k8s/base/daemon.yaml", "service: xformd.v1.Transformer", "service: xformd.Transformer",
     "not one the daemon registers"),
    ("deploy/k8s/base/daemon.yaml", "              mountPath: /media\n", "              mountPath: /srv/media\n",
     "media.root /media is not mounted"),
    ("deploy/k8s/base/daemon-hpa.yaml", "name: xformd_queue_depth", "name: xformd_queue_len", "not exported"),
    ("deploy/k8s/base/daemon-hpa.yaml", "    name: xformd-daemon\n  minReplicas", "    name: xformd-daemons\n  minReplicas",
     "scaleTargetRef"),
    ("deploy/k8s/base/daemon-pdb.yaml", "      app.kubernetes.io/component: daemon\n",
     "      app.kubernetes.io/component: daemons\n", "matches no Deployment"),
    ("deploy/k8s/base/daemon-networkpolicy.yaml", "values: [front, batch]", "values: [front]", "no policy admits"),
    ("deploy/k8s/base/daemon-networkpolicy.yaml", "        - podSelector:", "        - namespaceSelector: {}\n          podSelector:",
     "not only to pods"),
    ("deploy/k8s/base/front-service.yaml", "targetPort: http", "targetPort: web", "not a container port"),
    ("deploy/k8s/base/front.yaml", "http://xformd-daemon:50051", "http://xformd-daemon:50052", "has no port 50052"),
    ("deploy/k8s/batch/job.yaml", "$(JOB_COMPLETION_INDEX)/8", "$(JOB_COMPLETION_INDEX)/4", "completions is 8"),
    ("deploy/k8s/batch/job.yaml", "            - --shard\n            - $(JOB_COMPLETION_INDEX)/8\n", "", "lack --shard"),
    ("deploy/k8s/overlays/gpu/daemon-gpu.yaml", "              nvidia.com/gpu: 1\n", "", "without an nvidia.com/gpu"),
    ("deploy/k8s/base/daemon.yaml", "            allowPrivilegeEscalation: false\n", "", "allowPrivilegeEscalation"),
    ("deploy/k8s/base/front.yaml", "      containers:", "      bogusField: 1\n      containers:", "invalid for Kubernetes"),
    ("deploy/k8s/base/front.yaml", "key: token", "key: tokn", "lacks"),
    ("deploy/k8s/base/xformd.toml", "max_frames = 1000\n", "max_frames = 1000\nmax_framez = 1\n",
     "unknown ['limits.max_framez']"),
    ("deploy/k8s/components/s3-origin/xformd.toml", "max_frames = 1000\n", "max_frames = 999\n", "outside [[origins]]"),
    ("deploy/k8s/base/kustomization.yaml", "  - media-pvc.yaml\n", "", "PVC xformd-media"),
    ("deploy/Dockerfile", "# The default target: the GPU image, without lavapipe.\nFROM runtime", "FROM software",
     "mesa-vulkan-drivers"),
    ("deploy/Dockerfile", "USER 10001:10001\nEXPOSE", "EXPOSE", "USER 10001"),
    ("deploy/Dockerfile", "compute,graphics,utility", "compute,utility", "lacks graphics"),
]


def self_test(renderer: str) -> int:
    import tempfile

    missed = 0
    for rel, old, new, expect in BREAKAGES:
        with tempfile.TemporaryDirectory() as tmp:
            copy_root = Path(tmp)
            for part in ("scripts", "deploy", "src", "proto"):
                shutil.copytree(ROOT / part, copy_root / part)
            shutil.copy(ROOT / ".dockerignore", copy_root)
            target = copy_root / rel
            text = target.read_text()
            if old not in text:
                print(f"self-test: {rel} no longer contains {old!r}: update BREAKAGES", file=sys.stderr)
                return 2
            target.write_text(text.replace(old, new, 1))
            r = subprocess.run([sys.executable, str(copy_root / "scripts/check-deploy.py"), "--renderer", renderer],
                               capture_output=True, text=True)
            caught = r.returncode == 1 and expect in r.stderr
            missed += not caught
            print(f"{'caught' if caught else 'MISSED'}: {rel}: {old.strip()[:40]!r} -> {new.strip()[:40]!r}"
                  + ("" if caught else f" (exit {r.returncode}, wanted a failure saying {expect!r})"))
    print(f"check-deploy self-test: {len(BREAKAGES) - missed} caught, {missed} missed")
    return 1 if missed else 0


# ---------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--renderer", choices=["auto", "builtin", "kubectl"], default="auto")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the rendered objects")
    ap.add_argument("--self-test", action="store_true", help="break deploy/ on purpose and expect failures")
    args = ap.parse_args()
    if args.renderer == "kubectl" and not shutil.which("kubectl"):
        print("check-deploy: --renderer kubectl, but kubectl is not on PATH", file=sys.stderr)
        return 2
    if args.self_test:
        return self_test(args.renderer)
    facts = {"routes": rust_routes(), "health": grpc_health_services(), "metrics": exported_metrics()}
    check_config_files()
    check_dockerfile()
    overlays = sorted(p for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())
    rendered = 0
    try:
        batch = render(K8S / "batch", args.renderer)
        for overlay in overlays:
            objs = render(overlay, args.renderer) + batch
            where = str(overlay.relative_to(ROOT))
            if args.verbose:
                print(f"{where} + batch: " + ", ".join(ident(o) for o in objs))
            check_render(objs, where, facts)
            rendered += len(objs)
    except (RenderError, OSError, yaml.YAMLError) as e:
        fail("render", str(e))
    renderer = "built-in renderer" + (" = kubectl kustomize" if args.renderer == "auto" and shutil.which("kubectl") else "")
    if args.renderer == "kubectl":
        renderer = "kubectl kustomize"
    if failures:
        for f in failures:
            print(f"FAIL {f}", file=sys.stderr)
        print(f"check-deploy: {len(failures)} problem(s) in deploy/", file=sys.stderr)
        return 1
    print(f"check-deploy: ok: {len(overlays)} overlays + batch ({rendered} objects, {renderer}), "
          f"Kubernetes {FLOOR_VERSION} and {kubernetes_validate.latest_version()}, Dockerfile")
    return 0


if __name__ == "__main__":
    sys.exit(main())
