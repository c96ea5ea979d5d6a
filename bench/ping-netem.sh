#!/usr/bin/env bash
# Accuracy of `mqtk ping`: mosquitto in a network namespace behind a veth pair, with
# `tc netem delay` on the host side (one way: only packets towards the broker wait). The
# PINGREQ round-trip median must read DELAY within 0.2 ms. Needs root, iproute2, mosquitto.
# Usage: bench/ping-netem.sh [PROBES]   Env: MQTK (default target/release/mqtk),
#        DELAY_MS (default 5), PORT (default 18993).
set -euo pipefail
cd "$(dirname "$0")/.."

PROBES=${1:-50}
DELAY_MS=${DELAY_MS:-5}
PORT=${PORT:-18993}
MQTK=${MQTK:-target/release/mqtk}
NS=mqtk-ping-$$
HOST_IF=mqtkh$$
NS_IF=mqtkn$$
WORK=$(mktemp -d)
cleanup() {
    [ -n "${BROKER_PID:-}" ] && kill "$BROKER_PID" 2>/dev/null || true
    ip link del "$HOST_IF" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

[ -x "$MQTK" ] || cargo build --release --locked
[ "$(id -u)" = 0 ] || { echo "needs root (ip netns, tc)" >&2; exit 1; }

ip netns add "$NS"
ip link add "$HOST_IF" type veth peer name "$NS_IF"
ip link set "$NS_IF" netns "$NS"
ip addr add 10.199.0.1/24 dev "$HOST_IF"
ip link set "$HOST_IF" up
ip netns exec "$NS" ip addr add 10.199.0.2/24 dev "$NS_IF"
ip netns exec "$NS" ip link set "$NS_IF" up
ip netns exec "$NS" ip link set lo up
if ! tc qdisc add dev "$HOST_IF" root netem delay "${DELAY_MS}ms" 2> "$WORK/tc.err"; then
    echo "this kernel has no netem qdisc ($(cat "$WORK/tc.err")); use bench/ping-delay-relay.py" >&2
    exit 2
fi

printf 'listener %s 10.199.0.2\nallow_anonymous true\nuser root\n' "$PORT" > "$WORK/mosquitto.conf"
ip netns exec "$NS" mosquitto -c "$WORK/mosquitto.conf" > "$WORK/broker.log" 2>&1 &
BROKER_PID=$!
sleep 0.5

"$MQTK" ping -h 10.199.0.2 -p "$PORT" -c "$PROBES" -i 0.05 --json > "$WORK/ping.jsonl"
python3 - "$WORK/ping.jsonl" "$DELAY_MS" <<'PY'
import json, statistics, sys
records = [json.loads(line) for line in open(sys.argv[1])]
delay = float(sys.argv[2])
conn = records[0]
rtts = sorted(r["rtt_ms"] for r in records if r["type"] == "probe" and not r["lost"])
median = statistics.median(rtts)
print(f"netem delay {delay} ms one way; connection: tcp {conn['phases_ms']['tcp']:.3f} ms, "
      f"connack {conn['phases_ms']['connack']:.3f} ms")
print(f"PINGREQ rtt over {len(rtts)} probes: min {rtts[0]:.3f} / median {median:.3f} / max {rtts[-1]:.3f} ms")
error = median - delay
print(f"median - delay = {error:+.3f} ms ({'within' if abs(error) <= 0.2 else 'OUTSIDE'} 0.2 ms)")
sys.exit(0 if abs(error) <= 0.2 else 1)
PY
