#!/usr/bin/env bash
# mqtk's paced end-to-end latency next to a minimal reference (bench/reference: raw TCP,
# hand-encoded MQTT 3.1.1, sleep-then-spin open-loop publishers, send time stamped in the
# payload), both on one throwaway loopback mosquitto, in turns whose order flips every round.
# Sections (SECTIONS, default "paced rate"):
#   paced  PUBLISHERS (10) publishers x INTERVAL_US (1000) us -> 1 subscriber, QoS 0, SIZE B:
#          mqtk bench pubsub --publishers 10 --subscribers 1 --interval 1ms -q 0, and the
#          reference with --publishers 10 --interval-us 1000. Target: mqtk's median corrected
#          p50 within max(10 %, 50 us) of the reference's median corrected p50.
#   rate   1 publisher at RATE (1000) msg/s -> 1 subscriber: mqtk bench pubsub --publishers 1
#          --rate 1000, the reference with --publishers 1 --interval-us 1000000/RATE. Target
#          (pacing accuracy): mqtk's median send-lateness p99 <= 100 us.
# Each run lasts WARMUP + DURATION seconds (1 + 10) plus its drain. Per run: corrected
# (arrival - intended) and uncorrected (arrival - actual send) end-to-end latency p50/p99, the
# tool's own send lateness (actual - intended) p50/p99 (mqtk: latency.send_lateness of its
# --json report; "-" while its report has none) and max (mqtk without send_lateness: its
# schedule.max_lag_ms), sent / received / lost, CPU (user + sys, by /usr/bin/time) of the
# tool and of the broker (/proc/PID/stat), the 1-minute load before it. Then min / median /
# max per section and tool over the rounds, and the targets. Load (uptime, vmstat 1 3) is
# recorded before and after. Raw outputs stay in OUT.
# The reference sleeps until 200 us before each send and spins the rest: in `paced` its sends
# are 100 us apart, so its publishing thread spins the whole run (about one core of CPU, next
# to the broker and the subscriber thread on the same cores).
# Usage: bench/pacing.sh [ROUNDS]     (default 3; needs cargo, mosquitto, time, python3)
# Env: MQTK (default target/release/mqtk; nothing is built for it), OUT (raw outputs and the
#      summary, default a new /tmp/pacing-bench.XXXXXX, kept), PORT (own broker, default
#      18999), SECTIONS, PUBLISHERS, INTERVAL_US, RATE, DURATION and WARMUP (whole seconds),
#      SIZE (payload bytes, default 64, >= 32), SETTLE (seconds of quiet before each run,
#      default 2), RUN_TIMEOUT (seconds before a run gets SIGINT, default 120).
#      REPORT_ONLY=1 only prints the summary of an existing OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-3}
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive number, not '$ROUNDS'" >&2; exit 2; }
MQTK=${MQTK:-target/release/mqtk}
PORT=${PORT:-18999}
HOST=127.0.0.1
SECTIONS=${SECTIONS:-paced rate}
PUBLISHERS=${PUBLISHERS:-10}
INTERVAL_US=${INTERVAL_US:-1000}
RATE=${RATE:-1000}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
SIZE=${SIZE:-64}
SETTLE=${SETTLE:-2}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
REPORT_ONLY=${REPORT_ONLY:-0}
REF=bench/reference/target/release/mqtt-latency-reference
TIME_FMT='%e %U %S %M'
for v in PUBLISHERS INTERVAL_US RATE DURATION; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "$v must be a positive whole number, not '${!v}'" >&2; exit 2; }
done
[[ "$WARMUP" =~ ^[0-9]+$ ]] || { echo "WARMUP must be whole seconds, not '$WARMUP'" >&2; exit 2; }
[[ "$SIZE" =~ ^[0-9]+$ ]] && [ "$SIZE" -ge 32 ] || { echo "SIZE must be at least 32 (both payload headers)" >&2; exit 2; }
[ $((1000000 % RATE)) = 0 ] || { echo "RATE must divide 1 000 000 (the reference's interval is whole us)" >&2; exit 2; }
for s in $SECTIONS; do
    case "$s" in paced | rate) ;; *) echo "unknown section '$s' (paced, rate)" >&2; exit 2 ;; esac
