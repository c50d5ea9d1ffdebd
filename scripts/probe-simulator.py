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


class Request:
    """One streamed completion as the client saw it."""

    def __init__(self, client: int, started: float):
        self.client, self.started = client, started
        self.ended: float | None = None
        self.status: int | None = None
        self.done = False
        self.tokens = 0
        self.finish: str | None = None
        self.error: str | None = None


def client_loop(pod: Pod, index: int, spec_model: str, requests: list, lock: threading.Lock,
                stop: threading.Event, max_tokens: int):
    """Sends one streamed completion after another while the Service lists a ready endpoint."""
    while not stop.is_set():
        with pod.lock:
            routable = pod.endpoint_ready
        if not routable:
            time.sleep(0.02)
            continue
        request = Request(index, pod.now())
        with lock:
            requests.append(request)
        body = json.dumps({"model": spec_model, "prompt": "Once upon a time", "max_tokens": max_tokens,
                           "temperature": 0, "ignore_eos": True, "stream": True,
                           "stream_options": {"include_usage": True}}).encode()
        http = urllib.request.Request(f"http://127.0.0.1:{pod.port}/v1/completions", data=body,
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
        request.ended = pod.now()


def run(args) -> int:
    spec = PodSpec(load_documents(args))
    served_name = spec.env.get("FERRY_SERVED_MODEL_NAME") or spec.args[1]
    scale = args.time_scale
    print(f"Deployment {spec.deployment['metadata']['name']}: grace {spec.grace:g}s, preStop {spec.pre_stop:g}s, "
          f"time scale {scale:g}")
    for probe in spec.probes.values():
        print("  " + probe.describe())
    if spec.pre_stop < args.endpoint_delay:
        print(f"note: preStop ({spec.pre_stop:g}s) is shorter than the endpoint delay ({args.endpoint_delay:g}s)")

    pod = Pod(spec, args)
    requests: list[Request] = []
    lock, stop = threading.Lock(), threading.Event()
    exit_code = None
    try:
        pod.start()
        clients = [threading.Thread(target=client_loop, daemon=True,
                                    args=(pod, index, served_name, requests, lock, stop, args.max_tokens))
                   for index in range(args.clients)]
        for client in clients:
            client.start()
        # Serve until every client finished a request, then delete the pod with the next ones in flight.
        deadline = time.monotonic() + args.load_delay + spec.grace * scale + 120
        while not pod.stopped.is_set() and time.monotonic() < deadline:
            with lock:
                finished = {request.client for request in requests if request.ended is not None}
                in_flight = [request for request in requests if request.ended is None]
            if len(finished) == args.clients and len(in_flight) == args.clients:
                break
            time.sleep(0.05)
        else:
            if not pod.stopped.is_set():
                pod.fail("the clients never completed a request each")
        if not pod.stopped.is_set():
            exit_code = pod.delete()
        stop.set()
        for client in clients:
            client.join(timeout=STREAM_TIMEOUT)
    finally:
        pod.stopped.set()
        if pod.process and pod.process.poll() is None:
            pod.process.kill()
            pod.process.wait()
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
    for request in requests:
        if request.status != 200 or not request.done or request.tokens != args.max_tokens \
                or request.finish != "length":
            pod.fail(f"request from client {request.client} at {request.started:.2f}s: status {request.status}, "
                     f"[DONE] {request.done}, {request.tokens} tokens, finish {request.finish}, {request.error}")
    sigterm = getattr(pod, "sigterm_at", None)
    if sigterm is None:
        return
    in_flight = [request for request in requests if request.started < sigterm < (request.ended or float("inf"))]
    if not in_flight:
        pod.fail("no request was in flight at SIGTERM: lengthen --max-tokens")
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
    print("requests (client: start -> end, tokens, [DONE]):")
    for request in requests:
        end = f"{request.ended:7.2f}" if request.ended is not None else "   none"
        print(f"  {request.client}: {request.started:7.2f} -> {end}  {request.tokens} tokens, "
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
    parser.add_argument("--max-tokens", type=int, default=48, help="tokens per streamed completion")
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
