#!/usr/bin/env bash
# Three simulated availability zones on one Linux machine, built from network namespaces, so
# that every byte that leaves a zone crosses a known veth whose kernel counters say how much.
#
#   zones.sh up [--owner PID]   create the namespaces, links and addresses; print the layout
#   zones.sh down               remove everything (idempotent; also clears a crashed run)
#   zones.sh layout             the layout as one JSON object (addresses, devices, namespaces)
#   zones.sh counters           byte counters per zone and traffic class, one line each
#   zones.sh exec ZONE CMD...   run CMD inside a zone (az-a|a|core ...)
#   zones.sh with CMD...        up, run CMD in the caller's namespace, down on any exit
#
# Layout (prefix tz, see scripts/zones/README.md): namespaces tz-a, tz-b, tz-c (zones az-a,
# az-b, az-c) and tz-core. Each zone has one veth per traffic class into tz-core, where the
# three veths of a class meet on one bridge:
#   client  10.231.1.<zone>/24   client listeners; clients and Turnout reach other zones here
#   repl    10.231.2.<zone>/24   the brokers' replication listener (inter.broker.listener.name)
#   ctrl    10.231.3.<zone>/24   brokers to the KRaft controller at 10.231.3.254 (in tz-core)
# Classes are separated by destination subnet alone (connected routes), so no policy routing,
# firewall or forwarding is needed, and traffic inside a zone stays on the zone's loopback.
# Nothing is created in, or changed on, the namespace this script is started from.
set -Eeuo pipefail

PREFIX="${TURNOUT_ZONES_PREFIX:-tz}"
NET="10.231"
ZONE_LETTERS=(a b c)
CLASSES=(client repl ctrl)
CONTROLLER_HOST_OCTET=254
STATE_DIR="/run/turnout-zones/${PREFIX}"

if [[ ! "$PREFIX" =~ ^[a-z][a-z0-9]{0,5}$ ]]; then
  echo "zones: TURNOUT_ZONES_PREFIX must be 1-6 lowercase letters/digits, got '$PREFIX'" >&2
  exit 2
fi

log() { printf 'zones: %s\n' "$*" >&2; }
core_ns() { echo "${PREFIX}-core"; }
zone_ns() { echo "${PREFIX}-$1"; }
zone_name() { echo "az-$1"; }
class_octet() {
  case "$1" in client) echo 1 ;; repl) echo 2 ;; ctrl) echo 3 ;; *) return 1 ;; esac
}
all_ns() {
  core_ns
  for z in "${ZONE_LETTERS[@]}"; do zone_ns "$z"; done
}
ns_exists() { [[ -e "/run/netns/$1" ]]; }

need_root() {
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "zones: needs root (ip netns); run as root or with sudo" >&2
    exit 2
  fi
}

# Zone letter for az-a, a, tz-a; "core" for core.
resolve_zone() {
  local z="$1"
  z="${z#az-}"
  z="${z#"${PREFIX}"-}"
  case "$z" in
    core) echo core ;;
    a | b | c) echo "$z" ;;
    *) echo "zones: unknown zone '$1' (az-a, az-b, az-c or core)" >&2; return 2 ;;
  esac
}

stop_ns_processes() {
  local ns="$1" pids
  pids="$(ip netns pids "$ns" 2>/dev/null || true)"
  [[ -z "$pids" ]] && return 0
  log "stopping processes left in $ns: $(echo $pids)"
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 1 50); do
    pids="$(ip netns pids "$ns" 2>/dev/null || true)"
    [[ -z "$pids" ]] && return 0
    sleep 0.1
  done
  kill -KILL $pids 2>/dev/null || true
  sleep 0.2
}

cmd_down() {
  need_root
  local ns removed=0
  for ns in $(all_ns); do
    if ns_exists "$ns"; then
      stop_ns_processes "$ns"
      # Deleting the namespace deletes its veths, bridges and addresses with it.
      ip netns del "$ns"
      removed=$((removed + 1))
    fi
  done
  rm -rf "$STATE_DIR"
  log "down: removed $removed namespace(s) with prefix ${PREFIX}-"
}

