#!/usr/bin/env bash
# Flat-out QoS 0 fan-in, mqtk against mqttwrk (bytebeamio's Rust MQTT benchmark, the closest
# Rust peer), side by side on one throwaway loopback mosquitto, in turns whose order flips
# every round (odd rounds: a b c, even rounds: c b a):
#   a  mqtk bench pubsub --publishers 10 --subscribers 1 -q 0 -s 64 --duration 10s (default
#      --threads: the number of CPUs)
#   b  the same with --threads 1
#   c  mqttwrk bench -p 10 -s 1 -m 64 --publish-qos 0 --subscribe-qos 0 -n COUNT: mqttwrk has no
#      duration, only a count per publisher, so COUNT is calibrated first (two unmeasured runs of
#      50 000 per publisher) to last about DURATION at the better rate they reached.
# Both tools publish on one topic per publisher and subscribe with one wildcard filter. mqttwrk's
# topics are fixed (hello/pub-00000/world .. hello/pub-00009/world, filter hello/+/world), so mqtk
# gets -t 'hello/pub-0000%i/world' --filter 'hello/+/world': the same topic bytes on the wire
# for up to 10 publishers. Payloads are SIZE bytes for both (mqtk's 32-byte header included).
# Per run: delivered messages and delivered msg/s (mqtk: messages.received and rates.received of
# its --json report, whose window runs from the start to the last delivery, drain included;
# mqttwrk: its subscriber's publish_count and throughput, from the first delivery to the last),
# what the tool sent, its CPU (user + sys) and its voluntary + involuntary context switches
# (/usr/bin/time -f '%U %S %w %c'; whole process, every thread), CPU us per delivered message and
# context switches per 1 000 delivered messages; the broker's CPU (/proc/PID/stat, from the
# start of the run until it is idle again) per delivered message and its peak RSS (clear_refs,
# VmHWM); mosquitto's $SYS/broker/publish/messages/{received,sent,dropped} deltas (sys_interval
# 1) as a cross-check of what the publishers got in and what reached the subscriber; the
# 1-minute load before the run and the CPU that other processes used during it (machine busy
# time from /proc/stat minus the tool's and the broker's). Then min / median / max per tool and
# the issue's targets for mqtk: <= 0.5 us of CPU per delivered message, <= 5 context switches
# per 1 000 delivered messages, a delivered rate >= mqttwrk's (medians, and round by round).
# Load (uptime, vmstat 1 3, top) is recorded before and after. Raw outputs stay in OUT.
# mqtk exits 77 when its --drain (2 s, a hard cap) ends with messages still queued for its
# subscriber, which a flat-out QoS 0 run whose publishers outpace the subscriber does: reported,
# counted anyway. ROUNDS=5 takes about 6 minutes (3 runs of 12 s plus ~8 s of settling each per
# round, and the calibration).
# Usage: bench/qos0.sh [ROUNDS]     (default 5; needs mosquitto, mosquitto-clients, time,
#        python3, and mqttwrk: cargo install mqttwrk --root /tmp/mqttwrk)
# Env: MQTK (default target/release/mqtk; nothing is built), MQTTWRK (default mqttwrk on PATH,
#      else /tmp/mqttwrk/bin/mqttwrk), OUT (raw outputs and the summary, default a new
#      /tmp/qos0-bench.XXXXXX, kept), PORT (own broker, default 18980), DURATION (whole seconds,
#      default 10), PUBLISHERS (default 10), SIZE (payload bytes, default 64, >= 32),
#      MQTTWRK_COUNT (messages per mqttwrk publisher; default calibrated), TOPIC and FILTER
#      (mqtk's -t and --filter, default hello/pub-0000%i/world and hello/+/world), MAX_QUEUED
#      (the broker's max_queued_messages, default 0 = unbounded: mosquitto drops QoS 0 messages
#      for a subscriber whose outgoing queue is full, and mqttwrk's subscriber then waits forever
#      for its count), SETTLE (seconds of broker quiet before each $SYS reading, default 2.5:
#      mosquitto republishes $SYS every sys_interval + 1 s), RUN_TIMEOUT (seconds before a run
#      gets SIGINT, default 120; a stopped mqttwrk prints nothing, its count is then $SYS sent),
#      TOOLS (which of "mqtk mqtk-t1 mqttwrk" to run, default all three).
#      REPORT_ONLY=1 only prints the summary of an existing OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-5}
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive number, not '$ROUNDS'" >&2; exit 2; }
MQTK=${MQTK:-target/release/mqtk}
if [ -z "${MQTTWRK:-}" ]; then
    MQTTWRK=$(command -v mqttwrk 2>/dev/null || echo /tmp/mqttwrk/bin/mqttwrk)
