#!/usr/bin/env bash
# Two mqtk builds side by side in one run (before / after an engine change), in turns whose
# order flips every round, on local mosquitto brokers:
#   1. `pub -l -q 1` with 100 000 lines of 60 B (pub.sh's generator) on this script's own
#      mosquitto (max_queued_messages 0, persistence false), a `mosquitto_sub -C 100000 -q 1`
#      started before counting what arrived: wall, CPU (user + sys) per message, peak RSS, exit
#      status. `mosquitto_pub -l -q 1 -M 65535` (minutes per round) only with SLOW=1.
#      Target: NEW <= 10 us CPU per message, every message delivered.
#   2. one `pub -m hello`, mosquitto_pub / OLD / NEW: wall by hyperfine -N (one invocation per
#      round with all three, the order flipped every round; -h 127.0.0.1, then -h localhost),
#      peak RSS by /usr/bin/time %M (RSS_RUNS runs each, interleaved). Targets: NEW median wall
#      <= 1.0x mosquitto_pub's (127.0.0.1); NEW median peak RSS <= 1.5x mosquitto_pub's.
#   3. sub drain: bench/sub.sh 1 (its own broker) with MQTK=OLD and MQTK=NEW in turns; each
#      run also measures mosquitto_sub. Target: NEW median <= 1.55 us CPU per message.
#   4. bench/bench.sh pubsub-qos0 1 and pubsub-qos1 1 (MAX_QUEUED=0), OLD and NEW in turns;
#      each run also measures bench.sh's mosquitto-client peer. Target: NEW no worse than OLD
#      (median delivered msg/s and median mqtk CPU per delivered message).
# Ends with min / median / max per tool and section and the targets; load (uptime, vmstat 1 5)
# is recorded before and after. Nothing is built: both binaries must exist.
# Usage: bench/engine.sh [ROUNDS]   (default 3; needs mosquitto, mosquitto-clients, hyperfine,
#        time, python3)
# Env: MQTK_OLD (default /tmp/mqtk-old), MQTK_NEW (default /tmp/mqtk-new), OUT (raw outputs and
#      summary, default a new /tmp/engine-bench.XXXXXX, kept), SECTIONS (default "1 2 3 4"),
#      ROUNDS_PUB / ROUNDS_ONE / ROUNDS_SUB / ROUNDS_BENCH (per-section rounds, default
#      ROUNDS), SLOW=1 (add mosquitto_pub to section 1), HF_RUNS (hyperfine runs per command
#      and round, default 100), RSS_RUNS (default 20), PORT (own broker, default 18996),
#      SUB_PORT (sub.sh, default 18997), BENCH_PORT (bench.sh, default 18998).
#      REPORT_ONLY=1 only prints the summary of an existing OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-3}
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive number, not '$ROUNDS'" >&2; exit 2; }
OLD=${MQTK_OLD:-/tmp/mqtk-old}
NEW=${MQTK_NEW:-/tmp/mqtk-new}
SECTIONS=${SECTIONS:-1 2 3 4}
ROUNDS_PUB=${ROUNDS_PUB:-$ROUNDS}
ROUNDS_ONE=${ROUNDS_ONE:-$ROUNDS}
ROUNDS_SUB=${ROUNDS_SUB:-$ROUNDS}
ROUNDS_BENCH=${ROUNDS_BENCH:-$ROUNDS}
SLOW=${SLOW:-0}
HF_RUNS=${HF_RUNS:-100}
RSS_RUNS=${RSS_RUNS:-20}
PORT=${PORT:-18996}
SUB_PORT=${SUB_PORT:-18997}
BENCH_PORT=${BENCH_PORT:-18998}
HOST=127.0.0.1
LINES=100000
OUT=${OUT:-$(mktemp -d /tmp/engine-bench.XXXXXX)}
mkdir -p "$OUT"
WORK=$(mktemp -d)
BROKER_PID=""

