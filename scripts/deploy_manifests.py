#!/usr/bin/env python3
"""Renders Ferry's Helm chart offline and checks rendered manifests for the faults schemas cannot see.

    deploy_manifests.py render-helm CHART OUTDIR   # default values and each examples/values-*.yaml, linted
    deploy_manifests.py check FILE...              # each FILE is one deployable set (a render)

Used by scripts/validate-deploy.sh; needs PyYAML and, for render-helm, helm-python-sdk (no helm binary).
"""
from __future__ import annotations

import glob
import os
import re
import sys

import yaml

KUBE_VERSIONS = ["1.29.0", "1.30.0", "1.31.0", "1.32.0", "1.33.0"]
RELEASE, NAMESPACE = "ferry", "ferry"


# ---- Helm ------------------------------------------------------------------------------------------------------

def render_helm(chart_dir: str, out_dir: str) -> int:
    import helm_python as helm

    chart = helm.Chart.load(chart_dir)
    variants = {"default": {}}
    for path in sorted(glob.glob(os.path.join(chart_dir, "examples", "values-*.yaml"))):
        name = os.path.basename(path)[len("values-"):-len(".yaml")]
        with open(path) as file:
            variants[name] = yaml.safe_load(file) or {}
    failures = 0
    renders = [(name, values, RELEASE) for name, values in variants.items()]
    if "cpu" in variants:  # another release name: every name (HPA target, claim, secret) follows it
        renders.append(("cpu-release-prod", variants["cpu"], "prod"))
    for name, values, release in renders:
        chart.validate_schema(values)
        rendered = chart.render(values, name=release, namespace=NAMESPACE, is_install=True)
        documents = [text for path, text in sorted(rendered.items())
                     if not path.endswith("NOTES.txt") and text.strip()]
        target = os.path.join(out_dir, f"helm-{name}.yaml")
        with open(target, "w") as file:
            file.write("\n---\n".join(documents))
        for version in KUBE_VERSIONS:
            report = helm.lint(chart_dir, values, strict=True, kube_version=f"v{version}")
            problems = [m for m in report.get("messages", []) if m.get("severity", 0) >= 2] + report.get("errors", [])
            for problem in problems:
                print(f"helm lint ({name}, {version}): {problem}", file=sys.stderr)
                failures += 1
        print(f"rendered {target}")

    # The schema and the templates must refuse what would deploy a broken release.
    refusals = {
        "a misspelled top-level key": {"replicas": 2},
        "a string for an integer flag": {"serve": {"maxModelLen": "8k"}},
        "an unknown shutdown mode": {"shutdown": {"mode": "graceful"}},
        "an unknown accelerator": {"accelerator": {"type": "tpu"}},
        "autoscaling with no metric": {"autoscaling": {"enabled": True, "cpu": {"enabled": False},
                                                       "requestsWaiting": {"enabled": False}}},
        "minReplicas above maxReplicas": {"autoscaling": {"enabled": True, "minReplicas": 5, "maxReplicas": 2}},
        "no Secret and no name": {"secret": {"create": False}},
    }
    for what, values in refusals.items():
        try:
            chart.validate_schema(values)
            chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
        except helm.HelmError:
            continue
        print(f"helm: the chart accepted {what}: {values}", file=sys.stderr)
        failures += 1
    return failures


# ---- Checks on rendered manifests ------------------------------------------------------------------------------

def load(path: str) -> list[dict]:
    with open(path) as file:
        return [doc for doc in yaml.safe_load_all(file) if doc]


