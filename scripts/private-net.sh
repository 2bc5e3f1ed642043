#!/usr/bin/env bash
# Runs a command inside a private network namespace that has only loopback and a test address
# (10.99.0.1 on an ifb device), so nothing it does can reach another machine. libnice gathers
# no loopback candidates, hence the test address; Firefox gathers only the address of the default
# route, hence the default route to that device (which drops whatever it is sent).
set -euo pipefail
# As root (CI) a plain network namespace; otherwise one inside a user namespace.
ns=(unshare -n)
[ "$(id -u)" -eq 0 ] || ns=(unshare -rn)
exec "${ns[@]}" bash -c '
  set -e
  ip link set lo up
  ip link add rc0 type ifb
  ip addr add 10.99.0.1/24 dev rc0
  ip link set rc0 up
  ip route add default dev rc0
  exec "$@"
' private-net "$@"