stop_broker() {
    if [ -n "$BROKER_PID" ]; then
        kill "$BROKER_PID" 2>/dev/null || true
        wait "$BROKER_PID" 2>/dev/null || true
        BROKER_PID=""
    fi
}
trap 'stop_broker; rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

summary() {
python3 - "$OUT" <<'PY'
import glob, json, os, re, statistics, sys
out = sys.argv[1]
def mmm(xs, fmt="{:.2f}"):
    xs = sorted(x for x in xs if x == x)
    if not xs:
        return "-"
    return " / ".join(fmt.format(v) for v in (xs[0], statistics.median(xs), xs[-1]))
def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")
def verdict(text, good):
    print(f"  {text}: {'met' if good else 'MISSED'}")
TOOLS = ["mosquitto_pub", "old", "new"]

path = f"{out}/pub-l.tsv"
if os.path.exists(path):
    rows = [l.split() for l in open(path) if l.strip()]
    print(f"== 1. pub -l -q 1, {100000:,} lines of 60 B (min / median / max over rounds)")
    print(f"{'':12}{'wall s':>26}{'CPU us/msg':>26}{'peak RSS MiB':>26}  delivered / exit codes")
    for tool in TOOLS:
        r = [x for x in rows if x[0] == tool]
        if not r:
            continue
        wall = [float(x[2]) for x in r]
        cpu = [(float(x[3]) + float(x[4])) / 100000 * 1e6 for x in r]
        rss = [float(x[5]) / 1024 for x in r]
        got = [x[7] for x in r]
        rcs = [x[6] for x in r]
        print(f"{tool:12}{mmm(wall, '{:.3f}'):>26}{mmm(cpu):>26}{mmm(rss, '{:.1f}'):>26}  {','.join(got)} / exit {','.join(rcs)}, sub exit {','.join(x[8] for x in r)}")
    new = [x for x in rows if x[0] == "new"]
    if new:
        c = med([(float(x[3]) + float(x[4])) / 100000 * 1e6 for x in new])
        verdict(f"NEW median CPU {c:.2f} us/msg <= 10", c <= 10)
        verdict("NEW delivered 100000 every round, exit 0",
                all(x[7] == "100000" and x[6] == "0" for x in new))
    print()

for host in ["127.0.0.1", "localhost"]:
    files = sorted(glob.glob(f"{out}/one-{host}.r*.json"))
    if not files:
        continue
    times, per_round = {}, []
    for f in files:
        meds = {}
        for res in json.load(open(f))["results"]:
            name = res["command"]
            times.setdefault(name, []).extend(t * 1000 for t in res["times"])
            meds[name] = statistics.median(res["times"]) * 1000
        per_round.append(meds)
    n = len(times.get("new", []))
    print(f"== 2. one pub -m hello -h {host}: wall ms, hyperfine -N, {len(files)} invocations, all runs pooled (min / median / max; n per tool {n})")
    for tool in TOOLS:
        if tool in times:
            rm = ", ".join(f"{m[tool]:.2f}" for m in per_round if tool in m)
            print(f"{tool:14}{mmm(times[tool], '{:.2f}'):>26}   medians per invocation: {rm}")
    if "new" in times and "mosquitto_pub" in times:
        ratio = med(times["new"]) / med(times["mosquitto_pub"])
        ratio_old = med(times["old"]) / med(times["mosquitto_pub"]) if "old" in times else float("nan")
        per = ", ".join(f"{m['new'] / m['mosquitto_pub']:.3f}" for m in per_round)
        print(f"  NEW / mosquitto_pub median wall {ratio:.3f}x (per invocation {per}); OLD / mosquitto_pub {ratio_old:.3f}x")
        if host == "127.0.0.1":
            verdict(f"NEW median wall {ratio:.3f}x mosquitto_pub's <= 1.0x", ratio <= 1.0)
        else:
            print(f"  (localhost: no target; reported for name resolution)")
    print()

path = f"{out}/rss-one.tsv"
if os.path.exists(path):
    rows = [l.split() for l in open(path) if l.strip()]
    rss = {t: [float(x[2]) / 1024 for x in rows if x[0] == t] for t in TOOLS}
    print(f"== 2. one pub -m hello -h 127.0.0.1: peak RSS MiB, /usr/bin/time %M (min / median / max; n {len(rss['new'])} each)")
    for tool in TOOLS:
        rcs = sorted({x[3] for x in rows if x[0] == tool})
        print(f"{tool:14}{mmm(rss[tool], '{:.2f}'):>26}   exit {','.join(rcs)}")
    ratio = med(rss["new"]) / med(rss["mosquitto_pub"])
    print(f"  OLD / mosquitto_pub {med(rss['old']) / med(rss['mosquitto_pub']):.3f}x")
    verdict(f"NEW median peak RSS {ratio:.3f}x mosquitto_pub's <= 1.5x", ratio <= 1.5)
    print()

files = sorted(glob.glob(f"{out}/sub.*.r*.txt"))
if files:
    keys = ["wall s", "msg/s", "CPU µs/msg", "peak RSS MB", "received"]
    pat = re.compile(r"^(wall s|msg/s|CPU µs/msg|peak RSS MB|received)\s+(\S+) / (\S+) / (\S+)\s+(\S+) / (\S+) / (\S+)\s*$")
    data = {}  # (label, key) -> values
    for f in files:
        label = f.split("/")[-1].split(".")[1]  # old / new
        for line in open(f):
            m = pat.match(line)
            if m:
                data.setdefault((f"mosquitto_sub (with {label})", m[1]), []).append(float(m[3]))
                data.setdefault((label, m[1]), []).append(float(m[6]))
    labels = ["old", "new", "mosquitto_sub (with old)", "mosquitto_sub (with new)"]
    head = next((l.strip() for l in open(files[0]) if l.startswith("drain of")), "drain")
    print(f"== 3. sub drain, bench/sub.sh 1 per run: {head}; min / median / max over runs")
    print(f"{'':26}" + "".join(f"{k:>27}" for k in keys))
    for label in labels:
        print(f"{label:26}" + "".join(f"{mmm(data.get((label, k), []), '{:.0f}' if k in ('msg/s', 'received') else '{:.2f}'):>27}" for k in keys))
    rcs = [l.split() for l in open(f"{out}/sub-rc.tsv")] if os.path.exists(f"{out}/sub-rc.tsv") else []
    print("  sub.sh exit codes: " + ", ".join(f"{r[0]} r{r[1]} {r[3] if len(r) > 3 else ''} exit {r[2]}" for r in rcs))
    c = med(data.get(("new", "CPU µs/msg"), []))
    verdict(f"NEW median CPU {c:.2f} us/msg <= 1.55", c <= 1.55)
    print()

line_re = re.compile(r"^round \d+/\d+ (\S+)\s+([\d,.]+|-) msg/s \w+ \| CPU (\S+) us/msg \| broker (\S+) us/msg"
                     r" \| RSS (\S+) MiB, broker (\S+) MiB \| (.*?) \| (\$SYS.*?) \| exit (\d+)")
def num(s):
    try:
        return float(s.replace(",", ""))
    except ValueError:
        return float("nan")
for target in ["pubsub-qos0", "pubsub-qos1"]:
    files = sorted(glob.glob(f"{out}/bench.{target}.*.r*.txt"))
    if not files:
        continue
    rows = {}
    notes = []
    for f in files:
        label = f.split("/")[-1].split(".")[2]
        for line in open(f):
            m = line_re.match(line.strip())
            if not m:
                continue
            tool = label if m[1] == "mqtk" else f"peer (with {label})"
            rows.setdefault(tool, []).append({"rate": num(m[2]), "cpu": num(m[3]), "broker": num(m[4]),
                                             "rss": num(m[5]), "brss": num(m[6]), "rc": m[9]})
            notes.append(f"{tool} {f.split('.')[-2]}: {m[7]} | {m[8]} | exit {m[9]}")
    print(f"== 4. bench.sh {target} 1 per run (min / median / max over runs)")
    print(f"{'':20}{'delivered msg/s':>30}{'CPU us/msg':>22}{'broker us/msg':>22}{'RSS MiB':>24}  exit")
    for tool in ["old", "new", "peer (with old)", "peer (with new)"]:
        r = rows.get(tool, [])
        if not r:
            continue
        print(f"{tool:20}{mmm([x['rate'] for x in r], '{:,.0f}'):>30}{mmm([x['cpu'] for x in r]):>22}"
              f"{mmm([x['broker'] for x in r]):>22}{mmm([x['rss'] for x in r], '{:.1f}'):>24}  {','.join(x['rc'] for x in r)}")
    for n in notes:
        print(f"    {n}")
    if rows.get("old") and rows.get("new"):
        o, n = rows["old"], rows["new"]
        ro, rn = med([x["rate"] for x in o]), med([x["rate"] for x in n])
        co, cn = med([x["cpu"] for x in o]), med([x["cpu"] for x in n])
        verdict(f"NEW median rate {rn:,.0f} >= OLD {ro:,.0f} msg/s ({rn / ro:.3f}x)", rn >= ro)
        verdict(f"NEW median CPU {cn:.2f} <= OLD {co:.2f} us/msg ({cn / co:.3f}x)", cn <= co)
    print()
PY
}