def matches(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def check_set(path: str) -> list[str]:
    docs = load(path)
    by_kind: dict[str, dict[str, dict]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    errors: list[str] = []

    def fail(message: str) -> None:
        errors.append(f"{os.path.basename(path)}: {message}")

    deployments = by_kind.get("Deployment", {})
    if not deployments:
        return errors  # e.g. monitoring examples: nothing to cross-check
    config_maps, secrets = by_kind.get("ConfigMap", {}), by_kind.get("Secret", {})
    claims = by_kind.get("PersistentVolumeClaim", {})
    hpa_targets = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in by_kind.get("HorizontalPodAutoscaler", {}).values()}

    for doc in docs:
        labels = doc["metadata"].get("labels", {})
        if doc["kind"] != "Namespace" and not {"app.kubernetes.io/name", "app.kubernetes.io/instance"} <= set(labels):
            fail(f"{doc['kind']}/{doc['metadata']['name']} lacks app.kubernetes.io/name or instance labels")

    for hpa in by_kind.get("HorizontalPodAutoscaler", {}).values():
        ref = hpa["spec"]["scaleTargetRef"]
        if ref["kind"] != "Deployment" or ref["name"] not in deployments:
            fail(f"HPA {hpa['metadata']['name']} targets {ref['kind']}/{ref['name']}, which this set does not define")

    for name, deployment in deployments.items():
        spec, template = deployment["spec"], deployment["spec"]["template"]
        pod_labels, pod = template["metadata"].get("labels", {}), template["spec"]
        if not matches(spec["selector"]["matchLabels"], pod_labels):
            fail(f"Deployment {name}: selector does not match its pod labels")
        if name in hpa_targets and "replicas" in spec:
            fail(f"Deployment {name}: sets replicas although an HPA owns the count")
        container = next(c for c in pod["containers"] if c["name"] == "ferry")
        port_names = {p["name"] for p in container.get("ports", [])}

        # Probes: startup and readiness on /health, liveness on /live, on a declared port.
        for probe, path_expected in (("startupProbe", "/health"), ("readinessProbe", "/health"),
                                     ("livenessProbe", "/live")):
            get = container.get(probe, {}).get("httpGet", {})
            if get.get("path") != path_expected:
                fail(f"Deployment {name}: {probe} is not an HTTP GET on {path_expected}")
            if isinstance(get.get("port"), str) and get["port"] not in port_names:
                fail(f"Deployment {name}: {probe} uses port {get.get('port')!r}, not a container port")
        startup = container.get("startupProbe", {})
        if startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3) < 300:
            fail(f"Deployment {name}: the startup probe allows less than 5 minutes to load a model")

        # Every $(VAR) of the args resolves; the config map and secrets referenced exist.
        env: dict[str, str] = {}
        for source in container.get("envFrom", []):
            ref = source.get("configMapRef", {}).get("name")
            if ref is not None:
                if ref not in config_maps:
                    fail(f"Deployment {name}: envFrom names ConfigMap {ref}, which this set does not define")
                else:
                    env.update(config_maps[ref].get("data", {}))
        for variable in container.get("env", []):
            secret_ref = variable.get("valueFrom", {}).get("secretKeyRef")
            if secret_ref and secret_ref["name"] not in secrets and not secret_ref.get("optional"):
                fail(f"Deployment {name}: env {variable['name']} needs Secret {secret_ref['name']}")
            env[variable["name"]] = variable.get("value", "<from " + str(variable.get("valueFrom")) + ">")
        args = [re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), "\0" + m.group(1)), a)
                for a in container.get("args", [])]
        for arg in args:
            if "\0" in arg:
                fail(f"Deployment {name}: argument refers to an undefined variable {arg.strip(chr(0))}")

        def flag(name_: str) -> str | None:
            return args[args.index(name_) + 1] if name_ in args[:-1] else None

        # Drain: the grace period outlasts the preStop sleep plus the drain timeout.
        grace = pod.get("terminationGracePeriodSeconds", 30)
        pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
        sleep = int(pre_stop[1]) if len(pre_stop) == 2 and pre_stop[0] == "sleep" else None
        if sleep is None:
            fail(f"Deployment {name}: no `sleep N` preStop hook to let endpoints drop the pod before SIGTERM")
        if flag("--shutdown-mode") != "drain":
            fail(f"Deployment {name}: --shutdown-mode is {flag('--shutdown-mode')!r}, not drain")
        else:
            drain = float(flag("--shutdown-drain-timeout") or 120)
            if grace <= (sleep or 0) + drain:
                fail(f"Deployment {name}: terminationGracePeriodSeconds {grace} <= preStop {sleep} + drain {drain}")

        # Security context: restricted, read-only root with writable /tmp and data volume.
        security = container.get("securityContext", {})
        pod_security = pod.get("securityContext", {})
        expectations = {
            "runAsNonRoot": security.get("runAsNonRoot") or pod_security.get("runAsNonRoot"),
            "runAsUser 10001": (security.get("runAsUser") or pod_security.get("runAsUser")) == 10001,
            "readOnlyRootFilesystem": security.get("readOnlyRootFilesystem"),
            "allowPrivilegeEscalation false": security.get("allowPrivilegeEscalation") is False,
            "capabilities drop ALL": security.get("capabilities", {}).get("drop") == ["ALL"],
            "seccomp RuntimeDefault": (security.get("seccompProfile") or pod_security.get("seccompProfile", {}))
            .get("type") == "RuntimeDefault",
            "no service account token": pod.get("automountServiceAccountToken") is False,
            "requests and limits": {"cpu", "memory"} <= set(container.get("resources", {}).get("limits", {}))
            and {"cpu", "memory"} <= set(container.get("resources", {}).get("requests", {})),
        }
        for what, ok in expectations.items():
            if not ok:
                fail(f"Deployment {name}: {what} is not set")
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        mounts = {m["mountPath"]: volumes.get(m["name"]) for m in container.get("volumeMounts", [])}
        if mounts.get("/tmp") is None:
            fail(f"Deployment {name}: no writable volume on /tmp")
        hf_home = env.get("HF_HOME", "")
        if not any(hf_home.startswith(path.rstrip("/") + "/") and volume for path, volume in mounts.items()):
            fail(f"Deployment {name}: HF_HOME {hf_home!r} is not on a mounted volume")
        for volume in volumes.values():
            claim = volume.get("persistentVolumeClaim", {}).get("claimName")
            if claim and claim not in claims:
                fail(f"Deployment {name}: volume {volume['name']} names PVC {claim}, which this set does not define")
        model = flag("serve") or (args[1] if len(args) > 1 else "")
        if not any(model.startswith(path.rstrip("/") + "/") for path in mounts):
            fail(f"Deployment {name}: the model path {model!r} is not on a mounted volume")

        # GPUs: NVIDIA pods get a memory-backed /dev/shm.
        limits = container.get("resources", {}).get("limits", {})
        if "nvidia.com/gpu" in limits:
            shm = mounts.get("/dev/shm") or {}
            if shm.get("emptyDir", {}).get("medium") != "Memory":
                fail(f"Deployment {name}: an NVIDIA GPU pod without a memory-backed /dev/shm")

        # Service, PDB and NetworkPolicy select this Deployment's pods.
        for service in by_kind.get("Service", {}).values():
            if not matches(service["spec"].get("selector", {}), pod_labels):
                fail(f"Service {service['metadata']['name']}: selector matches no pod of Deployment {name}")
            for port in service["spec"]["ports"]:
                target = port.get("targetPort")
                if isinstance(target, str) and target not in port_names:
                    fail(f"Service {service['metadata']['name']}: targetPort {target} is not a container port")
        for kind, field in (("PodDisruptionBudget", ("selector",)), ("NetworkPolicy", ("podSelector",))):
            for doc in by_kind.get(kind, {}).values():
                selector = doc["spec"]
                for key in field:
                    selector = selector.get(key, {})
                if not matches(selector.get("matchLabels", {}), pod_labels):
                    fail(f"{kind} {doc['metadata']['name']}: selector matches no pod of Deployment {name}")
    return errors


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "render-helm":
        return 1 if render_helm(argv[1], argv[2]) else 0
    if len(argv) >= 2 and argv[0] == "check":
        errors = []
        for path in argv[1:]:
            try:
                errors += check_set(path)
            except (KeyError, TypeError, ValueError, IndexError, StopIteration) as error:  # schemas report the cause
                errors.append(f"{os.path.basename(path)}: malformed, cannot cross-check ({type(error).__name__}: {error})")
        for error in errors:
            print(f"check: {error}", file=sys.stderr)
        print(f"consistency checks: {len(argv) - 1} sets, {len(errors)} problems")
        return 1 if errors else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
