#!/usr/bin/env bash
# Gives this machine a second address of its own for the CLI tests, on the loopback device (nothing leaves the
# machine): a test cluster needs two machines with distinct addresses outside 127/8 (layout rules refuse loopback
# addresses), and both must be this machine so that tests talk to nothing else. docker0 cannot serve: without a
# running container it has no carrier, and Node lists only running interfaces. Idempotent; needs root.
set -euo pipefail
address="${PAI_DEPLOY_TEST_ADDRESS:-203.0.113.10}"
if [ "$(id -u)" != 0 ]; then
  echo "provision-test-address: not root, not adding $address (the self-cluster CLI tests will say so)" >&2
  exit 0
fi
ip addr replace "$address/32" dev lo
echo "provision-test-address: $address on lo"