if [ "${REPORT_ONLY:-0}" = 1 ]; then summary; exit 0; fi

for bin in "$OLD" "$NEW"; do
    [ -x "$bin" ] || { echo "no executable $bin (set MQTK_OLD / MQTK_NEW; this script builds nothing)" >&2; exit 1; }
done
for tool in mosquitto mosquitto_pub mosquitto_sub hyperfine /usr/bin/time python3 timeout vmstat; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y mosquitto mosquitto-clients hyperfine time python3 procps" >&2; exit 1; }
done
# The other scripts build target/release/mqtk when MQTK is missing: give them absolute paths.
OLD=$(realpath "$OLD")
NEW=$(realpath "$NEW")

load() { # label
    { echo "== load $1: $(date -Is)"; uptime; vmstat 1 5; } | tee "$OUT/load.$1.txt"
}

{
    echo "engine.sh: OLD=$OLD ($(sha256sum < "$OLD" | cut -c1-16)) NEW=$NEW ($(sha256sum < "$NEW" | cut -c1-16))"
    echo "rounds: pub $ROUNDS_PUB, one $ROUNDS_ONE, sub $ROUNDS_SUB, bench $ROUNDS_BENCH; sections $SECTIONS; SLOW=$SLOW; $(nproc) CPUs; $(mosquitto -h 2>&1 | head -1 || true)"
    echo "localhost resolves to: $(getent ahosts localhost | awk '{print $1}' | sort -u | tr '\n' ' ')"
} | tee "$OUT/info.txt"
load before

