#!/usr/bin/env bash
# Builds Ferry's container image from the unchanged Dockerfile with podman, without Docker Hub, then smoke-tests it:
# runs it with the default model mounted, waits for /health 200, gets a real completion, stops it with SIGTERM and
# checks exit status 0. Prints the build time and the image size.
#
#   scripts/build-image.sh            # build ferry:local and smoke-test it
#   FERRY_IMAGE=ferry:dev scripts/build-image.sh
#   scripts/build-image.sh --no-smoke # build only
#   scripts/build-image.sh --no-cache # every Dockerfile step again (for a build time)
#
# Docker Hub is out of reach here, so the two base images the Dockerfile names are made locally and cached in
# podman's store (skipped on later runs; `podman rmi` them to rebuild):
#   docker.io/library/debian:bookworm-slim  debootstrap --variant=minbase from the Debian mirror this machine uses
#                                           (/etc/apt/sources.list[.d]), slimmed the way the official -slim image is
#                                           (dpkg path excludes for docs, man pages and locales);
#   docker.io/library/swift:6.3.1-bookworm  that Debian plus the official image's apt packages and the host's Swift
#                                           toolchain, copied in through a build-time bind mount. Its /etc/gitconfig
#                                           rewrites https://github.com/ to the host's Swift package mirror (the
#                                           folder named by `git config --get-regexp insteadof`), which the Ferry
#                                           build mounts read-only at the same path: `swift package resolve` in the
#                                           Dockerfile then works offline, with the Dockerfile unchanged.
# Needs root (podman, debootstrap). Installs podman, buildah, runc, debootstrap, fuse-overlayfs, slirp4netns, uidmap
# when missing and configures podman for this machine (runc; crun fails here) in /etc/containers/containers.conf.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

image=${FERRY_IMAGE:-localhost/ferry:local}
debian_image=docker.io/library/debian:bookworm-slim
swift_image=docker.io/library/swift:6.3.1-bookworm
smoke=yes
cache_flags=()
for arg in "$@"; do
    case $arg in
        --no-smoke) smoke=no ;;
        --no-cache) cache_flags=(--no-cache) ;;  # rebuild every Dockerfile step (the base images stay cached)
        *) echo "usage: scripts/build-image.sh [--no-smoke] [--no-cache]" >&2; exit 2 ;;
    esac
done
work="$root/.cache/image"
mkdir -p "$work"

