#!/bin/sh
# Forms the Valkey Cluster of docker-compose.cluster.yml. Safe on every `docker compose up`:
# a cluster that already holds all slots (nodes.conf lives in the nodes' volumes) is not
# created again, only re-introduced — after `down`/`up` the containers may have new
# addresses, and a node only finds its peers again when told where they are now.
#   NODES     host:port of every node, primaries first (default: valkey-1:6379 ... valkey-6:6379)
#   REPLICAS  replicas per primary (default 1)
#   CLI       valkey-cli (or redis-cli)
set -eu
NODES=${NODES:-"valkey-1:6379 valkey-2:6379 valkey-3:6379 valkey-4:6379 valkey-5:6379 valkey-6:6379"}
REPLICAS=${REPLICAS:-1}
CLI=${CLI:-valkey-cli}
WAIT=${WAIT:-120}

# host:port -> ip:port (cluster commands want addresses, compose gives names)
resolve() {
  host=${1%:*}
  ip=$(getent hosts "$host" 2>/dev/null | awk '{ print $1; exit }') || true
  echo "${ip:-$host}:${1##*:}"
}

cli() {
  node=$1
  shift
  "$CLI" -h "${node%:*}" -p "${node##*:}" "$@"
}

first=${NODES%% *}
if cli "$first" cluster info | grep -q '^cluster_slots_assigned:16384'; then
  echo "cluster-init: the cluster exists; telling its nodes where their peers are now"
  for a in $NODES; do
    for b in $NODES; do
      [ "$a" = "$b" ] && continue
      addr=$(resolve "$b")
      cli "$a" cluster meet "${addr%:*}" "${addr##*:}" >/dev/null
    done
  done
else
  addrs=""
  for node in $NODES; do
    addrs="$addrs $(resolve "$node")"
  done
  echo "cluster-init: creating the cluster:$addrs"
  # shellcheck disable=SC2086 # one argument per address
  "$CLI" --cluster create $addrs --cluster-replicas "$REPLICAS" --cluster-yes
fi

i=0
until cli "$first" cluster info | grep -q '^cluster_state:ok'; do
  i=$((i + 1))
  if [ "$i" -gt "$WAIT" ]; then
    echo "cluster-init: the cluster is not ok after $WAIT s" >&2
    cli "$first" cluster info >&2
    exit 1
  fi
  sleep 1
done
echo "cluster-init: cluster ok"