# Rotates "a b c" by the round: odd rounds as given, even rounds reversed.
order() { # round items...
    local round=$1; shift
    if [ $((round % 2)) = 1 ]; then echo "$@"; else echo "$@" | tr ' ' '\n' | tac | tr '\n' ' '; fi
}
bin_of() { case $1 in old) echo "$OLD" ;; new) echo "$NEW" ;; esac; }

start_broker() {
    if (exec 3<> "/dev/tcp/$HOST/$PORT") 2>/dev/null; then
        echo "something already listens on $HOST:$PORT: choose another PORT" >&2
        exit 1
    fi
    cat > "$WORK/mosquitto.conf" <<CONF
listener $PORT $HOST
allow_anonymous true
max_queued_messages 0
persistence false
CONF
    [ "$(id -u)" = 0 ] && echo "user root" >> "$WORK/mosquitto.conf"
    mosquitto -c "$WORK/mosquitto.conf" > "$OUT/broker.log" 2>&1 &
    BROKER_PID=$!
    local attempt
    for attempt in $(seq 40); do
        if (exec 3<> "/dev/tcp/$HOST/$PORT") 2>/dev/null; then return 0; fi
        kill -0 "$BROKER_PID" 2>/dev/null || { echo "mosquitto did not start:" >&2; cat "$OUT/broker.log" >&2; exit 1; }
        sleep 0.25
    done
    echo "mosquitto does not accept connections on $HOST:$PORT" >&2
    exit 1
}