owner_alive() {
  local pid
  pid="$(cat "$STATE_DIR/owner" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

cmd_up() {
  need_root
  local owner="$PPID" core z ns class octet zi
  while (($# > 0)); do
    case "$1" in
      --owner) owner="$2"; shift 2 ;;
      *) echo "zones: up: unknown option $1" >&2; exit 2 ;;
    esac
  done
  if ns_exists "$(core_ns)" && owner_alive; then
    echo "zones: ${PREFIX}-* zones are in use by pid $(cat "$STATE_DIR/owner"); run 'down' first or set TURNOUT_ZONES_PREFIX" >&2
    exit 3
  fi
  # Leftovers of a run that died: clear them before building anew.
  for ns in $(all_ns); do
    if ns_exists "$ns"; then
      log "removing leftovers of an earlier run"
      cmd_down
      break
    fi
  done
  trap 'status=$?; log "up failed (exit $status); removing what was created"; cmd_down; exit $status' ERR

  core="$(core_ns)"
  for ns in $(all_ns); do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # No IPv6: its autoconfiguration chatter would add bytes no workload sent.
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
  done
  for class in "${CLASSES[@]}"; do
    ip -n "$core" link add "br-$class" type bridge
    ip -n "$core" link set "br-$class" up
  done
  ip -n "$core" addr add "${NET}.$(class_octet ctrl).${CONTROLLER_HOST_OCTET}/24" dev br-ctrl
  zi=0
  for z in "${ZONE_LETTERS[@]}"; do
    zi=$((zi + 1))
    ns="$(zone_ns "$z")"
    for class in "${CLASSES[@]}"; do
      octet="$(class_octet "$class")"
      # Created inside the namespaces directly: no interface ever appears in the caller's.
      ip -n "$ns" link add "$class" type veth peer name "${z}-${class}" netns "$core"
      ip -n "$core" link set "${z}-${class}" master "br-$class" up
      ip -n "$ns" addr add "${NET}.${octet}.${zi}/24" dev "$class"
      ip -n "$ns" link set "$class" up
    done
  done
  mkdir -p "$STATE_DIR"
  echo "$owner" >"$STATE_DIR/owner"
  trap - ERR
  print_layout
}

print_layout() {
  local zi=0 z
  printf 'zones (prefix %s, owner pid %s)\n' "$PREFIX" "$(cat "$STATE_DIR/owner" 2>/dev/null || echo '?')"
  printf '  %-6s %-8s %-15s %-15s %-15s\n' zone netns client repl ctrl
  for z in "${ZONE_LETTERS[@]}"; do
    zi=$((zi + 1))
    printf '  %-6s %-8s %-15s %-15s %-15s\n' "$(zone_name "$z")" "$(zone_ns "$z")" "${NET}.1.${zi}" "${NET}.2.${zi}" "${NET}.3.${zi}"
  done
  printf '  %-6s %-8s controller %s (br-ctrl); br-client and br-repl carry no address\n' core "$(core_ns)" "${NET}.3.${CONTROLLER_HOST_OCTET}"
}

cmd_layout() {
  local zi=0 z sep=''
  printf '{"prefix":"%s","coreNetns":"%s","controllerHost":"%s","classes":["client","repl","ctrl"],"zones":[' \
    "$PREFIX" "$(core_ns)" "${NET}.3.${CONTROLLER_HOST_OCTET}"
  for z in "${ZONE_LETTERS[@]}"; do
    zi=$((zi + 1))
    printf '%s{"zone":"%s","netns":"%s","clientHost":"%s","replicationHost":"%s","controlHost":"%s"}' \
      "$sep" "$(zone_name "$z")" "$(zone_ns "$z")" "${NET}.1.${zi}" "${NET}.2.${zi}" "${NET}.3.${zi}"
    sep=','
  done
  printf ']}\n'
}

# One line per zone and device: zone class device tx_bytes rx_bytes tx_packets rx_packets.
# Read inside each zone (ip netns exec remounts /sys for it). Class "local" is the zone's
# loopback: traffic that stayed inside the zone.
cmd_counters() {
  need_root
  local z ns
  echo "# zone class device tx_bytes rx_bytes tx_packets rx_packets"
  for z in "${ZONE_LETTERS[@]}"; do
    ns="$(zone_ns "$z")"
    if ! ns_exists "$ns"; then
      echo "zones: namespace $ns does not exist (run up first)" >&2
      exit 3
    fi
    ip netns exec "$ns" sh -c '
      zone="$1"; shift
      for pair in "$@"; do
        class="${pair%%:*}"; dev="${pair#*:}"; s="/sys/class/net/$dev/statistics"
        echo "$zone $class $dev $(cat "$s/tx_bytes") $(cat "$s/rx_bytes") $(cat "$s/tx_packets") $(cat "$s/rx_packets")"
      done' counters "$(zone_name "$z")" client:client repl:repl ctrl:ctrl local:lo
  done
}

cmd_exec() {
  need_root
  (($# >= 2)) || { echo "zones: exec ZONE CMD..." >&2; exit 2; }
  local z ns
  z="$(resolve_zone "$1")"
  shift
  if [[ "$z" == core ]]; then ns="$(core_ns)"; else ns="$(zone_ns "$z")"; fi
  exec ip netns exec "$ns" "$@"
}

cmd_with() {
  (($# >= 1)) || { echo "zones: with CMD..." >&2; exit 2; }
  trap 'cmd_down' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  cmd_up --owner $$ >&2
  "$@"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  layout) cmd_layout ;;
  counters) cmd_counters ;;
  exec) shift; cmd_exec "$@" ;;
  with) shift; cmd_with "$@" ;;
  *)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