done

if [ "$REPORT_ONLY" = 1 ]; then
    [ -n "${OUT:-}" ] && [ -f "$OUT/rows.jsonl" ] || { echo "REPORT_ONLY=1 needs OUT with a rows.jsonl" >&2; exit 2; }
else
    OUT=${OUT:-$(mktemp -d /tmp/pacing-bench.XXXXXX)}
    mkdir -p "$OUT"
    rm -f "$OUT/rows.jsonl"
fi
WORK=$(mktemp -d)
BROKER_PID=""
RUNNING="" # the /usr/bin/time wrapper of the run in progress

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
    local kids
    if [ -n "$RUNNING" ] && is_child "$RUNNING"; then
        # The wrapper's child is `timeout`; stopping it stops the tool (and the wrapper exits).
        kids=$(cat "/proc/$RUNNING/task/$RUNNING/children" 2>/dev/null) || true
        # shellcheck disable=SC2086
        [ -z "$kids" ] || kill $kids 2>/dev/null || true
    fi
    if [ -n "$BROKER_PID" ] && is_child "$BROKER_PID"; then
        kill "$BROKER_PID" 2>/dev/null || true
        wait "$BROKER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cat > "$WORK/report.py" <<'PY'
import json, math, statistics, sys

out, command = sys.argv[1], sys.argv[2]
arg = dict(a.split("=", 1) for a in sys.argv[3:])

def ok(x):
    return isinstance(x, (int, float)) and not (isinstance(x, float) and math.isnan(x))

def num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None

def timed(path):
    """/usr/bin/time -f '%e %U %S %M': (wall s, user + sys s) from its last line."""
    try:
        lines = [l for l in open(path).read().splitlines() if l.strip()]
        e, u, s, _ = map(float, lines[-1].split())
        return e, u + s
    except (OSError, ValueError, IndexError):
        return None, None

def get(doc, *keys):
    for k in keys:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(k)
    return doc

def f(x, fmt="{:,.0f}"):
    return fmt.format(x) if ok(x) else "-"

def row():
    try:
        doc = json.load(open(arg["json"]))
    except (OSError, ValueError):
        doc = {}
    _, cpu = timed(arg["time"])
    tb, ta = num(arg.get("tb")), num(arg.get("ta"))
    lat = get(doc, "latency") or {}
    r = {"section": arg["section"], "tool": arg["tool"], "round": int(arg["round"]), "rc": arg["rc"],
         "load1": num(arg.get("load1")), "cpu_s": cpu,
         "broker_cpu_s": (ta - tb) / float(arg["clk"]) if ok(tb) and ok(ta) else None,
         "sent": get(doc, "messages", "sent"), "received": get(doc, "messages", "received"),
         "lost": get(doc, "messages", "lost"), "behind": get(doc, "schedule", "behind"),
         "has_lateness": isinstance(lat.get("send_lateness"), dict)}
    for key, name in (("e2e_corrected", "corr"), ("e2e_uncorrected", "uncorr"), ("send_lateness", "late")):
        for p in ("p50", "p99"):
            r[f"{name}_{p}"] = get(lat, key, f"{p}_us")
    # The latest send: send_lateness.max_us, else (mqtk without it) schedule.max_lag_ms, the same figure.
    r["late_max"] = get(lat, "send_lateness", "max_us")
    lag = get(doc, "schedule", "max_lag_ms")
    if r["late_max"] is None and ok(lag):
        r["late_max"] = lag * 1000
    r["cpu_us_per_msg"] = cpu / r["sent"] * 1e6 if ok(cpu) and ok(r["sent"]) and r["sent"] else None
    with open(f"{out}/rows.jsonl", "a") as o:
        o.write(json.dumps(r) + "\n")
    print(f"round {r['round']}/{arg['rounds']} {r['section']:5} {r['tool']:9}"
          f" | corrected p50 {f(r['corr_p50'], '{:,.1f}')} p99 {f(r['corr_p99'], '{:,.1f}')} us"
          f" | uncorrected p50 {f(r['uncorr_p50'], '{:,.1f}')} p99 {f(r['uncorr_p99'], '{:,.1f}')} us"
          f" | lateness p50 {f(r['late_p50'], '{:,.1f}')} p99 {f(r['late_p99'], '{:,.1f}')} us"
          f" | sent {f(r['sent'])} received {f(r['received'])} lost {f(r['lost'])}"
          f" | CPU {f(cpu, '{:.2f}')} s, broker {f(r['broker_cpu_s'], '{:.2f}')} s"
          f" | load {f(r['load1'], '{:.2f}')} | exit {r['rc']}" + ("" if doc else " | no JSON report"),
          flush=True)

