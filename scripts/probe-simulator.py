#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Plays the kubelet and the endpoints controller against a real `ferry serve`, with the rendered Deployment's
probes, grace period, preStop hook and container args.

    scripts/probe-simulator.py --manifest .cache/deploy-render/kustomize-cpu.yaml --time-scale 0.1
    scripts/probe-simulator.py --kustomize k8s/overlays/cpu --kubectl .cache/deploy-venv/tools/bin/kubectl

In the pod's order (probe_pod.py holds the kubelet side):
  * starts the container's args (the model path, --port and --host are the only translations) with a slow model
    load (FERRY_TEST_LOAD_DELAY_SECONDS), runs the startupProbe, then the readinessProbe and livenessProbe on their
    schedules (initialDelaySeconds, periodSeconds, timeoutSeconds, success and failure thresholds; readiness and
    liveness wait for the startup probe, as kubelet's prober does);
  * derives the pod's Ready condition and its Service endpoint (ready when the pod is Ready and not terminating,
    --endpoint-delay after the change: the endpoints controller and kube-proxy are not instant);
  * sends streaming completions from --clients clients, each only while the endpoint is ready;
  * deletes the pod while requests are in flight: endpoint removal and the preStop hook start together, SIGTERM
    follows the hook, SIGKILL comes at terminationGracePeriodSeconds.
It fails on a container restart (startup or liveness threshold reached), a pod Ready before the model loaded, a
request to a ready endpoint that is refused or ends without [DONE] and all its tokens, an endpoint still listed
when SIGTERM is sent, no request in flight at SIGTERM (nothing was tested), and an exit other than 0 before the grace
deadline. Prints the timeline.

Durations from the manifest are multiplied by --time-scale (1 = real time; CI uses 0.1); probe timeouts never go
below probe_pod.MIN_PROBE_TIMEOUT. Needs PyYAML (and kubectl for --kustomize). Exit 0 when every check passes.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from probe_pod import Pod, PodSpec, SimulationError, load_documents  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = ROOT.parent / "shared/models/SmolLM2-135M-Instruct-Q4_1-gguf/SmolLM2-135M-Instruct.Q4_1.gguf"
STREAM_TIMEOUT = 120.0  # seconds one streamed completion may take before the client gives up (a failure)
FAILURE_BACKOFF = 0.1   # seconds a client waits after a failed request before the next one
CALIBRATION_TOKENS = 16  # tokens of each client's first request, which measures the server's speed
MAX_TOKENS = 2048        # the most tokens a sized request asks for
MIN_REQUEST_SECONDS = 2.0  # the shortest a sized request is meant to last


class Request:
    """One streamed completion as the client saw it."""

    def __init__(self, client: int, started: float, max_tokens: int):
        self.client, self.started, self.max_tokens = client, started, max_tokens
        self.ended: float | None = None
        self.status: int | None = None
        self.done = False
        self.tokens = 0
        self.finish: str | None = None
        self.error: str | None = None

    def complete(self) -> bool:
        return self.status == 200 and self.done and self.tokens == self.max_tokens and self.finish == "length"


