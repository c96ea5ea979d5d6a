#!/usr/bin/env bash
# `mqtk bench` measured against its targets, next to a peer built from mosquitto's own clients,
# both driving the same local mosquitto, taking turns (the order flips every round).
# Usage: bench/bench.sh TARGET [ROUNDS]     (needs mosquitto, mosquitto-clients, time, python3)
#   pubsub-qos0  mqtk bench pubsub: 10 publishers on bench/%i, 1 subscriber, QoS 0, 64 B.
#                Peer: 10 `mosquitto_pub -l` + 1 `mosquitto_sub -C`. Target: >= 75 000
#                delivered msg/s, <= 8 us of mqtk CPU per delivered message.
#   pubsub-qos1  the same at QoS 1. Target: >= 30 000 msg/s, <= 20 us per delivered message.
#   pub-qos0     mqtk bench pub -c 10 while an unmeasured `mosquitto_sub -t 'bench/#'` drains
#                the broker. Peer: 10 `mosquitto_pub -l`. Target: <= 4 us CPU per sent message.
#   conn         mqtk bench conn -c 10000 held 5 s, and -c 1 as the baseline (no peer). Target:
#                <= 16 KiB of peak RSS per connection, >= 5 000 connects/s.
# Per run: the rate (mqtk: `rates.received` or `rates.sent` of its --json report; peer: its
# messages / wall time from the first publish to the last delivery), CPU (user + sys, from
# /usr/bin/time) and peak RSS of the measured tool only (peer: summed over its processes); the
# broker's CPU over the same run (/proc/PID/stat), its peak RSS during the run (own broker:
# reset by /proc/PID/clear_refs, read from VmHWM) and its $SYS publish counters before and
# after (received / sent / dropped; the script's own readings subtracted, exact to a few
# messages) as a cross-check of what the tool says it got. Per-message CPU divides by the
# tool's own whole-run count (mqtk: `messages.received`, pub: `messages.sent`; its CPU covers
# connect, warmup and drain too). Then min / median / max per tool and the medians against the
# targets. mqtk exiting 77 (lost messages, failed clients) is reported, not fatal.
# Env: MQTK (default target/release/mqtk; built with cargo if missing), PORT (own broker,
#      default 18995), DURATION (mqtk --duration, default 20s; conn 5s), WARMUP (default 2s),
#      PUBLISHERS (default 10), SIZE (payload bytes, default 64), CLIENTS (conn, default 10000),
#      PEER_LINES (messages per peer publisher; default 100000, pubsub-qos1 30000),
#      PEER_PUB_OPTS (extra mosquitto_pub flags, e.g. "-M 100"), PEER_TIMEOUT (peer subscriber's
#      -W, default 120), PEER_QUIET (whole seconds without a delivery, once the peer publishers
#      are done, after which the rest counts as dropped; default 2), MAX_QUEUED (own broker's
#      max_queued_messages, default 1000 as mosquitto: a subscriber that lags loses messages
#      beyond it, at QoS 0 and 1 alike; 0 = unbounded), SYS_WAIT (seconds to let the broker
#      settle before and after each run, default 2.5: mosquitto refreshes $SYS only every
#      sys_interval + 1 seconds, so 2 s with our sys_interval 1), MQTK_TIMEOUT (seconds before
#      mqtk gets SIGINT, default 300).
#      Another broker: BROKER_HOST (and BROKER_PORT, default 1883) skips starting mosquitto;
#      BROKER_PID (a local broker's pid) to measure its CPU; SYS_CHECK=0 to skip $SYS.
#      KEEP=DIR keeps every mqtk report there (JSON and text).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=${1:-}
ROUNDS=${2:-5}
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive number, not '$ROUNDS'" >&2; exit 2; }
case "$TARGET" in
    pubsub-qos0 | pub-qos0 | conn) QOS=0 ;;
    pubsub-qos1) QOS=1 ;;
    *)
        sed -n '2,/^set -euo/{/^set -euo/d; s/^# \{0,1\}//; p}' "$0" >&2
        exit 2
        ;;
esac

MQTK=${MQTK:-target/release/mqtk}
PUBLISHERS=${PUBLISHERS:-10}
SIZE=${SIZE:-64}
WARMUP=${WARMUP:-2s}
CLIENTS=${CLIENTS:-10000}
[ "$TARGET" = conn ] && DURATION=${DURATION:-5s} || DURATION=${DURATION:-20s}
[ "$TARGET" = pubsub-qos1 ] && PEER_LINES=${PEER_LINES:-30000} || PEER_LINES=${PEER_LINES:-100000}
PEER_PUB_OPTS=${PEER_PUB_OPTS:-}
PEER_TIMEOUT=${PEER_TIMEOUT:-120}
PEER_QUIET=${PEER_QUIET:-2}
MAX_QUEUED=${MAX_QUEUED:-1000}
SYS_WAIT=${SYS_WAIT:-2.5}
SYS_CHECK=${SYS_CHECK:-1}
MQTK_TIMEOUT=${MQTK_TIMEOUT:-300}
TIME_FMT='%e %U %S %M'
if [ -n "${BROKER_HOST:-}" ]; then
    HOST=$BROKER_HOST
    PORT=${BROKER_PORT:-1883}
    OWN_BROKER=0
