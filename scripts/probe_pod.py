# SPDX-License-Identifier: Apache-2.0
"""The kubelet side of scripts/probe-simulator.py: the pod spec read from a rendered Deployment, probe workers,
the Ready condition, the Service endpoint and the termination sequence. See probe-simulator.py for the whole.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import yaml

MIN_PROBE_TIMEOUT = 1.0  # seconds, real time: the floor of a scaled timeoutSeconds
MODEL_LOG_WAIT = 1.0     # seconds a Ready pod may wait for ferry's "ready" log line (it follows /health 200)


class SimulationError(Exception):
    """A check failed: the message says which."""


# ---- the rendered Deployment ----------------------------------------------------------------------------------

def load_documents(args) -> list[dict]:
    if args.manifest:
        with open(args.manifest) as file:
            text = file.read()
    else:
        text = subprocess.run([args.kubectl, "kustomize", args.kustomize], check=True, capture_output=True,
                              text=True).stdout
    return [doc for doc in yaml.safe_load_all(text) if doc]


class PodSpec:
    """What the kubelet reads from the Deployment: the ferry container's args, env, probes and hooks."""

    def __init__(self, documents: list[dict]):
        deployments = [doc for doc in documents if doc.get("kind") == "Deployment"]
        if len(deployments) != 1:
            raise SimulationError(f"expected one Deployment in the manifests, found {len(deployments)}")
        self.deployment = deployments[0]
        pod = self.deployment["spec"]["template"]["spec"]
        self.container = pod["containers"][0]
        self.grace = float(pod.get("terminationGracePeriodSeconds", 30))
        config_maps = {doc["metadata"]["name"]: doc.get("data", {}) for doc in documents
                       if doc.get("kind") == "ConfigMap"}
        self.env: dict[str, str] = {}
        for source in self.container.get("envFrom", []):
            name = source.get("configMapRef", {}).get("name")
            if name is not None:
                if name not in config_maps:
                    raise SimulationError(f"envFrom names ConfigMap {name}, which the manifests do not define")
                self.env.update(config_maps[name])
        for variable in self.container.get("env", []):
            if "value" in variable:
                self.env[variable["name"]] = expand(variable["value"], self.env)
        ports = {port.get("name"): port["containerPort"] for port in self.container.get("ports", [])}
        self.probes = {kind: Probe(kind, self.container[f"{kind}Probe"], ports)
                       for kind in ("startup", "readiness", "liveness") if f"{kind}Probe" in self.container}
        if "readiness" not in self.probes or "liveness" not in self.probes:
            raise SimulationError("the container needs a readinessProbe and a livenessProbe")
        self.pre_stop = pre_stop_seconds(self.container.get("lifecycle", {}).get("preStop"))
        self.args = [expand(arg, self.env) for arg in self.container.get("args", [])]
        if self.container.get("command") not in (None, ["ferry"]):
            raise SimulationError(f"unexpected command {self.container['command']}: the image's entrypoint is ferry")
        if self.args[:1] != ["serve"] or len(self.args) < 2:
            raise SimulationError(f"the args must be `serve MODEL ...`, got {self.args}")
        self.port = int(option(self.args, "--port") or 8000)
        for probe in self.probes.values():
            if probe.port != self.port:
                raise SimulationError(f"the {probe.kind} probe targets port {probe.port}, ferry listens on {self.port}")

    def command(self, binary: str, model: str, port: int) -> list[str]:
        """The container's args with the model path, port and host translated for this machine."""
        args = [binary, "serve", model]
        rest = self.args[2:]
        index = 0
        while index < len(rest):
            if rest[index] in ("--port", "--host"):
                index += 2
                continue
            args.append(rest[index])
            index += 1
        return args + ["--host", "127.0.0.1", "--port", str(port)]


def expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion: defined variables are replaced, $$ escapes, unknown references stay."""
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                  lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), value)


def option(args: list[str], name: str) -> str | None:
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def pre_stop_seconds(hook: dict | None) -> float:
    """The preStop hook's duration: `sleep N` as an exec command, or the sleep action."""
    if not hook:
        return 0.0
    if "sleep" in hook:
        return float(hook["sleep"]["seconds"])
    command = hook.get("exec", {}).get("command", [])
    words = " ".join(command).split()
    if len(words) >= 2 and words[-2].endswith("sleep") and re.fullmatch(r"\d+(\.\d+)?", words[-1]):
        return float(words[-1])
    raise SimulationError(f"cannot simulate the preStop hook {hook}: only `sleep N` is understood")


class Probe:
    """One probe's settings, with Kubernetes' defaults."""

    def __init__(self, kind: str, spec: dict, ports: dict):
        if "httpGet" not in spec:
            raise SimulationError(f"the {kind} probe is not an httpGet probe")
        self.kind = kind
        self.path = spec["httpGet"].get("path", "/")
        port = spec["httpGet"]["port"]
        self.port = int(ports[port] if isinstance(port, str) and not port.isdigit() else port)
        self.initial_delay = float(spec.get("initialDelaySeconds", 0))
        self.period = float(spec.get("periodSeconds", 10))
        self.timeout = float(spec.get("timeoutSeconds", 1))
        self.failure_threshold = int(spec.get("failureThreshold", 3))
        self.success_threshold = int(spec.get("successThreshold", 1))

    def describe(self) -> str:
        return (f"{self.kind}: GET {self.path} every {self.period:g}s (delay {self.initial_delay:g}s, timeout "
                f"{self.timeout:g}s, fail after {self.failure_threshold}, ready after {self.success_threshold})")


# ---- the simulated pod ----------------------------------------------------------------------------------------