fi
PORT=${PORT:-18980}
HOST=127.0.0.1
DURATION=${DURATION:-10}
PUBLISHERS=${PUBLISHERS:-10}
SIZE=${SIZE:-64}
TOPIC=${TOPIC:-hello/pub-0000%i/world}
FILTER=${FILTER:-hello/+/world}
MAX_QUEUED=${MAX_QUEUED:-0}
SETTLE=${SETTLE:-2.5}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
TOOLS=${TOOLS:-mqtk mqtk-t1 mqttwrk}
REPORT_ONLY=${REPORT_ONLY:-0}
MQTTWRK_COUNT=${MQTTWRK_COUNT:-}
CALIBRATE_COUNT=50000
TIME_FMT='%e %U %S %M %w %c'
for v in DURATION PUBLISHERS RUN_TIMEOUT; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "$v must be a positive whole number, not '${!v}'" >&2; exit 2; }
done
[[ "$SIZE" =~ ^[0-9]+$ ]] && [ "$SIZE" -ge 32 ] || { echo "SIZE must be at least 32 (mqtk's payload header)" >&2; exit 2; }
[[ "$MAX_QUEUED" =~ ^[0-9]+$ ]] || { echo "MAX_QUEUED must be a whole number" >&2; exit 2; }
[ -z "$MQTTWRK_COUNT" ] || [[ "$MQTTWRK_COUNT" =~ ^[1-9][0-9]*$ ]] ||
    { echo "MQTTWRK_COUNT must be a positive whole number" >&2; exit 2; }
for t in $TOOLS; do
    case "$t" in mqtk | mqtk-t1 | mqttwrk) ;; *) echo "unknown tool '$t' (mqtk, mqtk-t1, mqttwrk)" >&2; exit 2 ;; esac
done

if [ -z "${OUT:-}" ]; then
    [ "$REPORT_ONLY" = 1 ] && { echo "REPORT_ONLY=1 needs OUT" >&2; exit 2; }
    OUT=$(mktemp -d /tmp/qos0-bench.XXXXXX)
fi
mkdir -p "$OUT"

# --- the report (python): per-run lines from OUT/*.meta and the raw outputs, then the table ---
cat > "$OUT/report.py" <<'PY'
import glob, json, math, os, re, statistics, sys

out = sys.argv[1]
mode = sys.argv[2]

def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None

def div(a, b, scale=1.0):
    return a / b * scale if a is not None and b else None

def meta(path):
    d = {}
    for line in open(path):
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            d[k] = v
    return d

def timed(path):
    # /usr/bin/time -f '%e %U %S %M %w %c': the last line (after "Command exited with ...").
    try:
        lines = [l for l in open(path).read().splitlines() if l.strip()]
        e, u, s, m, w, c = (float(x) for x in lines[-1].split())
        return {"wall": e, "cpu": u + s, "user": u, "sys": s, "rss_kib": m, "vcs": w, "ivcs": c}
    except (OSError, ValueError, IndexError):
        return {}

def mqttwrk_counts(path):
    # "Aggregate PubStats: PubStats { outgoing_publish: N, throughput: X, ... }
    #  Aggregate SubStats: SubStats { publish_count: N, ..., throughput: X }"
    try:
        text = open(path).read()
    except OSError:
        return {}
    res = {}
    pub = re.search(r"PubStats\s*\{(.*?)\}", text, re.S)
    sub = re.search(r"SubStats\s*\{(.*?)\}", text, re.S)
    def field(block, name):
        m = re.search(name + r":\s*([0-9.eE+-]+|NaN|inf)", block)
        return num(m.group(1)) if m else None
    if pub:
        res["sent"] = field(pub.group(1), "outgoing_publish")
        res["pub_rate"] = field(pub.group(1), "throughput")
    if sub:
        res["received"] = field(sub.group(1), "publish_count")
        res["rate"] = field(sub.group(1), "throughput")
        res["reconnects"] = field(sub.group(1), "reconnects")
    return res