say() { printf 'build-image: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (podman and debootstrap)"

# ---- tools ----------------------------------------------------------------------------------------------------
tools=(podman buildah runc debootstrap fuse-overlayfs slirp4netns uidmap)
missing=()
for package in "${tools[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
conf=/etc/containers/containers.conf
if ! grep -q '^runtime = "runc"' "$conf" 2>/dev/null; then
    say "configuring $conf (runc, capped ulimits)"
    mkdir -p /etc/containers
    cat >>"$conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
EOF
fi

# ---- local debian:bookworm-slim -------------------------------------------------------------------------------
mirror=$(grep -h -o -E '^URIs: *[^ ]+' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' \
    | grep -v -- -security | head -n 1 || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
security_mirror=$(grep -h -o -E '^URIs: *[^ ]+-security' /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk '{print $2}' | head -n 1 || true)
[ -n "$security_mirror" ] || security_mirror=http://deb.debian.org/debian-security

step_started=$(date +%s)
if podman image exists "$debian_image"; then
    say "$debian_image: cached"
else
    say "$debian_image: debootstrap from $mirror"
    rootfs="$work/debian-rootfs"
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap failed (log: $work/debootstrap.log)"; }
    # What the official -slim image does: no docs, man pages, info or locales (dpkg excludes keep it so later).
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$rootfs"/usr/share/{man,groff,info,lintian,linda}/* "$rootfs"/var/cache/apt/*.bin \
        "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
    rm -f "$rootfs/etc/apt/sources.list"
    cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    tar -C "$rootfs" -c . | podman import --change 'CMD ["bash"]' - localhost/debian:bookworm >/dev/null
    podman tag localhost/debian:bookworm "$debian_image"
    rm -rf "$rootfs"
    say "$debian_image: made in $(($(date +%s) - step_started)) s"
fi

# ---- local swift:6.3.1-bookworm -------------------------------------------------------------------------------
swift_bin=$(readlink -f "$(command -v swift)") || die "no swift on PATH"
toolchain=$(dirname "$(dirname "$(dirname "$swift_bin")")")
package_mirror=$(git config --get-regexp 'url\..*\.insteadof' | awk '$2 == "https://github.com/" {print $1; exit}' \
    | sed -e 's/^url\.//' -e 's/\.insteadof$//')
[ -n "$package_mirror" ] || die "no git insteadOf rewrite for https://github.com/ (the Swift package mirror)"
package_mirror=${package_mirror%/}

if podman image exists "$swift_image"; then
    say "$swift_image: cached"
else
    say "$swift_image: $debian_image + toolchain $toolchain + git rewrite to $package_mirror"
    cat >"$work/Dockerfile.swift" <<EOF
FROM $debian_image
# The apt packages of the official swift:bookworm image.
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
        binutils git gnupg2 libc6-dev libcurl4-openssl-dev libedit2 libgcc-12-dev libpython3-dev libsqlite3-0 \\
        libstdc++-12-dev libxml2-dev libncurses-dev libz3-dev pkg-config tzdata zlib1g-dev unzip ca-certificates \\
    && rm -rf /var/lib/apt/lists/*
RUN cp -a /host-swift/usr/. /usr/ && swift --version
# Offline package resolution: https://github.com/ resolves from the mirror the build mounts at the same path.
RUN git config --system url.$package_mirror/.insteadOf https://github.com/
EOF
    step_started=$(date +%s)
    podman build --pull=never -v "$toolchain:/host-swift:ro" -t "$swift_image" -f "$work/Dockerfile.swift" "$work"
    say "$swift_image: made in $(($(date +%s) - step_started)) s"
fi

# ---- Ferry image ----------------------------------------------------------------------------------------------
say "building $image from the Dockerfile (a release build: 1-2 minutes on 2 cores)"
build_started=$(date +%s)
# --iidfile: only a build that finished writes the id, so an interrupted one can never pass off the previous image.
rm -f "$work/image-id"
podman build --pull=never "${cache_flags[@]}" -v "$package_mirror:$package_mirror:ro" -t "$image" \
    --iidfile "$work/image-id" -f Dockerfile . || die "podman build failed"
[ -s "$work/image-id" ] || die "podman build did not finish (no image id written)"
built_id=$(cat "$work/image-id")
[ "$(podman image inspect --format '{{.Id}}' "$image")" = "${built_id#sha256:}" ] \
    || die "$image is not the image just built ($built_id)"
build_seconds=$(($(date +%s) - build_started))
size_bytes=$(podman image inspect --format '{{.Size}}' "$image")
say "built $image in ${build_seconds} s; size $((size_bytes / 1000000)) MB ($size_bytes bytes)"
for layer_image in "$debian_image"; do
    say "  base $layer_image: $(($(podman image inspect --format '{{.Size}}' "$layer_image") / 1000000)) MB"
done
[ "$smoke" = yes ] || exit 0

# ---- smoke test -----------------------------------------------------------------------------------------------
model_file=$(scripts/fetch-default-model.sh)
model_dir=$(dirname "$model_file")
port=${FERRY_IMAGE_PORT:-18080}
name=ferry-image-smoke-$$
cleanup() { podman rm -f "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
say "running $image on port $port with $(basename "$model_file")"
# As the Deployment runs it: read-only root filesystem, writable /tmp, no capabilities, no privilege escalation.
podman run -d --name "$name" -p "127.0.0.1:$port:8000" -v "$model_dir:/data/model:ro" \
    --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges "$image" \
    serve "/data/model/$(basename "$model_file")" --served-model-name SmolLM2-135M-Instruct \
    --host 0.0.0.0 --port 8000 --shutdown-mode drain >/dev/null
started=$(date +%s)
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health" || true)" = 200 ]; do
    [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] \
        || { podman logs "$name" >&2; die "the container exited before /health answered 200"; }
    [ $(($(date +%s) - started)) -lt 120 ] || { podman logs "$name" >&2; die "/health not 200 after 120 s"; }
    sleep 0.5
done
say "/health 200 after $(($(date +%s) - started)) s"
response=$(curl -sf "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
    -d '{"model": "SmolLM2-135M-Instruct", "prompt": "The capital of France is", "max_tokens": 12, "temperature": 0}') \
    || { podman logs "$name" >&2; die "completion request failed"; }
text=$(printf '%s' "$response" | python3 -c 'import json, sys; print(json.load(sys.stdin)["choices"][0]["text"])')
[ -n "$text" ] || die "empty completion: $response"
say "completion: \"The capital of France is$text\""
stop_started=$(date +%s)
podman stop --time 30 "$name" >/dev/null  # SIGTERM (the image's STOPSIGNAL), SIGKILL only after 30 s
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
say "SIGTERM: exited $exit_code after $(($(date +%s) - stop_started)) s"
podman logs "$name" 2>&1 | tail -n 5 >&2
[ "$exit_code" = 0 ] || die "exit status $exit_code after SIGTERM, expected 0"
say "OK: build ${build_seconds} s, image $((size_bytes / 1000000)) MB, /health 200, completion, SIGTERM exit 0"
