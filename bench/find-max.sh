#!/usr/bin/env bash
# `mqtk bench pubsub --find-max` next to the raw ceiling, against one local mosquitto: first
# RUNS flat-out runs of the same clients (what the broker delivers when nobody paces it: the
# ceiling, min / median / max of the delivered rate), then one capacity search for the highest
# offered rate whose end-to-end latency meets SLO with nothing lost. The search's answer sits
# below the ceiling by what the SLO costs: a broker at its ceiling queues.
# Usage: bench/find-max.sh
# Env: MQTK (target/release/mqtk; not built here), PORT (22883), PUBLISHERS (10), SUBSCRIBERS
#      (1), QOS (0), SLO ('p99<=20ms'), START (the first rate, 5000), WARMUP (2s), STEP (the
#      measured part of each step and of each ceiling run, 5s), PRECISION (5, percent), RUNS
#      (3), OUT (raw outputs; default a new mktemp -d, kept).
# The broker is mosquitto with its defaults (max_queued_messages 1000: past it, QoS 0 messages
# to a slow subscriber are dropped, which the search counts as a failure) plus
# set_tcp_nodelay true.
set -euo pipefail
cd "$(dirname "$0")/.."

MQTK=${MQTK:-target/release/mqtk}
PORT=${PORT:-22883}
PUBLISHERS=${PUBLISHERS:-10}
SUBSCRIBERS=${SUBSCRIBERS:-1}
QOS=${QOS:-0}
SLO=${SLO:-p99<=20ms}
START=${START:-5000}
WARMUP=${WARMUP:-2s}
STEP=${STEP:-5s}
PRECISION=${PRECISION:-5}
RUNS=${RUNS:-3}
OUT=${OUT:-$(mktemp -d -t mqtk-find-max.XXXXXX)}
mkdir -p "$OUT"
[ -x "$MQTK" ] || { echo "find-max.sh: no mqtk at $MQTK (cargo build --release --locked)" >&2; exit 1; }

cat > "$OUT/mosquitto.conf" <<EOF
listener $PORT 127.0.0.1
allow_anonymous true
set_tcp_nodelay true
EOF
mosquitto -c "$OUT/mosquitto.conf" > "$OUT/mosquitto.log" 2>&1 &
broker=$!
trap 'kill "$broker" 2>/dev/null; wait "$broker" 2>/dev/null || true' EXIT
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

common=(bench pubsub -h 127.0.0.1 -p "$PORT" --publishers "$PUBLISHERS" --subscribers "$SUBSCRIBERS"
        -q "$QOS" -t 'fm/%i' --warmup "$WARMUP" --duration "$STEP")
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
rates=()
for ((r = 1; r <= RUNS; r++)); do
    "$MQTK" "${common[@]}" --json "$OUT/ceiling-$r.json" > "$OUT/ceiling-$r.txt" 2>&1 || true
    rate=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(round(r['rates']['received'] or 0))" "$OUT/ceiling-$r.json")
    p99=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); s=r['latency']['e2e_corrected']; print(round(s['p99_us']/1000,2) if s else '-')" "$OUT/ceiling-$r.json")
    echo "ceiling run $r: delivered $rate msg/s flat out (p99 $p99 ms)"
    rates+=("$rate")
done
sorted=$(printf '%s\n' "${rates[@]}" | sort -n | tr '\n' ' ')
echo "ceiling min / median / max: $(python3 -c "import sys; v=sorted(map(int,sys.argv[1:])); print(v[0], '/', v[len(v)//2], '/', v[-1])" $sorted) msg/s"
echo
start=$(date +%s)
"$MQTK" "${common[@]}" --find-max --slo "$SLO" --rate "$START" --precision "$PRECISION" \
    | tee "$OUT/find-max.txt" || true
echo "search took $(( $(date +%s) - start )) s"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "raw outputs: $OUT"