def sys_delta(m):
    # "received sent dropped taken" before and after; the before reading's own messages (taken)
    # reach the broker's sent counter after its figures, so they come off the sent delta.
    b = [num(x) for x in m.get("sys_before", "").split()]
    a = [num(x) for x in m.get("sys_after", "").split()]
    if len(a) < 3 or len(b) < 4:
        return None, None, None
    d = [a[i] - b[i] if a[i] is not None and b[i] is not None else None for i in range(3)]
    if d[1] is not None:
        d[1] -= b[3] or 0
    return d[0], d[1], d[2]

def row(path):
    m = meta(path)
    base = path[:-len(".meta")]
    tool, rnd = m["tool"], int(m["round"])
    t = timed(base + ".time")
    r = {"tool": tool, "round": rnd, "slot": int(m["slot"]), "rc": m.get("rc", "?"),
         "load1": num(m.get("load1"))}
    note = ""
    if tool.startswith("mqtk"):
        try:
            doc = json.load(open(base + ".json"))
        except (OSError, ValueError):
            doc = {}
            note = "no JSON report"
        msgs, rates = doc.get("messages") or {}, doc.get("rates") or {}
        r["received"], r["rate"] = num(msgs.get("received")), num(rates.get("received"))
        r["sent"] = num(msgs.get("sent"))
        r["outstanding"], r["lost"] = num(msgs.get("outstanding")), num(msgs.get("lost"))
        r["threads"] = m.get("threads")
        e2e = (doc.get("latency") or {}).get("e2e_corrected") or {}
        r["p50_ms"] = num(e2e.get("p50_us")) / 1000 if e2e.get("p50_us") is not None else None
    else:
        c = mqttwrk_counts(base + ".out")
        r["received"], r["rate"], r["sent"] = c.get("received"), c.get("rate"), c.get("sent")
        if r["received"] is None:
            note = "no mqttwrk summary (stopped?): delivered = $SYS sent, no rate"
    sys_recv, sys_sent, sys_drop = sys_delta(m)
    r.update({"sys_received": sys_recv, "sys_sent": sys_sent, "sys_dropped": sys_drop})
    if r["received"] is None and sys_sent is not None:
        r["received"] = sys_sent
    n = r["received"]
    r["wall"] = t.get("wall")
    r["cpu_s"] = t.get("cpu")
    r["rss_mib"] = div(t.get("rss_kib"), 1024)
    r["vcs"], r["ivcs"] = t.get("vcs"), t.get("ivcs")
    cs = (t["vcs"] + t["ivcs"]) if t else None
    r["cpu_us"] = div(t.get("cpu"), n, 1e6)
    handled = n + r["sent"] if n is not None and r["sent"] is not None else None
    r["cpu_us_handled"] = div(t.get("cpu"), handled, 1e6)
    r["cs_per_k"] = div(cs, n, 1e3)
    r["vcs_per_k"] = div(t.get("vcs"), n, 1e3)
    r["ivcs_per_k"] = div(t.get("ivcs"), n, 1e3)
    clk = num(m.get("clk")) or 100.0
    bs, be, bz = num(m.get("broker_t0")), num(m.get("broker_t1")), num(m.get("broker_t2"))
    r["broker_cpu_s"] = (bz - bs) / clk if bs is not None and bz is not None else None
    r["broker_us"] = div(r["broker_cpu_s"], n, 1e6)
    r["broker_rss_mib"] = div(num(m.get("broker_hwm_kib")), 1024)
    m0, m1 = num(m.get("machine_t0")), num(m.get("machine_t1"))
    if m0 is not None and m1 is not None and be is not None and bs is not None and t:
        run_s = num(m.get("run_s")) or t["wall"]
        other = (m1 - m0) / clk - t["cpu"] - (be - bs) / clk
        r["other_pct"] = max(other, 0.0) / run_s * 100 if run_s else None
    else:
        r["other_pct"] = None
    r["note"] = note
    return r

def f(x, fmt):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else fmt.format(x)

RC = {"0": "exit 0", "77": "exit 77 (outstanding or lost, see .out)", "124": "exit 124 (RUN_TIMEOUT)"}

