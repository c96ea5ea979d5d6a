#!/usr/bin/env bash
# Side-by-side benchmark of `mqtk sub` against `mosquitto_sub` on one local mosquitto:
# drain MESSAGES queued QoS 0 messages of 64 bytes from a persistent session (queued while
# the subscriber was offline, then reconnect), output to a pipe (`wc -l`). Per round and
# tool: wall time, CPU seconds (user + sys) per message, peak RSS, lines received.
# Usage: bench/sub.sh [ROUNDS]   (needs mosquitto, mosquitto-clients, time, python3)
# Env: MQTK=path/to/mqtk (default target/release/mqtk), PORT (default 18991),
#      MESSAGES (default 200000).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-5}
PORT=${PORT:-18991}
MQTK=${MQTK:-target/release/mqtk}
MESSAGES=${MESSAGES:-200000}
TOPIC=bench/drain
WORK=$(mktemp -d)
trap 'kill "$BROKER_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

[ -x "$MQTK" ] || cargo build --release --locked
for tool in mosquitto mosquitto_sub /usr/bin/time python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y mosquitto mosquitto-clients time python3" >&2; exit 1; }
done

# Queue QoS 0 messages for offline persistent sessions, without limit.
cat > "$WORK/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
persistence false
queue_qos0_messages true
max_queued_messages 0
max_queued_bytes 0
CONF
[ "$(id -u)" = 0 ] && echo "user root" >> "$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" > "$WORK/broker.log" 2>&1 &
BROKER_PID=$!
sleep 0.5

python3 -c "
for i in range($MESSAGES):
    print(f'{i:010d}' + 'x' * 54)" > "$WORK/lines.txt"   # 64 bytes per message

# One round: create the session, queue the messages (published at QoS 1 so the broker
# has them all; delivered at the subscription's QoS 0), then time the drain.
drain() { # name command...
    local name=$1; shift
    local id="bench-$name-$RANDOM"
    "$@" -p "$PORT" -t "$TOPIC" -c -i "$id" -q 0 -E
    "$MQTK" pub -p "$PORT" -t "$TOPIC" -q 1 -l < "$WORK/lines.txt"
    rm -f "$WORK/t"
    timeout 300 /usr/bin/time -f "%e %U %S %M" -o "$WORK/t" \
        "$@" -p "$PORT" -t "$TOPIC" -c -i "$id" -q 0 -C "$MESSAGES" -W 240 | wc -l > "$WORK/count" || true
    [ -s "$WORK/t" ] || echo "240 nan nan nan" > "$WORK/t"
    echo "$(tail -1 "$WORK/t") $(cat "$WORK/count")"
}

for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS" >&2
    drain mosquitto_sub mosquitto_sub >> "$WORK/drain.mosquitto_sub"
    drain mqtk "$MQTK" sub >> "$WORK/drain.mqtk"
done

python3 - "$WORK" "$MESSAGES" <<'PY'
import statistics, sys
work, messages = sys.argv[1], int(sys.argv[2])
def mmm(xs, fmt):
    xs = sorted(xs)
    return " / ".join(fmt.format(x) for x in (xs[0], statistics.median(xs), xs[-1]))
rows = {}
for name in ("mosquitto_sub", "mqtk"):
    runs = [list(map(float, line.split())) for line in open(f"{work}/drain.{name}")]
    rows[name] = {
        "wall s": [r[0] for r in runs],
        "msg/s": [messages / r[0] for r in runs],
        "CPU µs/msg": [(r[1] + r[2]) / messages * 1e6 for r in runs],
        "peak RSS MB": [r[3] / 1024 for r in runs],
        "received": [r[4] for r in runs],
    }
print(f"drain of {messages} queued QoS 0 messages of 64 B, output to a pipe (min / median / max)")
print(f"{'':14} {'mosquitto_sub':>30} {'mqtk':>30}")
fmts = {"wall s": "{:.3f}", "msg/s": "{:.0f}", "CPU µs/msg": "{:.2f}", "peak RSS MB": "{:.1f}", "received": "{:.0f}"}
for key, fmt in fmts.items():
    print(f"{key:14} {mmm(rows['mosquitto_sub'][key], fmt):>30} {mmm(rows['mqtk'][key], fmt):>30}")
cpu = statistics.median(rows["mqtk"]["CPU µs/msg"]) / statistics.median(rows["mosquitto_sub"]["CPU µs/msg"])
rss = statistics.median(rows["mqtk"]["peak RSS MB"]) / statistics.median(rows["mosquitto_sub"]["peak RSS MB"])
print(f"mqtk / mosquitto_sub, medians: CPU per message {cpu:.2f}x, peak RSS {rss:.2f}x")
PY