class Pod:
    """The kubelet's view of one pod: probe workers, Ready condition, endpoint, termination."""

    def __init__(self, spec: PodSpec, args):
        self.spec, self.args = spec, args
        self.scale = args.time_scale
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        self.events: list[tuple[float, str]] = []
        self.failures: list[str] = []
        self.started_ok = "startup" not in spec.probes
        self.ready = False
        self.endpoint_ready = False
        self.terminating = False
        self.stopped = threading.Event()
        self.process: subprocess.Popen | None = None
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile("w+", prefix="ferry-probe-sim-", suffix=".log", delete=False)
        self.model_ready_at: float | None = None
        self.last_startup_status: int | None = -1
        self.probe_counts: dict[tuple[str, str, int | None], int] = {}  # (kind, phase, status) -> probes

    def now(self) -> float:
        return time.monotonic() - self.t0

    def event(self, text: str):
        with self.lock:
            self.events.append((self.now(), text))

    def fail(self, text: str):
        self.event("FAILED: " + text)
        with self.lock:
            self.failures.append(text)

    # ---- container lifecycle ----

    def start(self):
        command = self.spec.command(self.args.binary, self.args.model, self.port)
        hf_home = tempfile.mkdtemp(prefix="ferry-probe-sim-hf-")
        env = {**os.environ, **self.spec.env, "HF_HOME": hf_home,
               "FERRY_TEST_LOAD_DELAY_SECONDS": str(self.args.load_delay)}
        self.event("container started: " + " ".join(command[1:]))
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        threading.Thread(target=self.watch_log, daemon=True).start()
        for kind in self.spec.probes:
            threading.Thread(target=self.probe_worker, args=(self.spec.probes[kind],), daemon=True).start()

    def watch_log(self):
        """Notes when the server logs that the model is loaded ("ready"), in either log format."""
        with open(self.log.name) as reader:
            while not self.stopped.is_set():
                line = reader.readline()
                if not line:
                    time.sleep(0.02)
                    continue
                if re.search(r'"message"\s*:\s*"ready"|ferry: ready\b', line) and self.model_ready_at is None:
                    self.model_ready_at = self.now()
                    self.event("ferry logged: model loaded (ready)")

    def probe_worker(self, probe: Probe):
        """kubelet's prober worker: one probe per period, thresholds on consecutive results."""
        period = probe.period * self.scale
        timeout = max(probe.timeout * self.scale, MIN_PROBE_TIMEOUT)
        successes = failures = 0
        time.sleep(probe.initial_delay * self.scale)
        while not self.stopped.is_set():
            tick = time.monotonic()
            if probe.kind == "startup" and self.started_ok:
                return
            if probe.kind != "startup" and not self.started_ok:
                time.sleep(max(0.0, tick + period - time.monotonic()))
                continue
            status = http_status(f"http://127.0.0.1:{self.port}{probe.path}", timeout)
            ok = status is not None and 200 <= status < 400
            successes, failures = (successes + 1, 0) if ok else (0, failures + 1)
            self.on_probe(probe, ok, status, successes, failures)
            time.sleep(max(0.0, tick + period - time.monotonic()))

    def phase(self) -> str:
        return "terminating" if self.terminating else "serving" if self.model_ready_at is not None else "loading"

    def on_probe(self, probe: Probe, ok: bool, status, successes: int, failures: int):
        if self.stopped.is_set():
            return
        with self.lock:
            key = (probe.kind, self.phase(), status)
            self.probe_counts[key] = self.probe_counts.get(key, 0) + 1
        if probe.kind == "startup":
            if ok and successes >= probe.success_threshold:
                self.started_ok = True
                self.event(f"startup probe succeeded ({probe.path} {status}); readiness and liveness begin")
            elif not ok and status != self.last_startup_status:
                self.event(f"startup probe failing ({probe.path} {status or 'no answer'}): not started yet")
            self.last_startup_status = status
            if failures >= probe.failure_threshold:
                self.fail(f"startup probe failed {failures} times: kubelet restarts the container")
                self.stopped.set()
        elif probe.kind == "readiness":
            if ok and successes >= probe.success_threshold and not self.ready:
                self.set_ready(True, f"readiness {probe.path} {status}")
            elif not ok and failures >= probe.failure_threshold and self.ready:
                self.set_ready(False, f"readiness {probe.path} {status or 'no answer'} x{failures}")
        elif probe.kind == "liveness":
            if not ok:
                self.event(f"liveness probe failed ({probe.path} {status or 'no answer'}), {failures} in a row")
            if failures >= probe.failure_threshold:
                self.fail(f"liveness probe failed {failures} times: kubelet kills the container")
                self.stopped.set()

    def set_ready(self, ready: bool, why: str):
        with self.lock:
            self.ready = ready
        self.event(f"pod Ready={ready} ({why})")
        if ready:
            waited = time.monotonic() + MODEL_LOG_WAIT
            while self.model_ready_at is None and time.monotonic() < waited:
                time.sleep(0.01)
            if self.model_ready_at is None:
                self.fail("the pod turned Ready but ferry has not logged that the model is loaded")
        self.update_endpoint()

    def update_endpoint(self):
        """The endpoints controller: the endpoint follows (Ready and not terminating) after --endpoint-delay."""
        delay = self.args.endpoint_delay * self.scale

        def apply():
            with self.lock:
                wanted = self.ready and not self.terminating
                changed = wanted != self.endpoint_ready
                self.endpoint_ready = wanted
            if changed:
                self.event(f"Service endpoint {'added' if wanted else 'removed'}")
        threading.Timer(delay, apply).start()

    def delete(self) -> int | None:
        """Pod deletion: endpoint removal and preStop together, SIGTERM after preStop, SIGKILL at the grace end."""
        grace = self.spec.grace * self.scale
        deadline = time.monotonic() + grace
        with self.lock:
            self.terminating = True
        self.event(f"pod deleted: endpoint removal and preStop (sleep {self.spec.pre_stop:g}s) start; grace "
                   f"{self.spec.grace:g}s")
        self.update_endpoint()
        time.sleep(min(self.spec.pre_stop * self.scale, grace))
        with self.lock:
            listed = self.endpoint_ready
        if listed:
            self.fail("the endpoint is still listed when SIGTERM is sent: the drain starts while traffic comes in")
        self.event("preStop done: SIGTERM")
        self.sigterm_at = self.now()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            self.event(f"container exited {code} ({deadline - time.monotonic():.1f}s before the grace deadline)")
            return code
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            self.fail("grace period over: SIGKILL")
            return None
        finally:
            self.stopped.set()


def http_status(url: str, timeout: float) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, ValueError):
        return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