def line(r):
    extra = ""
    if r["tool"].startswith("mqtk"):
        extra = f" | sent {f(r['sent'], '{:,.0f}')}, outstanding {f(r['outstanding'], '{:,.0f}')}, lost {f(r['lost'], '{:,.0f}')}"
    else:
        extra = f" | sent {f(r['sent'], '{:,.0f}')}"
    return (f"round {r['round']} {r['tool']:8} {f(r['rate'], '{:>9,.0f}')} msg/s delivered"
            f" ({f(r['received'], '{:,.0f}')} msgs{extra})"
            f" | CPU {f(r['cpu_s'], '{:.2f}')} s = {f(r['cpu_us'], '{:.2f}')} us/msg"
            f" | cs {f(r['vcs'], '{:,.0f}')}+{f(r['ivcs'], '{:,.0f}')} = {f(r['cs_per_k'], '{:.1f}')}/1000 msgs"
            f" | broker {f(r['broker_us'], '{:.2f}')} us/msg, {f(r['broker_rss_mib'], '{:.0f}')} MiB"
            f" | $SYS recv +{f(r['sys_received'], '{:,.0f}')} sent +{f(r['sys_sent'], '{:,.0f}')} drop +{f(r['sys_dropped'], '{:,.0f}')}"
            f" | load {f(r['load1'], '{:.2f}')}, others {f(r['other_pct'], '{:.0f}')} % of a core"
            f" | {RC.get(r['rc'], 'exit ' + r['rc'])}" + (f" | {r['note']}" if r["note"] else ""))

def rows():
    rs = [row(p) for p in glob.glob(os.path.join(out, "r*.meta"))]
    rs.sort(key=lambda r: (r["round"], r["slot"]))
    return rs

def mmm(vals, fmt):
    v = sorted(x for x in vals if x is not None)
    if not v:
        return "-"
    return " / ".join(fmt.format(x) for x in (v[0], statistics.median(v), v[-1]))

def med(rs, key):
    v = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(v) if v else None

if mode == "line":
    print(line(row(sys.argv[3])), flush=True)
    sys.exit(0)

rs = rows()
if mode == "lines":
    for r in rs:
        print(line(r))
    sys.exit(0)
tools = [t for t in ("mqtk", "mqtk-t1", "mqttwrk") if any(r["tool"] == t for r in rs)]
labels = {"mqtk": "mqtk (threads default)", "mqtk-t1": "mqtk --threads 1", "mqttwrk": "mqttwrk"}
metrics = [("rate", "delivered msg/s", "{:,.0f}"), ("received", "delivered msgs", "{:,.0f}"),
           ("sent", "sent msgs", "{:,.0f}"), ("cpu_s", "CPU s (u+s)", "{:.2f}"),
           ("cpu_us", "CPU us/msg", "{:.2f}"), ("cpu_us_handled", "CPU us/handled", "{:.2f}"),
           ("cs_per_k", "cs /1000 msgs", "{:.1f}"),
           ("vcs_per_k", " voluntary", "{:.1f}"), ("ivcs_per_k", " involuntary", "{:.1f}"),
           ("rss_mib", "peak RSS MiB", "{:.1f}"), ("broker_us", "broker us/msg", "{:.2f}"),
           ("broker_rss_mib", "broker RSS MiB", "{:.0f}"), ("sys_received", "$SYS received", "{:,.0f}"),
           ("sys_sent", "$SYS sent", "{:,.0f}"), ("sys_dropped", "$SYS dropped", "{:,.0f}"),
           ("wall", "wall s", "{:.1f}"), ("load1", "load 1m before", "{:.2f}"),
           ("other_pct", "others % core", "{:.0f}"), ("p50_ms", "e2e p50 ms (mqtk)", "{:.1f}")]
rounds = sorted({r["round"] for r in rs})
print()
print(f"QoS 0 fan-in, flat out: min / median / max over {len(rounds)} round(s) (delivered = the tool's own count)")
W = 36
print(f"{'':17}" + "".join(f"{labels[t]:>{W}}" for t in tools))
for key, label, fmt in metrics:
    if not any(r.get(key) is not None for r in rs):
        continue
    print(f"{label:17}" + "".join(f"{mmm([r.get(key) for r in rs if r['tool'] == t], fmt):>{W}}" for t in tools))
print(f"{'exit codes':17}" + "".join(f"{','.join(r['rc'] for r in rs if r['tool'] == t):>{W}}" for t in tools))
print("$SYS received = PUBLISHes the broker took in during the run; $SYS sent = what it wrote to"
      " subscribers (the $SYS reading's own messages taken off); cs = voluntary + involuntary context"
      " switches; CPU us/handled = CPU / (sent + delivered)")