port_free() { # port: waits (up to 10 s) until nothing accepts connections on it
    local i
    for i in $(seq 40); do
        (exec 3<> "/dev/tcp/$HOST/$1") 2>/dev/null || return 0
        sleep 0.25
    done
    echo "note: something still listens on $HOST:$1" >&2
}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }

if want 1 || want 2; then start_broker; fi

# ---- 1. pub -l -q 1 ----
if want 1; then
    python3 -c "
for i in range($LINES):
    print(f'{i:010d}' + 'x' * 50)" > "$WORK/lines.txt"   # 60 bytes per line, as bench/pub.sh
    : > "$OUT/pub-l.tsv"
    echo "== 1. pub -l -q 1, $LINES lines: $ROUNDS_PUB rounds $(uptime | sed 's/.*load/load/')"
    tools="old new"
    [ "$SLOW" = 1 ] && tools="old new mosquitto_pub"
    for round in $(seq "$ROUNDS_PUB"); do
        for tool in $(order "$round" $tools); do
            topic="bench/engine/$tool/$round/$RANDOM"
            if [ "$tool" = mosquitto_pub ]; then cmd=(mosquitto_pub -M 65535); else cmd=("$(bin_of "$tool")" pub); fi
            timeout 330 mosquitto_sub -h "$HOST" -p "$PORT" -t "$topic" -q 1 -C "$LINES" -W 300 > "$WORK/recv" 2> "$OUT/pub-l.$tool.r$round.sub.err" &
            sub=$!
            sleep 0.5
            rc=0
            /usr/bin/time -o "$WORK/t" -f "%e %U %S %M" timeout -k 10 240 \
                "${cmd[@]}" -h "$HOST" -p "$PORT" -t "$topic" -l -q 1 < "$WORK/lines.txt" \
                > /dev/null 2> "$OUT/pub-l.$tool.r$round.err" || rc=$?
            sub_rc=0
            wait "$sub" || sub_rc=$?
            cp "$WORK/t" "$OUT/pub-l.$tool.r$round.time"
            t=$(tail -1 "$WORK/t")
            [[ "$t" =~ ^[0-9.]+\ [0-9.]+\ [0-9.]+\ [0-9]+$ ]] || t="nan nan nan nan"
            line="$tool $round $t $rc $(wc -l < "$WORK/recv") $sub_rc"
            echo "$line" >> "$OUT/pub-l.tsv"
            echo "  round $round $tool: wall user sys rssKiB rc delivered sub_rc = ${line#* * }"
        done
    done
fi

