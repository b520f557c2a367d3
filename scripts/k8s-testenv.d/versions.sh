# Pinned versions of the test control plane. Sourced by build-binaries.sh; binaries.ts reads the same lines.
# Kubernetes v1.36.3: newest release on the module proxy that builds with the machine's Go 1.26.
# etcd v3.5.x: Kubernetes >= 1.31 needs >= 3.5.11 (Debian 12 ships 3.4.23).
# kwok v0.8.0: needs Go 1.26; has no built-in stages, ours are in stages/.
K8S_VERSION=v1.36.3
ETCD_VERSION=v3.5.35
KWOK_VERSION=v0.8.0