print("\nAgainst the issue's targets (medians; CPU and context switches per delivered message):")
ref = [r for r in rs if r["tool"] == "mqttwrk"]
ref_rate = med(ref, "rate")
for t in ("mqtk", "mqtk-t1"):
    mine = [r for r in rs if r["tool"] == t]
    if not mine:
        continue
    def verdict(label, value, limit, higher, unit):
        if value is None or limit is None:
            return f"{label} -"
        good = value >= limit if higher else value <= limit
        return (f"{label} {value:,.2f} {unit} ({'>=' if higher else '<='} {limit:,.2f}:"
                f" {'met' if good else 'MISSED'})")
    parts = [verdict("CPU", med(mine, "cpu_us"), 0.5, False, "us/msg"),
             verdict("cs", med(mine, "cs_per_k"), 5, False, "/1000"),
             verdict("rate", med(mine, "rate"), ref_rate, True, "msg/s vs mqttwrk")]
    wins = total = 0
    for n in rounds:
        a = [r["rate"] for r in mine if r["round"] == n and r["rate"] is not None]
        b = [r["rate"] for r in ref if r["round"] == n and r["rate"] is not None]
        if a and b:
            total += 1
            wins += a[0] >= b[0]
    if total:
        parts.append(f"rate >= mqttwrk's in the same round: {wins}/{total}")
    print(f"  {labels[t]}: " + " | ".join(parts))
PY

report_line() { python3 "$OUT/report.py" "$OUT" line "$1"; }
if [ "$REPORT_ONLY" = 1 ]; then
    python3 "$OUT/report.py" "$OUT" lines
    python3 "$OUT/report.py" "$OUT" table
    exit 0
fi

[ -x "$MQTK" ] || { echo "no executable $MQTK (set MQTK=path; nothing is built here)" >&2; exit 1; }
case " $TOOLS " in *" mqttwrk "*)
    [ -x "$MQTTWRK" ] || { echo "no executable mqttwrk at $MQTTWRK: cargo install mqttwrk --root /tmp/mqttwrk, or MQTTWRK=path" >&2; exit 1; } ;;
esac
for tool in mosquitto mosquitto_sub /usr/bin/time python3 timeout vmstat; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y mosquitto mosquitto-clients time python3 procps" >&2; exit 1; }
done

