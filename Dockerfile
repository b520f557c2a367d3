# pai-deploy as a container image, so CI and dev-boxes run the same version.
#
# Two ways to build it (both need `npm ci && npm run build` first: the image takes the compiled dist/):
#
#   With a registry (Node's image and the npm registry reachable):
#       docker build -t pai-deploy:0.1.0 .
#     BASE is a Node 20 image on Debian (glibc, apt-get); the deps stage runs `npm ci --omit=dev`.
#
#   Offline (no registry at all):
#       scripts/pai-deploy-image build
#     BASE is an offline base (Debian 12 debootstrapped by the lab's machinery, this machine's Node 20 binary at
#     /usr/local/bin/node) and the build context is a staged copy that carries the production node_modules, pruned on
#     this machine from its own node_modules (`npm prune --omit=dev`): neither stage downloads anything.
#
# Run:  docker run --rm -v "$PWD:/work/in:ro" pai-deploy:0.1.0 validate -l in/layout.yaml -c in/config.yaml
# No BuildKit-only syntax (no --mount, no heredocs): the classic builder builds it too, as scripts/pai-deploy-image does.

ARG BASE=node:20-bookworm-slim

# ------------------------------------------------------------------------------------------------ production deps
FROM ${BASE} AS deps
# Marks this stage's images (dangling once built): scripts/pai-deploy-image removes those of older builds.
LABEL pai-deploy.stage=deps
WORKDIR /opt/pai-deploy
# prebuilt-node-modules* exists only in the offline build's staged context (the repo's .dockerignore keeps it out of a
# plain build): a directory holding node_modules/, whose contents land here. The glob lets the COPY match nothing.
COPY package.json package-lock.json prebuilt-node-modules* ./
# No install scripts: the production dependencies need none (ssh2's optional native build is refused in package.json's
# allowScripts too; it falls back to Node's crypto).
RUN if [ -d node_modules ]; then \
      echo "production node_modules prebuilt on the build machine (scripts/pai-deploy-image)"; \
    else \
      npm ci --omit=dev --ignore-scripts --no-audit --no-fund; \
    fi

# --------------------------------------------------------------------------------------------------------- runtime
FROM ${BASE}
# Keep in step with package.json's version (the build fails when they differ; scripts/pai-deploy-image passes it).
ARG VERSION=0.1.0
# Not UID: bash keeps its own, read-only $UID.
ARG PAI_DEPLOY_UID=10001

# git clones and verifies the kubespray and OpenPAI trees (ssh for git over ssh, CA certificates for https). The
# offline base has them; a registry base gets them from apt. A non-root user owns /work and nothing else.
RUN set -eu; \
    if ! command -v git >/dev/null || ! command -v ssh >/dev/null || [ ! -s /etc/ssl/certs/ca-certificates.crt ]; then \
      apt-get update; \
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git openssh-client ca-certificates; \
      rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb; \
    fi; \
    groupadd --gid "$PAI_DEPLOY_UID" pai-deploy; \
    useradd --uid "$PAI_DEPLOY_UID" --gid "$PAI_DEPLOY_UID" --create-home --shell /bin/sh pai-deploy; \
    mkdir -p /work; \
    chown "$PAI_DEPLOY_UID:$PAI_DEPLOY_UID" /work; \
    ln -s /opt/pai-deploy/bin/pai-deploy.js /usr/local/bin/pai-deploy

WORKDIR /opt/pai-deploy
# Least often changed first. Files stay root's: the user runs the code, it cannot change it.
COPY --from=deps /opt/pai-deploy/node_modules ./node_modules
COPY package.json ./
RUN node -e 'const v = require("./package.json").version; if (v !== process.env.VERSION) { console.error(`package.json says ${v}, the build says VERSION=${process.env.VERSION}: pass --build-arg VERSION=${v} (or update the Dockerfile)`); process.exit(1); }'
# What the code reads beside itself at run time (src/assets.ts: readAsset / assetPath). Each is also listed in
# .dockerignore; scripts/pai-deploy-image stages exactly these COPY sources.
COPY bin ./bin
COPY examples ./examples
COPY devbox ./devbox
COPY device-plugins ./device-plugins
COPY inventory-templates ./inventory-templates
COPY kubespray-overlays ./kubespray-overlays
COPY requirement-checks ./requirement-checks
COPY dist ./dist
RUN ["pai-deploy", "--version"]

# The cluster state (work dirs) goes into /work, where a mounted directory keeps it; HOME stays the user's.
ENV PAI_DEPLOY_HOME=/work/.pai-deploy
USER ${PAI_DEPLOY_UID}:${PAI_DEPLOY_UID}
WORKDIR /work
ENTRYPOINT ["pai-deploy"]
CMD ["--help"]
LABEL org.opencontainers.image.title="pai-deploy" \
      org.opencontainers.image.description="From a list of machines to a running OpenPAI cluster" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      pai-deploy.version="${VERSION}"