def mmm(values, fmt):
    values = sorted(v for v in values if ok(v))
    if not values:
        return "-"
    return " / ".join(fmt.format(v) for v in (values[0], statistics.median(values), values[-1]))

def median(rows, key):
    values = [r[key] for r in rows if ok(r.get(key))]
    return statistics.median(values) if values else None

def table():
    rows = [json.loads(l) for l in open(f"{out}/rows.jsonl")]
    titles = {"paced": arg.get("paced", "paced"), "rate": arg.get("rate", "rate")}
    metrics = [("corr_p50", "corrected p50 us", "{:,.1f}"), ("corr_p99", "corrected p99 us", "{:,.1f}"),
               ("uncorr_p50", "uncorrected p50", "{:,.1f}"), ("uncorr_p99", "uncorrected p99", "{:,.1f}"),
               ("late_p50", "lateness p50 us", "{:,.1f}"), ("late_p99", "lateness p99 us", "{:,.1f}"),
               ("late_max", "lateness max us", "{:,.1f}"),
               ("sent", "sent", "{:,.0f}"), ("received", "received", "{:,.0f}"), ("lost", "lost", "{:,.0f}"),
               ("cpu_s", "CPU s", "{:.2f}"), ("cpu_us_per_msg", "CPU us/msg", "{:.2f}"),
               ("broker_cpu_s", "broker CPU s", "{:.2f}"), ("load1", "load 1m before", "{:.2f}")]
    for section in ("paced", "rate"):
        mine = [r for r in rows if r["section"] == section]
        if not mine:
            continue
        tools = [t for t in ("reference", "mqtk") if any(r["tool"] == t for r in mine)]
        n = len({r["round"] for r in mine})
        print()
        print(f"== {section}: {titles[section]} (min / median / max over {n} rounds)")
        print(f"{'':17}" + "".join(f"{t:>34}" for t in tools))
        for key, label, fmt in metrics:
            print(f"{label:17}" + "".join(
                f"{mmm([r.get(key) for r in mine if r['tool'] == t], fmt):>34}" for t in tools))
        exits = {t: ",".join(r["rc"] for r in sorted(mine, key=lambda r: r["round"]) if r["tool"] == t) for t in tools}
        print(f"{'exit codes':17}" + "".join(f"{exits[t]:>34}" for t in tools))
        ref = [r for r in mine if r["tool"] == "reference"]
        mq = [r for r in mine if r["tool"] == "mqtk"]
        if any(r.get("behind") for r in mq):
            print("  note: mqtk reported BEHIND SCHEDULE in some round (schedule.behind)")
        if mq and not any(r["has_lateness"] for r in mq):
            print("  note: mqtk's report has no latency.send_lateness (this build does not measure it)")
        rp50, mp50 = median(ref, "corr_p50"), median(mq, "corr_p50")
        if section == "paced" or (rp50 is not None and mp50 is not None):
            if rp50 is None or mp50 is None:
                print("  mqtk corrected p50 against the reference: no figure")
            else:
                allowed = max(0.10 * rp50, 50.0)
                diff = mp50 - rp50
                good = diff <= allowed
                label = "Target" if section == "paced" else "For information"
                print(f"  {label}: mqtk corrected p50 median {mp50:,.1f} us, reference {rp50:,.1f} us:"
                      f" {diff:+,.1f} us ({diff / rp50 * 100:+.0f} %), allowed +{allowed:,.1f} us"
                      f" (max(10 %, 50 us)): {'met' if good else 'MISSED'}")
        if section == "rate":
            lp99 = median(mq, "late_p99")
            rl99 = median(ref, "late_p99")
            ref_text = f" (reference {rl99:,.1f} us)" if rl99 is not None else ""
            if lp99 is None:
                print(f"  Target: mqtk send lateness p99 <= 100 us: no figure{ref_text}")
            else:
                print(f"  Target: mqtk send lateness p99 median {lp99:,.1f} us <= 100 us{ref_text}:"
                      f" {'met' if lp99 <= 100 else 'MISSED'}")

