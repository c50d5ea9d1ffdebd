# Ferry's container image: one static-Swift binary on debian:bookworm-slim.
#
#   docker build -t ferry:0.1.0 .
#   docker run --rm -p 8000:8000 -v "$PWD/SmolLM2-135M-Instruct:/data/model:ro" ferry:0.1.0
#
# No HEALTHCHECK on purpose: Kubernetes ignores it and probes /live (liveness), /health (startup and readiness)
# itself (k8s/, k8s/helm/ferry); a Docker HEALTHCHECK would also mark a replica unhealthy while it loads a large
# model, and the image has no curl to run one. With plain Docker, poll http://127.0.0.1:8000/health from the host.
# checkov:skip=CKV_DOCKER_2: Kubernetes probes /health and /live; see above

# ---- build ----------------------------------------------------------------------------------------------------
FROM swift:6.3.1-bookworm AS build

# OpenBLAS, libnghttp2, libcurl and OpenSSL headers for the CBLAS, CNghttp2, CCurl and COpenSSL system-library
# targets. Unpinned on purpose: bookworm's point releases only take security fixes, and a pinned Debian version disappears from the mirror after the next one.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libopenblas-dev libnghttp2-dev libcurl4-openssl-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Dependencies first: this layer is rebuilt only when Package.swift changes, not on every source edit.
# (The repository does not track Package.resolved, so versions resolve within Package.swift's ranges.)
COPY Package.swift ./
RUN swift package resolve

COPY Sources ./Sources
COPY Tests ./Tests

# --static-swift-stdlib links the Swift runtime and FoundationEssentials into the binary, so the runtime stage needs
# no Swift libraries; only OpenBLAS, OpenSSL, libcurl, libnghttp2, libstdc++ and libc stay dynamic. No target imports
# full Foundation (scripts/check-no-foundation.sh), so no ICU and its 34 MB of data. The linker strips symbols (-s):
# 18 MB.
RUN swift build -c release --product ferry --static-swift-stdlib -Xlinker -s \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/ferry" /out/usr/local/bin/ferry

# ---- run ------------------------------------------------------------------------------------------------------
FROM debian:bookworm-slim

# libopenblas0-pthread: sgemm (brings libgfortran5, libquadmath0); libstdc++6 and libgcc-s1 are in the base.
# libssl3: TLS (--ssl-certfile); libnghttp2-14: HTTP/2; libcurl4: downloads from the Hugging Face hub. ca-certificates: TLS to the Hugging Face Hub. coreutils (in the base) provides the `sleep` of the preStop hook.
# Ferry links libopenblas.so.0 only: the package's reference-API copies libblas.so.3 and liblapack.so.3 (7.4 MB)
# leave with their update-alternatives entries (a dpkg path-exclude would break the package's postinst). The
# `openssl` command (1 MB), which ca-certificates needs only while it installs, goes too: Ferry links libssl, and no
# probe or hook runs the command. apt's logs and debconf's backup files go as well.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libopenblas0-pthread libssl3 libnghttp2-14 libcurl4 ca-certificates \
    && for library in /usr/lib/*/openblas-pthread/libblas.so.3 /usr/lib/*/openblas-pthread/liblapack.so.3; do \
           triplet=$(basename "$(dirname "$(dirname "$library")")"); \
           update-alternatives --remove "$(basename "$library")-$triplet" "$library" && rm -f "$library"; \
       done \
    && rm -f /usr/bin/openssl \
    && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log \
    && groupadd --system --gid 10001 ferry \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin ferry \
    && mkdir -p /data/huggingface /data/models \
    && chown -R 10001:10001 /data

COPY --from=build /out/ /

# /data holds the Hugging Face cache (HF_HOME) and local models; Kubernetes mounts a PersistentVolumeClaim here.
ENV HF_HOME=/data/huggingface
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001

EXPOSE 8000
# Ferry drains on SIGTERM with --shutdown-mode drain (in-flight requests finish, then exit 0); it runs as PID 1.
STOPSIGNAL SIGTERM
ENTRYPOINT ["ferry"]
CMD ["serve", "/data/model", "--host", "0.0.0.0", "--port", "8000"]