else
    HOST=127.0.0.1
    PORT=${PORT:-18995}
    OWN_BROKER=1
fi
[ "$SIZE" -ge 32 ] || { echo "SIZE must be at least 32 (mqtk's payload header)" >&2; exit 2; }

WORK=$(mktemp -d)
BROKER_PID=${BROKER_PID:-}
CHILDREN=()
# Stops what a pid runs: the children of a /usr/bin/time wrapper (the wrapper then writes its
# figures and exits), or the process itself when it has none.
stop_tree() {
    local kids=""
    kids=$(cat "/proc/$1/task/$1/children" 2>/dev/null) || true
    if [ -n "$kids" ]; then
        # shellcheck disable=SC2086
        kill $kids 2>/dev/null || true
    else
        kill "$1" 2>/dev/null || true
    fi
}
# True when pid $1 is still a child of this script (so an old pid reused since is left alone).
is_child() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) } # after "pid (comm) ": state, then the parent's pid
    # shellcheck disable=SC2086
    set -- $stat
    [ "$2" = "$$" ]
}
cleanup() {
    local pid
    for pid in "${CHILDREN[@]}"; do
        if is_child "$pid"; then stop_tree "$pid"; fi
    done
    if [ "$OWN_BROKER" = 1 ] && [ -n "$BROKER_PID" ] && is_child "$BROKER_PID"; then
        kill "$BROKER_PID"
        wait "$BROKER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE

[ -x "$MQTK" ] || cargo build --release --locked
[ -x "$MQTK" ] || { echo "no executable $MQTK" >&2; exit 1; }
needed="mosquitto_pub mosquitto_sub /usr/bin/time python3 timeout"
[ "$OWN_BROKER" = 1 ] && needed="mosquitto $needed"
for tool in $needed; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y mosquitto mosquitto-clients time python3" >&2; exit 1; }
done

if [ "$TARGET" = conn ]; then
    # Every connection is a descriptor in mqtk and in the broker (started below, so it inherits).
    want=$((CLIENTS + 1000 > 20000 ? CLIENTS + 1000 : 20000))
    ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    [ "$(ulimit -n)" -gt $((CLIENTS + 100)) ] ||
        { echo "ulimit -n is $(ulimit -n), too low for $CLIENTS connections (raise the hard limit)" >&2; exit 1; }
fi

if [ "$OWN_BROKER" = 1 ]; then
    if (exec 3<> "/dev/tcp/$HOST/$PORT") 2>/dev/null; then
        echo "something already listens on $HOST:$PORT: choose another PORT" >&2
        exit 1
    fi
    # $SYS every second for the cross-check; no per-connection log lines (conn opens thousands).
    cat > "$WORK/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
max_connections -1
allow_anonymous true
persistence false
sys_interval 1
max_queued_messages $MAX_QUEUED
connection_messages false
log_type error
log_type warning
CONF
    [ "$(id -u)" = 0 ] && echo "user root" >> "$WORK/mosquitto.conf"
    mosquitto -c "$WORK/mosquitto.conf" > "$WORK/broker.log" 2>&1 &
    BROKER_PID=$!
fi
# Wait until the broker takes connections (a loaded machine can take a while to start one).
for attempt in $(seq 40); do
    if (exec 3<> "/dev/tcp/$HOST/$PORT") 2>/dev/null; then break; fi
    if [ "$OWN_BROKER" = 1 ] && ! kill -0 "$BROKER_PID" 2>/dev/null; then
        echo "mosquitto did not start:" >&2
        cat "$WORK/broker.log" >&2
        exit 1
    fi
    [ "$attempt" -lt 40 ] || { echo "nothing accepts connections on $HOST:$PORT" >&2; exit 1; }
    sleep 0.25
done

# $SYS cross-check: the broker's cumulative PUBLISH counters (mosquitto republishes them, as
# retained messages, once more than sys_interval seconds have passed: every 2 s here).
SYS_TOPIC='$SYS/broker/publish/messages'
if [ "$SYS_CHECK" = 1 ] && ! mosquitto_sub -h "$HOST" -p "$PORT" -t '$SYS/broker/uptime' -C 1 -W 5 > /dev/null 2>&1; then
    echo "note: no \$SYS/broker/uptime from $HOST:$PORT within 5 s: no \$SYS cross-check" >&2
    SYS_CHECK=0
fi
# Prints "received sent dropped" (or "- - -"). The reading itself makes the broker send these
# three retained messages, which the next reading counts (the report subtracts them).
sys_snapshot() {
    if [ "$SYS_CHECK" != 1 ]; then echo "- - -"; return; fi
    { mosquitto_sub -h "$HOST" -p "$PORT" -t "$SYS_TOPIC/+" -v -C 3 -W 5 2>/dev/null || true; } |
        awk -v t="$SYS_TOPIC" '{ v[$1] = $2 }
            END { r = v[t "/received"]; s = v[t "/sent"]; d = v[t "/dropped"]
                  print (r == "" ? "-" : r), (s == "" ? "-" : s), (d == "" ? "-" : d) }'
}
# The broker's CPU so far in clock ticks (utime + stime, fields 14 and 15 of /proc/PID/stat),
# or "-" when it is not a process of this machine we know.
broker_ticks() {
    local stat
    if [ -n "$BROKER_PID" ] && stat=$(cat "/proc/$BROKER_PID/stat" 2>/dev/null); then
        stat=${stat##*) }   # the fields after "pid (comm) ": state is $1, utime $12, stime $13
        # shellcheck disable=SC2086
        set -- $stat
        echo $((${12} + ${13}))
    else
        echo -
    fi
}
CLK_TCK=$(getconf CLK_TCK)
# After a run the broker may still be reading what the tool left in its sockets: wait (up to
# 120 s) until it used at most 2 clock ticks in half a second. Without its pid, no wait.
broker_settle() {
    local before after i
    before=$(broker_ticks)
    [ "$before" != - ] || return 0
    for i in $(seq 240); do
        nap 0.5
        after=$(broker_ticks)
        [ "$after" != - ] && [ $((after - before)) -gt 2 ] || return 0
        before=$after
    done
    echo "note: the broker was still busy 120 s after the run" >&2
}
# The own broker's peak RSS: reset to its current RSS before a run (clear_refs 5), read after
# (VmHWM, KiB). A broker that queues what a slow subscriber cannot take yet shows it here.
broker_peak_reset() {
    if [ "$OWN_BROKER" = 1 ]; then echo 5 > "/proc/$BROKER_PID/clear_refs" 2>/dev/null || true; fi
}
broker_peak() {
    local key value unit peak=-
    if [ "$OWN_BROKER" = 1 ]; then
        { while read -r key value unit; do
            if [ "$key" = VmHWM: ]; then peak=$value; fi
        done; } 2>/dev/null < "/proc/$BROKER_PID/status" || true
    fi
    echo "$peak"
}

cat > "$WORK/report.py" <<'PY'
import glob, json, math, statistics, sys

work, command = sys.argv[1], sys.argv[2]
arg = dict(a.split("=", 1) for a in sys.argv[3:])
NAN = float("nan")
SYS_READING = 3  # retained $SYS messages one sys_snapshot receives

def num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return NAN

def ok(x):
    return x is not None and not (isinstance(x, float) and math.isnan(x))

def timed(path):
    """/usr/bin/time -f '%e %U %S %M' output: (wall s, user + sys s, peak RSS KiB); its last
    line, after any 'Command exited with non-zero status' line. NaNs when missing."""
    try:
        lines = [l for l in open(path).read().splitlines() if l.strip()]
        e, u, s, m = map(float, lines[-1].split())
        return e, u + s, m
    except (OSError, ValueError, IndexError):
        return NAN, NAN, NAN

def broker_cpu():
    before, after = num(arg.get("tb")), num(arg.get("ta"))
    return (after - before) / float(arg["clk"]) if ok(before) and ok(after) else None

def broker_peak_mib():
    peak = num(arg.get("bpeak"))
    return peak / 1024 if ok(peak) else None

def sys_delta():
    before = [num(x) for x in arg.get("sb", "- - -").split()]
    after = [num(x) for x in arg.get("sa", "- - -").split()]
    if len(before) != 3 or len(after) != 3 or not all(map(ok, before + after)):
        return None
    return {"received": after[0] - before[0],
            "sent": after[1] - before[1] - SYS_READING,
            "dropped": after[2] - before[2]}

def load_json(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None

def per_msg(seconds, count):
    return seconds / count * 1e6 if ok(seconds) and ok(count) and count else None

def f(x, fmt):
    return fmt.format(x) if ok(x) else "-"

def rc_text(rc):
    return {"0": "exit 0", "77": "exit 77 (see the report: failed clients or lost messages)",
            "124": "exit 124 (stopped after MQTK_TIMEOUT)"}.get(rc, f"exit {rc}")

def emit(row, text):
    with open(f"{work}/rows.jsonl", "a") as out:
        out.write(json.dumps(row) + "\n")
    print(text, flush=True)

def sys_text(delta):
    if delta is None:
        return "$SYS -"
    return "$SYS received +{:,.0f} sent +{:,.0f} dropped +{:,.0f}".format(
        delta["received"], delta["sent"], delta["dropped"])

def message_row(tool, count, rate, cpu, rss_kib, extra, text_extra):
    bcpu = broker_cpu()
    delta = sys_delta()
    row = {"tool": tool, "round": int(arg["round"]), "rc": arg["rc"], "rate": rate,
           "count": count, "cpu_us": per_msg(cpu, count), "broker_us": per_msg(bcpu, count),
           "broker_cpu_s": bcpu, "rss_mib": rss_kib / 1024 if ok(rss_kib) else None,
           "broker_rss_mib": broker_peak_mib(),
           "sys_sent": delta and delta["sent"], "sys_received": delta and delta["received"],
           "sys_dropped": delta and delta["dropped"], **extra}
    what = "sent" if arg["target"] == "pub-qos0" else "delivered"
    emit(row, f"round {arg['round']}/{arg['rounds']} {tool:13} {f(rate, '{:,.0f}'):>9} msg/s {what}"
              f" | CPU {f(row['cpu_us'], '{:.2f}')} us/msg | broker {f(row['broker_us'], '{:.2f}')} us/msg"
              f" | RSS {f(row['rss_mib'], '{:.1f}')} MiB, broker {f(row['broker_rss_mib'], '{:.1f}')} MiB"
              f" | {text_extra} | {sys_text(delta)}"
              f" | {rc_text(arg['rc'])}")

def row_mqtk():
    _, cpu, rss = timed(arg["time"])
    report = load_json(arg["json"]) or {}
    messages, rates = report.get("messages") or {}, report.get("rates") or {}
    key = "sent" if arg["target"] == "pub-qos0" else "received"
    latency = report.get("latency") or {}
    e2e = latency.get("e2e_corrected") or latency.get("e2e_uncorrected") or {}
    p99 = e2e.get("p99_us")
    count, rate = messages.get(key), rates.get(key)
    extra = {"p99_us": p99, "lost": messages.get("lost"), "duplicates": messages.get("duplicates")}
    text = f"{key} {f(count, '{:,}')}"
    if arg["target"] != "pub-qos0":
        text += f" (lost {f(messages.get('lost'), '{:,}')}, dup {f(messages.get('duplicates'), '{:,}')})"
        text += f" | p99 e2e {f(p99, '{:,.0f}')} us"
    if not report:
        text += " | no JSON report"
    message_row("mqtk", count, rate, cpu, rss, extra, text)

def row_peer():
    runs = [timed(p) for p in sorted(glob.glob(f"{work}/peer.*.time"))]
    cpu = sum(r[1] for r in runs) if runs else NAN
    rss = sum(r[2] for r in runs) if runs else NAN
    t0, total = float(arg["t0"]), int(arg["total"])
    if arg["target"] == "pub-qos0":
        count, end, how = total, float(arg["t1"]), "all publishers exited"
    elif arg["killed"] == "0" and arg["sub_rc"] == "0":
        # The subscriber got all of them and exited: it started at `started` and ran %e.
        count = total
        end = float(arg["started"]) + timed(f"{work}/peer.sub.time")[0]
        how = "subscriber got all"
    else:
        # The broker dropped some (or a publisher gave up): what it sent the subscriber, by $SYS,
        # else estimated from the subscriber's writes; the run ended at its last write.
        delta = sys_delta()
        if delta is not None:
            count, source = int(delta["sent"]), "count by $SYS"
        else:
            written = int(arg["wchar"]) - int(arg["wchar0"])
            count, source = written // int(arg["per_msg"]), "count from its writes"
        end = float(arg["last"])
        how = ("publishers done, nothing more came" if arg["killed"] == "1"
               else f"subscriber exited {arg['sub_rc']}") + ", " + source
    wall = end - t0
    rate = count / wall if wall > 0 else NAN
    text = f"{count:,} of {total:,} in {wall:.2f} s ({how}), {len(runs)} processes"
    message_row(arg["tool"], count, rate, cpu, rss, {"wall_s": wall}, text)

def row_conn():
    _, cpu1, rss1 = timed(arg["time1"])
    _, cpu, rss = timed(arg["time"])
    report = load_json(arg["json"]) or {}
    clients = int(arg["clients"])
    connected = (report.get("clients") or {}).get("connected")
    connects = (report.get("rates") or {}).get("connects")
    per_conn = rss / clients if ok(rss) else None
    delta = (rss - rss1) / (clients - 1) if ok(rss) and ok(rss1) and clients > 1 else None
    bcpu = broker_cpu()
    row = {"tool": "mqtk", "round": int(arg["round"]), "rc": arg["rc"], "rc1": arg["rc1"],
           "connects": connects, "connected": connected, "rss_mib": rss / 1024 if ok(rss) else None,
           "rss1_mib": rss1 / 1024 if ok(rss1) else None, "kib_per_conn": per_conn,
           "delta_kib_per_conn": delta, "cpu_us_per_conn": per_msg(cpu, connected),
           "broker_cpu_s": bcpu, "broker_us_per_conn": per_msg(bcpu, connected),
           "broker_rss_mib": broker_peak_mib()}
    emit(row, f"round {arg['round']}/{arg['rounds']} mqtk conn: {f(connected, '{:,}')}/{clients:,} connected"
              f" at {f(connects, '{:,.0f}')}/s | peak RSS {f(row['rss_mib'], '{:.1f}')} MiB"
              f" (-c 1: {f(row['rss1_mib'], '{:.1f}')} MiB) = {f(per_conn, '{:.2f}')} KiB/conn,"
              f" delta {f(delta, '{:.2f}')} KiB/conn | CPU {f(row['cpu_us_per_conn'], '{:.1f}')} us/conn"
              f" | broker CPU {f(bcpu, '{:.2f}')} s, peak RSS {f(row['broker_rss_mib'], '{:.1f}')} MiB | -c 1 {rc_text(arg['rc1'])}, -c {clients} {rc_text(arg['rc'])}")

def mmm(values, fmt):
    values = sorted(v for v in values if ok(v))
    if not values:
        return "-"
    return " / ".join(fmt.format(v) for v in (values[0], statistics.median(values), values[-1]))

def median(rows, key):
    values = [r[key] for r in rows if ok(r.get(key))]
    return statistics.median(values) if values else None

def verdict(label, value, limit, higher_is_better, unit):
    if value is None:
        print(f"  {label}: no figure")
        return
    good = value >= limit if higher_is_better else value <= limit
    sign = ">=" if higher_is_better else "<="
    print(f"  {label}: median {value:,.2f} {unit}, target {sign} {limit:,} {unit}: {'met' if good else 'MISSED'}")

def table():
    rows = [json.loads(l) for l in open(f"{work}/rows.jsonl")]
    target = arg["target"]
    print()
    if target == "conn":
        metrics = [("connects", "connects/s", "{:,.0f}"), ("connected", "connected", "{:,.0f}"),
                   ("rss_mib", "peak RSS MiB", "{:.1f}"), ("rss1_mib", "-c 1 RSS MiB", "{:.1f}"),
                   ("kib_per_conn", "KiB/conn", "{:.2f}"), ("delta_kib_per_conn", "delta KiB/conn", "{:.2f}"),
                   ("cpu_us_per_conn", "CPU us/conn", "{:.1f}"), ("broker_us_per_conn", "broker us/conn", "{:.1f}"),
                   ("broker_rss_mib", "broker RSS MiB", "{:.1f}")]
        print(f"conn: {arg['clients']} clients held {arg['duration']} (min / median / max over {len(rows)} rounds)")
        for key, label, fmt in metrics:
            print(f"{label:16} {mmm([r.get(key) for r in rows], fmt):>30}")
        print("Reference figures from the issue, emqtt-bench: ~29 KB per connection, ~2 500 connects/s.")
        print("Against the targets:")
        verdict("peak RSS per connection", median(rows, "kib_per_conn"), 16, False, "KiB")
        verdict("connects per second", median(rows, "connects"), 5000, True, "/s")
        return
    tools = []
    for r in rows:
        if r["tool"] not in tools:
            tools.append(r["tool"])
    what = "sent" if target == "pub-qos0" else "delivered"
    metrics = [("rate", f"{what} msg/s", "{:,.0f}"), ("cpu_us", "CPU us/msg", "{:.2f}"),
               ("broker_us", "broker us/msg", "{:.2f}"), ("rss_mib", "peak RSS MiB", "{:.1f}"),
               ("broker_rss_mib", "broker RSS MiB", "{:.1f}"),
               ("p99_us", "p99 e2e us", "{:,.0f}"), ("count", "messages", "{:,.0f}"),
               ("sys_sent", "$SYS sent", "{:,.0f}"), ("sys_received", "$SYS received", "{:,.0f}"),
               ("sys_dropped", "$SYS dropped", "{:,.0f}")]
    print(f"{target}: {arg['describe']} (min / median / max)")
    print(f"{'':15}" + "".join(f"{t:>40}" for t in tools))
    for key, label, fmt in metrics:
        if not any(ok(r.get(key)) for r in rows):
            continue
        print(f"{label:15}" + "".join(f"{mmm([r.get(key) for r in rows if r['tool'] == t], fmt):>40}" for t in tools))
    exits = {t: sorted({r['rc'] for r in rows if r['tool'] == t}) for t in tools}
    print(f"{'exit codes':15}" + "".join(f"{','.join(exits[t]):>40}" for t in tools))
    print("peer RSS and CPU are sums over its processes; messages = the tool's own whole-run count;"
          " $SYS = the broker's counter deltas over the run")
    mine = [r for r in rows if r["tool"] == "mqtk"]
    print("Against the targets (mqtk):")
    if target == "pubsub-qos0":
        verdict("delivered", median(mine, "rate"), 75000, True, "msg/s")
        verdict("CPU per delivered message", median(mine, "cpu_us"), 8, False, "us")
    elif target == "pubsub-qos1":
        verdict("delivered", median(mine, "rate"), 30000, True, "msg/s")
        verdict("CPU per delivered message", median(mine, "cpu_us"), 20, False, "us")
    else:
        verdict("CPU per sent message", median(mine, "cpu_us"), 4, False, "us")

{"mqtk": row_mqtk, "peer": row_peer, "conn": row_conn, "table": table}[command]()
PY
report() { # command key=value...
    python3 "$WORK/report.py" "$WORK" "$@" target="$TARGET" rounds="$ROUNDS" clk="$CLK_TCK"
}

# mqtk under /usr/bin/time (through `timeout`, which costs nothing while it waits and is
# smaller than mqtk, so %M is mqtk's); SIGINT after MQTK_TIMEOUT makes mqtk print its partial
# report (exit 124 then). --foreground keeps mqtk in the terminal's process group, so Ctrl-C
# reaches it at once. The exit status goes to MQTK_RC; --json to $WORK/r.json, the text
# report to $WORK/mqtk.out.
MQTK_RC=0
run_mqtk() { # bench mode and flags...
    rm -f "$WORK/r.json" "$WORK/mqtk.time"
    MQTK_RC=0
    /usr/bin/time -o "$WORK/mqtk.time" -f "$TIME_FMT" timeout --foreground -s INT -k 20 "$MQTK_TIMEOUT" \
        "$MQTK" bench "$@" --json "$WORK/r.json" -h "$HOST" -p "$PORT" \
        > "$WORK/mqtk.out" 2> "$WORK/mqtk.err" || MQTK_RC=$?
    if [ "$MQTK_RC" != 0 ] && [ "$MQTK_RC" != 77 ]; then
        echo "mqtk bench $* exited $MQTK_RC:" >&2
        tail -5 "$WORK/mqtk.err" >&2
    fi
}

# With KEEP=DIR, each mqtk report (JSON, and the text it printed) is kept there as $1.*.
keep() {
    [ -n "${KEEP:-}" ] || return 0
    mkdir -p "$KEEP"
    cp -f "$WORK/r.json" "$KEEP/$1.json" 2>/dev/null || true
    cp -f "$WORK/mqtk.out" "$KEEP/$1.txt" 2>/dev/null || true
}

# Reads the wchar counter of pid $1 (bytes handed to write(2): stdout, even /dev/null, and the
# socket) into WCHAR; leaves WCHAR as it was once the process is gone.
read_wchar() {
    local key value
    { while read -r key value; do
        if [ "$key" = wchar: ]; then WCHAR=$value; fi
    done; } 2>/dev/null < "/proc/$1/io" || true
}
mkfifo "$WORK/tick"
nap() { read -rt "$1" <> "$WORK/tick" || true; } # sleep without forking a process

# The peer publishers: PUBLISHERS `mosquitto_pub -l`, one topic each as mqtk's bench/%i, each
# under its own /usr/bin/time. Their wrappers' pids go to PUBS.
start_peer_publishers() {
    local i
    PUBS=()
    for ((i = 0; i < PUBLISHERS; i++)); do
        # shellcheck disable=SC2086
        /usr/bin/time -o "$WORK/peer.pub$i.time" -f "$TIME_FMT" \
            mosquitto_pub -h "$HOST" -p "$PORT" -q "$QOS" -t "bench/$i" -l $PEER_PUB_OPTS \
            < "$WORK/lines" > /dev/null 2> "$WORK/peer.pub$i.err" &
        PUBS+=("$!")
    done
    CHILDREN+=("${PUBS[@]}")
}
finish_peer_publishers() { # waits for them; the first non-zero exit status (or 0) goes to PUB_RC
    local p rc=0 first=0
    for p in "${PUBS[@]}"; do
        rc=0
        wait "$p" || rc=$?
        [ "$first" = 0 ] && first=$rc
    done
    if [ "$first" != 0 ]; then
        echo "a peer publisher exited $first:" >&2
        sort "$WORK"/peer.pub*.err | uniq -c | head -5 >&2 || true
    fi
    PUB_RC=$first
}

# pubsub peer: one `mosquitto_sub -C all` on bench/#, then the publishers. It ends when the
# subscriber has them all, or, as a broker drops what a lagging subscriber cannot take, when
# the publishers are done and the subscriber has written nothing for PEER_QUIET seconds
# (progress read from /proc/PID/io). Its count is then the broker's $SYS figure, or without
# $SYS the bytes it wrote / bytes per message: a stdout line of SIZE + 1 bytes, and at QoS 1
# (libmosquitto 2.0) a 4-byte PUBACK plus a 1-byte write to its wake-up socket.
peer_pubsub() {
    local total=$((PUBLISHERS * PEER_LINES)) per_msg=$((SIZE + 1 + (QOS > 0 ? 5 : 0)))
    rm -f "$WORK"/peer.*
    /usr/bin/time -o "$WORK/peer.sub.time" -f "$TIME_FMT" mosquitto_sub -h "$HOST" -p "$PORT" \
        -t 'bench/#' -q "$QOS" -C "$total" -W "$PEER_TIMEOUT" > /dev/null 2> "$WORK/peer.sub.err" &
    local wrapper=$! started=$EPOCHREALTIME
    CHILDREN+=("$wrapper")
    sleep 1 # connected and subscribed
    local sub
    sub=$(cat "/proc/$wrapper/task/$wrapper/children" 2>/dev/null) || true
    sub=${sub%% *}
    [ -n "$sub" ] || { echo "the peer's mosquitto_sub is not running:" >&2; cat "$WORK/peer.sub.err" >&2; exit 1; }
    WCHAR=0
    read_wchar "$sub"
    local wchar0=$WCHAR seen=$WCHAR t0=$EPOCHREALTIME
    local last=$t0 quiet_us=$((PEER_QUIET * 1000000)) now pubs_done=0 killed=0 p
    start_peer_publishers
    while kill -0 "$wrapper" 2>/dev/null; do
        nap 0.05
        now=$EPOCHREALTIME
        read_wchar "$sub"
        if [ "$WCHAR" != "$seen" ]; then seen=$WCHAR last=$now; fi
        if [ "$pubs_done" = 0 ]; then
            pubs_done=1
            for p in "${PUBS[@]}"; do
                if kill -0 "$p" 2>/dev/null; then pubs_done=0; break; fi
            done
        fi
        if [ "$pubs_done" = 1 ] && [ $((${now//[.,]/} - ${last//[.,]/})) -gt "$quiet_us" ]; then
            kill -INT "$sub" 2>/dev/null || true
            killed=1
            break
        fi
    done
    local sub_rc=0
    wait "$wrapper" || sub_rc=$?
    if [ "$killed" = 1 ] || [ "$sub_rc" != 0 ]; then
        # The publishers were done, or the subscriber gave up: whichever still runs is stuck.
        for p in "${PUBS[@]}"; do
            if is_child "$p"; then stop_tree "$p"; fi
        done
    fi
    finish_peer_publishers
    PEER_ARGS=(t0="$t0" started="$started" last="$last" killed="$killed" sub_rc="$sub_rc"
        wchar0="$wchar0" wchar="$seen" per_msg="$per_msg" total="$total")
    PEER_RC=$PUB_RC
    [ "$killed" = 1 ] || [ "$sub_rc" = 0 ] || PEER_RC=$sub_rc
}

# pub peer: the publishers alone, timed from the first start to the last exit.
peer_pub() {
    rm -f "$WORK"/peer.*
    local t0=$EPOCHREALTIME
    start_peer_publishers
    finish_peer_publishers
    local t1=$EPOCHREALTIME
    PEER_ARGS=(t0="$t0" t1="$t1" total="$((PUBLISHERS * PEER_LINES))")
    PEER_RC=$PUB_RC
}

# One measured run of one tool: a settled broker, $SYS and broker CPU before, the run, time for
# the broker to finish what it holds (idle) and to publish its counters, $SYS and CPU after.
measure() { # tool round
    local tool=$1 round=$2 bg=""
    CHILDREN=() # the previous run's are all waited for
    if [ "$TARGET" = pub-qos0 ]; then
        mosquitto_sub -h "$HOST" -p "$PORT" -t 'bench/#' -q 0 > /dev/null 2>&1 &
        bg=$!
        CHILDREN+=("$bg")
    fi
    sleep "$SYS_WAIT"
    local sb tb ta sa
    sb=$(sys_snapshot)
    tb=$(broker_ticks)
    broker_peak_reset
    if [ "$tool" = mqtk ]; then
        run_mqtk "${MQTK_ARGS[@]}"
        keep "$TARGET-round$round"
    elif [ "$TARGET" = pub-qos0 ]; then
        peer_pub
    else
        peer_pubsub
    fi
    broker_settle
    sleep "$SYS_WAIT"
    ta=$(broker_ticks)
    local bpeak
    bpeak=$(broker_peak)
    if [ -n "$bg" ]; then
        kill "$bg" 2>/dev/null || true
        wait "$bg" 2>/dev/null || true
    fi
    sa=$(sys_snapshot)
    if [ "$tool" = mqtk ]; then
        report mqtk round="$round" rc="$MQTK_RC" time="$WORK/mqtk.time" json="$WORK/r.json" \
            tb="$tb" ta="$ta" sb="$sb" sa="$sa" bpeak="$bpeak"
    else
        report peer tool="$PEER_NAME" round="$round" rc="$PEER_RC" tb="$tb" ta="$ta" sb="$sb" sa="$sa" bpeak="$bpeak" \
            "${PEER_ARGS[@]}"
    fi
}

# conn: -c 1 for the baseline RSS, then -c CLIENTS; broker CPU over the second.
measure_conn() { # round
    sleep "$SYS_WAIT"
    run_mqtk conn -c 1 --duration "$DURATION"
    local rc1=$MQTK_RC tb ta
    keep "conn-round$1-c1"
    mv "$WORK/mqtk.time" "$WORK/mqtk1.time" 2>/dev/null || true
    sleep "$SYS_WAIT"
    tb=$(broker_ticks)
    broker_peak_reset
    run_mqtk conn -c "$CLIENTS" --duration "$DURATION"
    broker_settle
    ta=$(broker_ticks)
    local bpeak
    bpeak=$(broker_peak)
    keep "conn-round$1-c$CLIENTS"
    report conn round="$1" rc="$MQTK_RC" rc1="$rc1" time1="$WORK/mqtk1.time" time="$WORK/mqtk.time" \
        json="$WORK/r.json" clients="$CLIENTS" tb="$tb" ta="$ta" bpeak="$bpeak"
    if [ "$MQTK_RC" = 77 ]; then
        echo "  (fewer than $CLIENTS connected? see clients.connect_failures; check ulimit -n," \
            "net.ipv4.ip_local_port_range and net.core.somaxconn)" >&2
    fi
}

if [ "$OWN_BROKER" = 1 ]; then
    broker="own $(mosquitto -h 2>&1 | head -1 || true) on $HOST:$PORT, max_queued_messages $MAX_QUEUED"
else
    broker="$HOST:$PORT (not started here)"
fi
echo "target $TARGET, $ROUNDS rounds, broker: $broker, $(nproc) CPUs; mqtk $MQTK"
[ -n "$BROKER_PID" ] || echo "note: no BROKER_PID: no broker CPU figures" >&2

if [ "$TARGET" = conn ]; then
    echo "mqtk bench conn -c $CLIENTS --duration $DURATION, and -c 1 (ulimit -n $(ulimit -n)); no peer"
    for round in $(seq "$ROUNDS"); do
        echo "round $round/$ROUNDS" >&2
        measure_conn "$round"
    done
    report table clients="$CLIENTS" duration="$DURATION"
    exit 0
fi

python3 -c "
for i in range($PEER_LINES):
    print(f'{i:010d}' + 'x' * ($SIZE - 10))" > "$WORK/lines" # SIZE bytes once -l drops the newline
if [ "$TARGET" = pub-qos0 ]; then
    MQTK_ARGS=(pub -c "$PUBLISHERS")
else
    MQTK_ARGS=(pubsub --publishers "$PUBLISHERS" --subscribers 1)
fi
MQTK_ARGS+=(-t 'bench/%i' -q "$QOS" -s "$SIZE" --duration "$DURATION" --warmup "$WARMUP")
if [ "$TARGET" = pub-qos0 ]; then
    PEER_NAME=mosquitto_pub
    describe="$PUBLISHERS publishers, QoS $QOS, $SIZE B; mqtk $DURATION after $WARMUP warmup, peer $PUBLISHERS x $PEER_LINES messages"
else
    PEER_NAME=mosquitto
    describe="$PUBLISHERS publishers -> 1 subscriber, QoS $QOS, $SIZE B; mqtk $DURATION after $WARMUP warmup, peer $PUBLISHERS x $PEER_LINES messages"
fi
echo "$describe"
echo "mqtk: $MQTK bench ${MQTK_ARGS[*]} --json FILE -h $HOST -p $PORT"
if [ "$TARGET" = pub-qos0 ]; then
    echo "peer: $PUBLISHERS x mosquitto_pub -q $QOS -t bench/I -l $PEER_PUB_OPTS (both with mosquitto_sub -t 'bench/#' draining)"
else
    echo "peer: mosquitto_sub -t 'bench/#' -q $QOS -C $((PUBLISHERS * PEER_LINES)) and $PUBLISHERS x mosquitto_pub -q $QOS -t bench/I -l $PEER_PUB_OPTS"
fi
for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS" >&2
    if [ $((round % 2)) = 1 ]; then order="peer mqtk"; else order="mqtk peer"; fi
    for tool in $order; do measure "$tool" "$round"; done
done
report table describe="$describe"