{"row": row, "table": table}[command]()
PY
report() { # command key=value...
    python3 "$WORK/report.py" "$OUT" "$@" rounds="$ROUNDS" clk="$(getconf CLK_TCK)"
}
PACED_TITLE="$PUBLISHERS publishers x ${INTERVAL_US} us interval -> 1 subscriber, QoS 0, $SIZE B, ${DURATION} s after ${WARMUP} s warmup"
RATE_TITLE="1 publisher at $RATE msg/s -> 1 subscriber, QoS 0, $SIZE B, ${DURATION} s after ${WARMUP} s warmup"
if [ "$REPORT_ONLY" = 1 ]; then
    # The titles of the run that wrote OUT, not of this environment.
    # shellcheck disable=SC1091
    [ ! -f "$OUT/titles.sh" ] || . "$OUT/titles.sh"
    report table paced="$PACED_TITLE" rate="$RATE_TITLE" | tee "$OUT/summary.txt"
    exit 0
fi
printf 'PACED_TITLE=%q\nRATE_TITLE=%q\n' "$PACED_TITLE" "$RATE_TITLE" > "$OUT/titles.sh"

for tool in cargo mosquitto /usr/bin/time python3 timeout vmstat; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y mosquitto time python3 procps)" >&2; exit 1; }
done
[ -x "$MQTK" ] || { echo "no executable $MQTK: build it (cargo build --release) or set MQTK=path" >&2; exit 1; }
# The reference: std only, so this works offline. Its own target dir, whatever CARGO_TARGET_DIR says.
nice -n 19 cargo build --release --locked --quiet --manifest-path bench/reference/Cargo.toml \
    --target-dir bench/reference/target
[ -x "$REF" ] || { echo "no executable $REF after building it" >&2; exit 1; }

if (exec 3<> "/dev/tcp/$HOST/$PORT") 2>/dev/null; then
    echo "something already listens on $HOST:$PORT: choose another PORT" >&2
    exit 1
fi
cat > "$WORK/mosquitto.conf" <<CONF
listener $PORT $HOST
allow_anonymous true
persistence false
connection_messages false
log_type error
log_type warning
CONF
[ "$(id -u)" = 0 ] && echo "user root" >> "$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" > "$OUT/broker.log" 2>&1 &
BROKER_PID=$!
for attempt in $(seq 40); do
    if (exec 3<> "/dev/tcp/$HOST/$PORT") 2>/dev/null; then break; fi
    if ! kill -0 "$BROKER_PID" 2>/dev/null; then
        echo "mosquitto did not start:" >&2
        cat "$OUT/broker.log" >&2
        exit 1
    fi
    [ "$attempt" -lt 40 ] || { echo "nothing accepts connections on $HOST:$PORT" >&2; exit 1; }
    sleep 0.25
done