BROKER_PID=""
RUN_PID=""
# Only what this script started, by pid: the current run's wrapper and the broker.
cleanup() {
    if [ -n "$RUN_PID" ] && kill -0 "$RUN_PID" 2>/dev/null; then
        local kids
        kids=$(cat "/proc/$RUN_PID/task/$RUN_PID/children" 2>/dev/null) || true
        # shellcheck disable=SC2086
        [ -z "$kids" ] || kill -INT $kids 2>/dev/null || true
    fi
    if [ -n "$BROKER_PID" ] && kill -0 "$BROKER_PID" 2>/dev/null; then
        kill "$BROKER_PID" 2>/dev/null || true
        wait "$BROKER_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if (exec 3<> "/dev/tcp/$HOST/$PORT") 2>/dev/null; then
    echo "something already listens on $HOST:$PORT: choose another PORT" >&2
    exit 1
fi
{
    echo "listener $PORT $HOST"
    echo "allow_anonymous true"
    echo "persistence false"
    echo "sys_interval 1"
    echo "max_queued_messages $MAX_QUEUED"
    echo "connection_messages false"
    echo "log_type error"
    echo "log_type warning"
    [ "$(id -u)" != 0 ] || echo "user root"
} > "$OUT/mosquitto.conf"
mosquitto -c "$OUT/mosquitto.conf" > "$OUT/broker.log" 2>&1 &
BROKER_PID=$!
for i in $(seq 40); do
    if (exec 3<> "/dev/tcp/$HOST/$PORT") 2>/dev/null; then break; fi
    kill -0 "$BROKER_PID" 2>/dev/null || { echo "mosquitto did not start:" >&2; cat "$OUT/broker.log" >&2; exit 1; }
    [ "$i" -lt 40 ] || { echo "mosquitto does not accept connections on $HOST:$PORT" >&2; exit 1; }
    sleep 0.25
done
mosquitto_sub -h "$HOST" -p "$PORT" -t '$SYS/broker/uptime' -C 1 -W 5 > /dev/null ||
    { echo "no \$SYS/broker/uptime from the broker within 5 s" >&2; exit 1; }

CLK_TCK=$(getconf CLK_TCK)
# CPU ticks (utime + stime) of a pid, fields 14 and 15 of /proc/PID/stat.
ticks_of() {
    local s
    s=$(cat "/proc/$1/stat") || { echo -; return; }
    s=${s##*) }
    # shellcheck disable=SC2086
    set -- $s
    echo $((${12} + ${13}))
}
# Busy ticks of the whole machine: user nice system irq softirq steal of /proc/stat's cpu line.
machine_ticks() {
    local cpu user nice system idle iowait irq softirq steal rest
    read -r cpu user nice system idle iowait irq softirq steal rest < /proc/stat
    echo $((user + nice + system + irq + softirq + steal))
}
# Waits (up to 120 s) until the broker used at most 2 ticks in half a second.
broker_idle() {
    local a b i
    a=$(ticks_of "$BROKER_PID")
    for i in $(seq 240); do
        sleep 0.5
        b=$(ticks_of "$BROKER_PID")
        [ $((b - a)) -gt 2 ] || return 0
        a=$b
    done
    echo "note: the broker was still busy 120 s after the run" >&2
}
# The broker's retained $SYS counters into SYS: "received sent dropped taken" ("-" when never
# seen). Only retained messages count (--retained-only ends at the first live one, which
# mosquitto sends at its next $SYS tick at the latest); taken = how many messages the reading
# itself received, which the broker counts as sent after these figures (exact unless a tick falls
# inside the reading). mosquitto gives its retained $SYS messages a 60 s expiry and republishes a
# counter only when it changes, so a counter missing from a reading (dropped, typically) kept the
# value last seen.
declare -A SYS_LAST=()
SYS="- - - 0"
sys_reading() {
    local lines rc=0 topic value n=0
    lines=$(mosquitto_sub -h "$HOST" -p "$PORT" -t '$SYS/broker/publish/messages/+' -v --retained-only -W 4 2>/dev/null) || rc=$?
    while read -r topic value; do
        [ -n "$value" ] || continue
        SYS_LAST[${topic##*/}]=$value
        n=$((n + 1))
    done <<< "$lines"
    SYS="${SYS_LAST[received]:--} ${SYS_LAST[sent]:--} ${SYS_LAST[dropped]:--} $((n + (rc == 0 ? 1 : 0)))"
}
load_snapshot() { # file
    { date -Is; uptime; echo; vmstat 1 3; echo; top -bn1 -w 200 | head -20; } > "$1" 2>&1 || true
}

# Runs one tool under /usr/bin/time (through `timeout`, SIGINT after RUN_TIMEOUT); base = the
# path prefix of its files. The exit status goes to RUN_RC.
RUN_RC=0
run_tool() { # tool base
    local tool=$1 base=$2
    local cmd
    case "$tool" in
        mqtk | mqtk-t1)
            cmd=("$MQTK" bench pubsub --publishers "$PUBLISHERS" --subscribers 1 -q 0 -s "$SIZE"
                -t "$TOPIC" --filter "$FILTER" --duration "${DURATION}s" --json "$base.json"
                -h "$HOST" -p "$PORT")
            [ "$tool" = mqtk ] || cmd+=(--threads 1)
            ;;
        mqttwrk)
            cmd=("$MQTTWRK" bench -S "$HOST" -P "$PORT" -n "$MQTTWRK_COUNT" -p "$PUBLISHERS" -s 1
                -m "$SIZE" --publish-qos 0 --subscribe-qos 0)
            ;;
    esac
    printf '%q ' "${cmd[@]}" > "$base.cmd"
    echo >> "$base.cmd"
    RUN_RC=0
    /usr/bin/time -o "$base.time" -f "$TIME_FMT" timeout --foreground -s INT -k 20 "$RUN_TIMEOUT" \
        "${cmd[@]}" > "$base.out" 2> "$base.err" < /dev/null &
    RUN_PID=$!
    wait "$RUN_PID" || RUN_RC=$?
    RUN_PID=""
}

# One measured run: broker idle, $SYS reading, the run, broker idle again, $SYS reading.
measure() { # tool round slot
    local tool=$1 round=$2 slot=$3 base="$OUT/r$2-$1"
    rm -f "$base".*
    broker_idle
    sleep "$SETTLE"
    local sys_before load1 b0 b1 b2 m0 m1 t0 t1 hwm key value unit
    sys_reading
    sys_before=$SYS
    read -r load1 _ < /proc/loadavg
    echo 5 > "/proc/$BROKER_PID/clear_refs" 2>/dev/null || true
    b0=$(ticks_of "$BROKER_PID")
    m0=$(machine_ticks)
    t0=$EPOCHREALTIME
    run_tool "$tool" "$base"
    t1=$EPOCHREALTIME
    m1=$(machine_ticks)
    b1=$(ticks_of "$BROKER_PID")
    broker_idle
    b2=$(ticks_of "$BROKER_PID")
    hwm=-
    while read -r key value unit; do
        [ "$key" != VmHWM: ] || hwm=$value
    done < "/proc/$BROKER_PID/status"
    sleep "$SETTLE"
    local sys_after
    sys_reading
    sys_after=$SYS
    cat > "$base.meta" <<META
tool=$tool
round=$round
slot=$slot
rc=$RUN_RC
threads=$([ "$tool" = mqtk-t1 ] && echo 1 || echo default)
load1=$load1
clk=$CLK_TCK
broker_t0=$b0
broker_t1=$b1
broker_t2=$b2
broker_hwm_kib=$hwm
machine_t0=$m0
machine_t1=$m1
run_s=$(python3 -c "print($t1 - $t0)")
sys_before=$sys_before
sys_after=$sys_after
META
    if [ "$RUN_RC" != 0 ] && [ "$RUN_RC" != 77 ]; then
        echo "$tool exited $RUN_RC:" >&2
        tail -3 "$base.err" >&2 || true
    fi
    report_line "$base.meta" | tee -a "$OUT/summary.txt"
}

START=$SECONDS
{
    echo "qos0.sh: $ROUNDS round(s), $PUBLISHERS publishers -> 1 subscriber, QoS 0, $SIZE B, ${DURATION} s, broker 127.0.0.1:$PORT (max_queued_messages $MAX_QUEUED, pid $BROKER_PID)"
    echo "mqtk: $MQTK ($("$MQTK" --version 2>&1 | head -1)), -t '$TOPIC' --filter '$FILTER'"
    echo "mqttwrk: $MQTTWRK ($("$MQTTWRK" --version 2>&1 | head -1)); mosquitto: $(mosquitto -h 2>&1 | head -1)"
    echo "OUT=$OUT"
} | tee "$OUT/summary.txt"
load_snapshot "$OUT/load.before"
echo "load before: $(uptime)" | tee -a "$OUT/summary.txt"

case " $TOOLS " in *" mqttwrk "*)
    if [ -z "$MQTTWRK_COUNT" ]; then
        # Two unmeasured mqttwrk runs; the higher rate sets the count that lasts about DURATION.
        MQTTWRK_COUNT=$CALIBRATE_COUNT
        best=0
        for c in 1 2; do
            broker_idle
            run_tool mqttwrk "$OUT/calibrate$c"
            rate=$(sed -n '/SubStats {/,/}/s/^ *throughput: *\([0-9.]*\).*/\1/p' "$OUT/calibrate$c.out")
            [ -n "$rate" ] || { echo "mqttwrk's calibration run printed no rate (exit $RUN_RC):" >&2; tail -5 "$OUT/calibrate$c.err" "$OUT/calibrate$c.out" >&2; exit 1; }
            best=$(python3 -c "print(max($best, $rate))")
        done
        MQTTWRK_COUNT=$(python3 -c "print(max(1000, round($best * $DURATION / $PUBLISHERS)))")
        echo "mqttwrk calibration: 2 x $((CALIBRATE_COUNT * PUBLISHERS)) messages, best $best msg/s -> -n $MQTTWRK_COUNT per publisher" | tee -a "$OUT/summary.txt"
    fi
    ;;
esac
read -ra ORDER <<< "$TOOLS"
for ((round = 1; round <= ROUNDS; round++)); do
    if ((round % 2)); then
        list=("${ORDER[@]}")
    else
        list=()
        for ((i = ${#ORDER[@]} - 1; i >= 0; i--)); do list+=("${ORDER[i]}"); done
    fi
    slot=0
    for tool in "${list[@]}"; do
        slot=$((slot + 1))
        measure "$tool" "$round" "$slot"
    done
done
load_snapshot "$OUT/load.after"
{
    echo "load after: $(uptime)"
    python3 "$OUT/report.py" "$OUT" table
    echo
    echo "took $((SECONDS - START)) s; raw outputs in $OUT (load.before / load.after: uptime, vmstat, top)"
} | tee -a "$OUT/summary.txt"
