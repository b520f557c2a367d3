# Pinned versions of the test control plane, one set per selectable version (K8S_TESTENV_VERSION / --version).
# Sourced by build-binaries.sh; binaries.ts reads the same lines.

# current (the default)
# Kubernetes v1.36.3: newest release on the module proxy that builds with the machine's Go 1.26.
# etcd v3.5.x: Kubernetes >= 1.31 needs >= 3.5.11 (Debian 12 ships 3.4.23).
# kwok v0.8.0: needs Go 1.26; has no built-in stages, ours are in stages/.
K8S_VERSION=v1.36.3
ETCD_VERSION=v3.5.35
KWOK_VERSION=v0.8.0

# 1.15: what kubespray 2.11 installs, the product's target cluster (build-binaries-1.15.sh builds it).
# Kubernetes v1.15.12: the last 1.15 patch release. No kubectl: it needs vbom.ml/util, which is no longer served.
# etcd v3.5.35: the same server as above; 1.15's etcd v3 client (3.3.x) works with it.
# kwok v0.8.0: the same binary; it makes 1.15 nodes Ready and pods Running with our stages.
K8S_VERSION_1_15=v1.15.12
ETCD_VERSION_1_15=v3.5.35
KWOK_VERSION_1_15=v0.8.0