# The broker's CPU so far in clock ticks (utime + stime of /proc/PID/stat).
broker_ticks() {
    local stat
    stat=$(cat "/proc/$BROKER_PID/stat" 2>/dev/null) || { echo -; return; }
    stat=${stat##*) } # after "pid (comm) ": state is $1, utime $12, stime $13
    # shellcheck disable=SC2086
    set -- $stat
    echo $((${12} + ${13}))
}
load() { # label
    { echo "== load $1: $(date -Is)"; uptime; vmstat 1 3; } > "$OUT/load.$1.txt"
    echo "load $1: $(uptime | sed 's/.*load/load/')"
}

# One measured run: SETTLE seconds of quiet, then the tool under /usr/bin/time (through
# `timeout`, SIGINT after RUN_TIMEOUT; --foreground so Ctrl-C reaches it at once), then one
# row. Raw files: OUT/rROUND-SECTION-TOOL.{json,out,err,time}.
measure() { # round section tool
    local round=$1 section=$2 tool=$3 name="r$1-$2-$3" rc=0 load1 tb ta pubs cmd
    if [ "$section" = paced ]; then pubs=$PUBLISHERS; else pubs=1; fi
    if [ "$tool" = reference ]; then
        local interval=$INTERVAL_US
        [ "$section" = paced ] || interval=$((1000000 / RATE))
        cmd=("$REF" -h "$HOST" -p "$PORT" --publishers "$pubs" --interval-us "$interval"
            --duration-s "$DURATION" --warmup-s "$WARMUP" --size "$SIZE" -t pacing-ref)
    else
        local pace=(--interval "${INTERVAL_US}us")
        [ $((INTERVAL_US % 1000)) != 0 ] || pace=(--interval "$((INTERVAL_US / 1000))ms")
        [ "$section" = paced ] || pace=(--rate "$RATE")
        cmd=("$MQTK" bench pubsub --publishers "$pubs" --subscribers 1 "${pace[@]}" -q 0
            --duration "${DURATION}s" --warmup "${WARMUP}s" -s "$SIZE" -t 'pacing/%i'
            --json "$OUT/$name.json" -h "$HOST" -p "$PORT")
    fi
    echo "${cmd[*]}" > "$OUT/$name.cmd"
    rm -f "$OUT/$name".{json,out,err,time}
    sleep "$SETTLE"
    read -r load1 _ < /proc/loadavg
    tb=$(broker_ticks)
    /usr/bin/time -o "$OUT/$name.time" -f "$TIME_FMT" timeout --foreground -s INT -k 20 "$RUN_TIMEOUT" \
        "${cmd[@]}" > "$OUT/$name.out" 2> "$OUT/$name.err" &
    RUNNING=$!
    wait "$RUNNING" || rc=$?
    RUNNING=""
    ta=$(broker_ticks)
    # The reference prints its JSON line on stdout; mqtk writes --json and a text report.
    [ "$tool" = mqtk ] || cp "$OUT/$name.out" "$OUT/$name.json"
    if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
        echo "$tool ($section, round $round) exited $rc:" >&2
        tail -5 "$OUT/$name.err" >&2
    fi
    report row section="$section" tool="$tool" round="$round" rc="$rc" json="$OUT/$name.json" \
        time="$OUT/$name.time" load1="$load1" tb="$tb" ta="$ta" | tee -a "$OUT/runs.txt"
}

echo "pacing: $ROUNDS rounds, sections: $SECTIONS; $(mosquitto -h 2>&1 | head -1 || true) on $HOST:$PORT, $(nproc) CPUs"
echo "mqtk: $MQTK ($("$MQTK" --version 2>/dev/null || echo 'no --version')); reference: $REF"
echo "raw outputs: $OUT"
load before
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="reference mqtk"; else order="mqtk reference"; fi
    for section in $SECTIONS; do
        for tool in $order; do measure "$round" "$section" "$tool"; done
    done
done
load after
report table paced="$PACED_TITLE" rate="$RATE_TITLE" | tee "$OUT/summary.txt"
echo "raw outputs: $OUT"