# ---- 2. one pub -m hello ----
if want 2; then
    echo "== 2. one pub -m hello: $ROUNDS_ONE hyperfine rounds x $HF_RUNS runs per host, $RSS_RUNS RSS runs $(uptime | sed 's/.*load/load/')"
    for round in $(seq "$ROUNDS_ONE"); do
        for host in 127.0.0.1 localhost; do
            args=()
            for tool in $(order "$round" mosquitto_pub old new); do
                if [ "$tool" = mosquitto_pub ]; then b=mosquitto_pub; else b="$(bin_of "$tool") pub"; fi
                args+=(-n "$tool" "$b -h $host -p $PORT -t t -m hello")
            done
            hyperfine -N --warmup 5 --runs "$HF_RUNS" --style basic --export-json "$OUT/one-$host.r$round.json" "${args[@]}" \
                > "$OUT/one-$host.r$round.txt" 2>&1 || echo "  hyperfine round $round -h $host failed: see $OUT/one-$host.r$round.txt" >&2
            grep -E '^(Benchmark|  Time|  Range)' "$OUT/one-$host.r$round.txt" | sed "s/^/  r$round $host: /" || true
        done
    done
    : > "$OUT/rss-one.tsv"
    for run in $(seq "$RSS_RUNS"); do
        for tool in $(order "$run" mosquitto_pub old new); do
            if [ "$tool" = mosquitto_pub ]; then cmd=(mosquitto_pub); else cmd=("$(bin_of "$tool")" pub); fi
            rc=0
            /usr/bin/time -o "$WORK/t" -f "%M" "${cmd[@]}" -h "$HOST" -p "$PORT" -t t -m hello > /dev/null 2>&1 || rc=$?
            echo "$tool $run $(tail -1 "$WORK/t") $rc" >> "$OUT/rss-one.tsv"
        done
    done
fi
stop_broker

# ---- 3. sub drain via bench/sub.sh ----
if want 3; then
    echo "== 3. bench/sub.sh 1 x $ROUNDS_SUB per build $(uptime | sed 's/.*load/load/')"
    : > "$OUT/sub-rc.tsv"
    for round in $(seq "$ROUNDS_SUB"); do
        for tool in $(order "$round" old new); do
            # sub.sh stops its broker without waiting for it and gives a new one 0.5 s to start:
            # wait for the port to be free, and try a failed run once more (both attempts kept).
            for attempt in 1 2; do
                port_free "$SUB_PORT"
                rc=0
                MQTK=$(bin_of "$tool") PORT=$SUB_PORT bench/sub.sh 1 > "$OUT/sub.$tool.r$round.txt" 2>&1 || rc=$?
                echo "$tool $round $rc attempt$attempt" >> "$OUT/sub-rc.tsv"
                [ "$rc" != 0 ] || break
                mv "$OUT/sub.$tool.r$round.txt" "$OUT/failed-sub.$tool.r$round.attempt$attempt.txt"
                echo "  round $round $tool: bench/sub.sh exited $rc: $(tail -1 "$OUT/failed-sub.$tool.r$round.attempt$attempt.txt")" >&2
            done
            echo "  round $round $tool (exit $rc): $(grep -E '^(CPU|received)' "$OUT/sub.$tool.r$round.txt" | tr -s ' ' | tr '\n' ';')"
        done
    done
fi

# ---- 4. bench/bench.sh pubsub-qos0 / pubsub-qos1 ----
if want 4; then
    : > "$OUT/bench-rc.tsv"
    for target in pubsub-qos0 pubsub-qos1; do
        mq=1000
        [ "$target" = pubsub-qos1 ] && mq=0
        echo "== 4. bench/bench.sh $target 1 (MAX_QUEUED=$mq) x $ROUNDS_BENCH per build $(uptime | sed 's/.*load/load/')"
        for round in $(seq "$ROUNDS_BENCH"); do
            for tool in $(order "$round" old new); do
                port_free "$BENCH_PORT"
                rc=0
                MQTK=$(bin_of "$tool") PORT=$BENCH_PORT MAX_QUEUED=$mq KEEP="$OUT/bench-keep/$target.$tool.r$round" \
                    bench/bench.sh "$target" 1 > "$OUT/bench.$target.$tool.r$round.txt" 2>&1 || rc=$?
                echo "$target $tool $round $rc" >> "$OUT/bench-rc.tsv"
                echo "  round $round $tool (bench.sh exit $rc):"
                grep -E '^round [0-9]+/[0-9]+ [a-z]' "$OUT/bench.$target.$tool.r$round.txt" | sed 's/^/    /' || true
            done
        done
    done
fi

load after
summary | tee "$OUT/summary.txt"
echo "raw outputs: $OUT"