class Traffic:
    """The Service's clients: streamed completions, sent only while the endpoint is ready.

    The first request (CALIBRATION_TOKENS tokens) measures the server's speed; later ones are sized to last
    `target` seconds at the fastest speed seen so far, so a request started just before the pod's deletion is still
    in flight when SIGTERM comes, and ends inside the grace period, however busy the machine is.
    """

    def __init__(self, pod: Pod, model: str, target: float, clients: int):
        self.pod, self.model, self.target, self.clients = pod, model, target, clients
        self.lock, self.stop = threading.Lock(), threading.Event()
        self.requests: list[Request] = []
        self.sized_tokens: int | None = None
        self.fastest_rate = 0.0

    def client_loop(self, index: int):
        while not self.stop.is_set():
            with self.pod.lock:
                routable = self.pod.endpoint_ready
            if not routable:
                time.sleep(0.02)
                continue
            with self.lock:
                request = Request(index, self.pod.now(), self.sized_tokens or CALIBRATION_TOKENS)
                self.requests.append(request)
            self.send(request)
            if request.complete():
                rate = request.tokens / max(request.ended - request.started, 1e-3)
                with self.lock:
                    if rate > self.fastest_rate:
                        self.fastest_rate = rate
                        self.sized_tokens = max(CALIBRATION_TOKENS, min(MAX_TOKENS, int(rate * self.target)))
                        self.pod.event(f"clients: up to {rate:.0f} tokens/s; requests of {self.sized_tokens} "
                                       f"tokens (~{self.target:.1f}s at that speed)")
            if not request.done:
                time.sleep(FAILURE_BACKOFF)

    def send(self, request: Request):
        body = json.dumps({"model": self.model, "prompt": "Once upon a time", "max_tokens": request.max_tokens,
                           "temperature": 0, "ignore_eos": True, "stream": True,
                           "stream_options": {"include_usage": True}}).encode()
        http = urllib.request.Request(f"http://127.0.0.1:{self.pod.port}/v1/completions", data=body,
                                      headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(http, timeout=STREAM_TIMEOUT) as response:
                request.status = response.status
                for raw in response:
                    line = raw.decode().strip()
                    if line == "data: [DONE]":
                        request.done = True
                    elif line.startswith("data: "):
                        chunk = json.loads(line[6:])
                        for choice in chunk.get("choices", []):
                            request.finish = choice.get("finish_reason") or request.finish
                        if chunk.get("usage"):
                            request.tokens = chunk["usage"]["completion_tokens"]
        except urllib.error.HTTPError as error:
            request.status, request.error = error.code, error.read().decode(errors="replace")[:200]
        except OSError as error:
            request.error = str(error)
        request.ended = self.pod.now()

    def just_started_sized(self) -> bool:
        """A sized request started in the last 0.2 s, and every client has finished one: time to delete the pod."""
        now = self.pod.now()
        with self.lock:
            clients = {request.client for request in self.requests if request.ended is not None}
            fresh = [request for request in self.requests if request.ended is None
                     and request.max_tokens == self.sized_tokens and now - request.started < 0.2]
        return len(clients) == self.clients and bool(fresh)


# Ways to break a Deployment, for the simulator's own test (validate-deploy.sh): each run must then fail.
MUTATIONS = {
    # Startup and readiness on /live, which answers while the model loads: Ready too early.
    "ready-on-live": lambda pod: [pod["containers"][0][f"{kind}Probe"]["httpGet"].update(path="/live")
                                  for kind in ("startup", "readiness")],
    # No preStop hook: SIGTERM (and the drain's 503s) while the Service still sends traffic.
    "no-prestop": lambda pod: pod["containers"][0].get("lifecycle", {}).pop("preStop", None),
    # A grace period shorter than the preStop sleep: SIGKILL before the drain ends.
    "short-grace": lambda pod: pod.update(terminationGracePeriodSeconds=1),
}


def run(args) -> int:
    documents = load_documents(args)
    if args.mutate:
        for document in documents:
            if document.get("kind") == "Deployment":
                MUTATIONS[args.mutate](document["spec"]["template"]["spec"])
        print(f"mutated: {args.mutate} (this run must fail)")
    spec = PodSpec(documents)
    served_name = spec.env.get("FERRY_SERVED_MODEL_NAME") or spec.args[1]
    scale = args.time_scale
    print(f"Deployment {spec.deployment['metadata']['name']}: grace {spec.grace:g}s, preStop {spec.pre_stop:g}s, "
          f"time scale {scale:g}")
    for probe in spec.probes.values():
        print("  " + probe.describe())
    if spec.pre_stop < args.endpoint_delay:
        print(f"note: preStop ({spec.pre_stop:g}s) is shorter than the endpoint delay ({args.endpoint_delay:g}s)")

    pod = Pod(spec, args)
    # Longer than the scaled preStop sleep (in flight at SIGTERM) and shorter than the rest of the grace period (done
    # before SIGKILL), by the same factor either way: the geometric mean (3.7 s for 10 s of 150 at scale 0.1).
    target = max(MIN_REQUEST_SECONDS, ((spec.pre_stop + args.endpoint_delay) * (spec.grace - spec.pre_stop)) ** 0.5
                 * scale)
    traffic = Traffic(pod, served_name, target, args.clients)
    exit_code = None
    try:
        pod.start()
        clients = [threading.Thread(target=traffic.client_loop, args=(index,), daemon=True)
                   for index in range(args.clients)]
        for client in clients:
            client.start()
        # Serve for two liveness periods at least (the probes must see the server busy), and until every client
        # finished a request; then delete the pod as a sized request has just started.
        serving = 2 * max(probe.period for probe in spec.probes.values()) * scale

        def serve_until() -> float:
            ready = [t for t, text in pod.events if text.startswith("pod Ready=True")]
            return ready[0] + serving if ready else float("inf")
        deadline = time.monotonic() + args.load_delay + spec.grace * scale + 120
        while not pod.stopped.is_set() and time.monotonic() < deadline:
            if traffic.just_started_sized() and pod.now() >= serve_until():
                break
            time.sleep(0.02)
        else:
            if not pod.stopped.is_set():
                pod.fail("the clients never completed a request each")
        if not pod.stopped.is_set():
            exit_code = pod.delete()
        traffic.stop.set()
        for client in clients:
            client.join(timeout=STREAM_TIMEOUT)
    finally:
        pod.stopped.set()
        if pod.process and pod.process.poll() is None:
            pod.process.kill()
            pod.process.wait()
    requests = traffic.requests
    check(pod, requests, exit_code, args)
    print_timeline(pod, requests)
    if pod.failures:
        print(f"\nFAILED ({len(pod.failures)}):\n  " + "\n  ".join(pod.failures))
        print(f"ferry's log: {pod.log.name}")
        return 1
    sigterm = getattr(pod, "sigterm_at", 0.0)
    drained = [r for r in requests if r.started < sigterm < (r.ended or 0)]
    print(f"\nOK: {len(requests)} requests, {len(drained)} in flight at SIGTERM all completed with [DONE]; exit 0")
    return 0


def check(pod: Pod, requests: list[Request], exit_code, args):
    """The assertions on the whole run (the pod checked its own as it went)."""
    ready = [t for t, text in pod.events if text.startswith("pod Ready=True")]
    if not ready:
        pod.fail("the pod never turned Ready")
    elif ready[0] < args.load_delay:
        pod.fail(f"the pod turned Ready at {ready[0]:.2f}s, before the {args.load_delay:g}s load delay ended")
    if pod.model_ready_at is None:
        pod.fail("ferry never logged that the model was loaded")
    broken = [request for request in requests if not request.complete()]
    for request in broken[:3]:
        pod.fail(f"request from client {request.client} at {request.started:.2f}s: status {request.status}, "
                 f"[DONE] {request.done}, {request.tokens} tokens, finish {request.finish}, {request.error}")
    if len(broken) > 3:
        pod.fail(f"... and {len(broken) - 3} more failed requests ({len(broken)} of {len(requests)})")
    sigterm = getattr(pod, "sigterm_at", None)
    if sigterm is None:
        return
    in_flight = [request for request in requests if request.started < sigterm < (request.ended or float("inf"))]
    if not in_flight:
        pod.fail("no request was in flight at SIGTERM: nothing tested the drain")
    removed = [t for t, text in pod.events if text == "Service endpoint removed"]
    if not removed or removed[0] > sigterm:
        pod.fail("the endpoint was not removed before SIGTERM")
    late = [r for r in requests if removed and r.started > removed[0]]
    if late:
        pod.fail(f"{len(late)} requests were sent after the endpoint was removed")
    if exit_code != 0:
        pod.fail(f"exit status {exit_code}, expected 0 before the grace deadline")


def print_timeline(pod: Pod, requests: list[Request]):
    print("\ntimeline (seconds since the container started):")
    for at, text in sorted(pod.events):
        print(f"  {at:7.2f}  {text}")
    print("probes (kind, phase: results):")
    for kind in ("startup", "readiness", "liveness"):
        for phase in ("loading", "serving", "terminating"):
            results = {status: count for (k, p, status), count in sorted(pod.probe_counts.items(), key=str)
                       if k == kind and p == phase}
            if results:
                print(f"  {kind:9} {phase:11}: " + ", ".join(f"{count} x {status or 'no answer'}"
                                                         for status, count in results.items()))
    print("requests (client: start -> end, tokens, [DONE]):")
    for request in requests[:40]:
        end = f"{request.ended:7.2f}" if request.ended is not None else "   none"
        print(f"  {request.client}: {request.started:7.2f} -> {end}  {request.tokens}/{request.max_tokens} tokens, "
              f"{'[DONE]' if request.done else 'no [DONE]'}, status {request.status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--manifest", help="a rendered multi-document YAML (kustomize or Helm output)")
    source.add_argument("--kustomize", help="a kustomize directory, rendered with --kubectl")
    parser.add_argument("--kubectl", default="kubectl")
    parser.add_argument("--binary", default=os.environ.get("FERRY_BINARY", str(ROOT / ".build/debug/ferry")))
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="replaces the container's model path")
    parser.add_argument("--time-scale", type=float, default=1.0, help="multiplies every manifest duration")
    parser.add_argument("--load-delay", type=float, default=3.0,
                        help="seconds (real) the model load is held back: the startup probe must wait for it")
    parser.add_argument("--endpoint-delay", type=float, default=2.0,
                        help="seconds (scaled) until an endpoint change reaches the Service's clients")
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--mutate", choices=sorted(MUTATIONS),
                        help="breaks the Deployment first (the simulator's own test: the run must fail)")
    args = parser.parse_args()
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    for path, what in ((args.binary, "--binary"), (args.model, "--model")):
        if not os.path.exists(path):
            parser.error(f"{what} {path} does not exist")
    try:
        return run(args)
    except SimulationError as error:
        print(f"probe-simulator: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
