#!/usr/bin/env bash
# Side-by-side benchmark of `mqtk pub` against `mosquitto_pub` on one local mosquitto.
#   1. one `pub -m hello`: wall time (hyperfine) and peak RSS (/usr/bin/time)
#   2. `pub -l` with 100 000 lines of 60 bytes at QoS 0 and QoS 1, counted by mosquitto_sub
# Usage: bench/pub.sh [ROUNDS]   (needs mosquitto, mosquitto-clients, hyperfine, time, python3)
# Env: MQTK=path/to/mqtk (default target/release/mqtk), PORT (default 18990),
#      SLOW_ROUNDS: rounds of `mosquitto_pub -l -q 1 -M 65535`, which takes minutes (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-5}
SLOW_ROUNDS=${SLOW_ROUNDS:-2}
PORT=${PORT:-18990}
MQTK=${MQTK:-target/release/mqtk}
LINES=100000
WORK=$(mktemp -d)
trap 'kill "$BROKER_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

[ -x "$MQTK" ] || cargo build --release --locked
for tool in mosquitto mosquitto_pub mosquitto_sub hyperfine /usr/bin/time python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y mosquitto mosquitto-clients hyperfine time python3" >&2; exit 1; }
done

cat > "$WORK/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
max_queued_messages 0
persistence false
CONF
[ "$(id -u)" = 0 ] && echo "user root" >> "$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" > "$WORK/broker.log" 2>&1 &
BROKER_PID=$!
sleep 0.5

python3 -c "
for i in range($LINES):
    print(f'{i:010d}' + 'x' * 50)" > "$WORK/lines.txt"   # 60 bytes per line

echo "== 1. one message: mqtk pub vs mosquitto_pub (wall) =="
hyperfine -N --warmup 5 --runs 100 --export-json "$WORK/one.json" \
    "mosquitto_pub -p $PORT -t t -m hello" \
    "$MQTK pub -p $PORT -t t -m hello"

echo "== 1. one message: peak RSS (KiB), $ROUNDS runs each =="
for name in mosquitto_pub mqtk; do
    cmd="mosquitto_pub -p $PORT -t t -m hello"
    [ $name = mqtk ] && cmd="$MQTK pub -p $PORT -t t -m hello"
    for _ in $(seq "$ROUNDS"); do /usr/bin/time -f "%M" $cmd 2>&1 >/dev/null | tail -1; done > "$WORK/rss.$name"
done

# One -l round: a counting subscriber, the publisher timed, then the count.
run_lines() { # name qos command...
    local name=$1 qos=$2; shift 2
    local topic="bench/$name/$qos/$RANDOM"
    timeout 300 mosquitto_sub -p "$PORT" -t "$topic" -q "$qos" -C "$LINES" -W 240 > "$WORK/recv" 2>/dev/null &
    local sub=$!
    sleep 0.3
    rm -f "$WORK/t"
    timeout 240 /usr/bin/time -f "%e %U %S %M" -o "$WORK/t" "$@" -p "$PORT" -t "$topic" -l -q "$qos" < "$WORK/lines.txt" >/dev/null 2>&1 || true
    wait $sub || true
    # A publisher killed by the 240 s timeout is recorded as 240 s and no CPU figure.
    [ -s "$WORK/t" ] || echo "240 nan nan nan" > "$WORK/t"
    echo "$(tail -1 "$WORK/t") $(wc -l < "$WORK/recv")"
}

for qos in 0 1; do
    echo "== 2. -l $LINES lines of 60 B at QoS $qos =="
    for round in $(seq "$ROUNDS"); do
        if [ "$qos" = 0 ] || [ "$round" -le "$SLOW_ROUNDS" ]; then
            run_lines mosquitto_pub "$qos" mosquitto_pub $([ "$qos" = 1 ] && echo -M 65535) >> "$WORK/lines.mosquitto_pub.$qos"
        fi
        run_lines mqtk "$qos" "$MQTK" pub >> "$WORK/lines.mqtk.$qos"
    done
done

python3 - "$WORK" "$ROUNDS" "$LINES" <<'PY'
import statistics, sys, os
work, rounds, lines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
import json
def mmm(xs):
    return f"min {min(xs):.3f}  median {statistics.median(xs):.3f}  max {max(xs):.3f}"
for result in json.load(open(f"{work}/one.json"))["results"]:
    times = [t * 1000 for t in result["times"]]
    print(f"one message wall ms {result['command'].split()[0]:28}: {mmm(times)}")
for name in ["mosquitto_pub", "mqtk"]:
    rss = [int(x) for x in open(f"{work}/rss.{name}").read().split()]
    print(f"peak RSS one message  {name:14} KiB: {mmm(rss)}")
for qos in ["0", "1"]:
    med = {}
    for name in ["mosquitto_pub", "mqtk"]:
        rows = [list(map(float, l.split())) for l in open(f"{work}/lines.{name}.{qos}")]
        wall = [r[0] for r in rows]; got = [int(r[4]) for r in rows]
        timed = [r for r in rows if r[1] == r[1]]  # NaN rows: killed by the timeout
        cpu = [(r[1] + r[2]) / lines * 1e6 for r in timed] or [float("nan")]
        rss = [r[3] for r in timed] or [float("nan")]
        med[name] = statistics.median(wall)
        print(f"-l QoS {qos} {name:14} wall s: {mmm(wall)} | CPU us/msg: {mmm(cpu)} | RSS KiB max {max(rss):.0f} | delivered {got}")
    print(f"-l QoS {qos} median wall ratio mqtk/mosquitto_pub: {med['mqtk'] / med['mosquitto_pub']:.3f}")
PY
