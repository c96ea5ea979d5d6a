#!/usr/bin/env bash
# Sharded `mqtk bench conn` on one host: CLIENTS connections opened and held HOLD by SHARDS
# mqtk processes at once (--shard I/SHARDS, --barrier), spread round-robin over BROKERS local
# mosquitto instances, each capped at BROKER_NOFILE open files (the issue's 20 000); then
# `mqtk bench merge` of the shards' reports.
# Usage: bench/shards.sh        (Linux, as root: it raises its own open-files limit)
# Prints the merged report, then: clients connected, the connect rate (merged `rates.connects`),
# per shard wall / user / sys / max RSS and exit status, mqtk's RSS per connection (the shards'
# max RSS summed / connected, KiB), its CPU per connection (user + sys summed / connected, us),
# and each mosquitto's VmRSS and VmHWM read just before it is stopped.
# Env: MQTK (default target/release/mqtk; not built here), CLIENTS (100000), SHARDS (5),
#      BROKERS (5, on 127.0.0.1:BASE_PORT, BASE_PORT+1, ...), BASE_PORT (21883), HOLD (mqtk
#      --duration, 10s), CONNECT_TIMEOUT (120s: the ramp-up's limit), BROKER_NOFILE (each broker's open-files limit, 20000), BIND=1 (shard I
#      binds its sockets to 127.0.0.(I+2), so each shard has its own ephemeral ports), OUT
#      (where configs, broker logs, reports and timings go; default a new mktemp -d, kept),
#      NOFILE (the script's own soft and hard open-files limit, which the shards inherit;
#      1048576).
# Needs mosquitto and jq or python3. Timing: GNU time (/usr/bin/time) when present, else each
# shard's /proc/PID/stat and VmHWM sampled every 0.2 s (misses its last moments).
set -euo pipefail
cd "$(dirname "$0")/.."

MQTK=${MQTK:-target/release/mqtk}
CLIENTS=${CLIENTS:-100000}
SHARDS=${SHARDS:-5}
BROKERS=${BROKERS:-5}
BASE_PORT=${BASE_PORT:-21883}
HOLD=${HOLD:-10s}
# The ramp-up ends this long after the start (no --connect-rate): 100 000 handshakes on two
# cores take longer than mqtk's default 10 s.
CONNECT_TIMEOUT=${CONNECT_TIMEOUT:-120s}
BROKER_NOFILE=${BROKER_NOFILE:-20000}
BIND=${BIND:-0}
NOFILE=${NOFILE:-1048576}

die() { echo "shards.sh: $*" >&2; exit 1; }

for v in CLIENTS SHARDS BROKERS BASE_PORT BROKER_NOFILE NOFILE; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive number, not '${!v}'"
done
[ "$(uname -s)" = Linux ] || die "Linux only (/proc, ulimit -Hn)"
[ "$(id -u)" -eq 0 ] || die "run as root: it raises its hard open-files limit to $NOFILE"
[ -x "$MQTK" ] || die "no mqtk at $MQTK (cargo build --release --locked, or MQTK=path)"
command -v mosquitto >/dev/null || die "mosquitto not found"
if command -v jq >/dev/null; then JSON=jq
elif command -v python3 >/dev/null; then JSON=python3
else die "needs jq or python3 to read the reports"; fi

# Open files: the shards inherit this; each broker gets its own cap below.
if ! { ulimit -Hn "$NOFILE" && ulimit -n "$NOFILE"; } 2>/dev/null; then
    die "cannot raise the open-files limit to $NOFILE (hard $(ulimit -Hn), fs.nr_open $(cat /proc/sys/fs/nr_open))"
fi

# What will not fit: reported before the run, not fatal (the run then shows the failures).
per_broker=$(( (CLIENTS + BROKERS - 1) / BROKERS ))
# mosquitto's own descriptors (stdio, listener, epoll, ...) and one barrier client per shard.
if (( per_broker + SHARDS + 8 > BROKER_NOFILE )); then
    echo "warning: ~$per_broker clients per broker + $SHARDS barrier clients + mosquitto's own" \
        "descriptors exceed BROKER_NOFILE=$BROKER_NOFILE: expect failed connections" >&2
fi
read -r port_lo port_hi < /proc/sys/net/ipv4/ip_local_port_range
ports=$(( port_hi - port_lo + 1 ))
# Without BIND all shards share 127.0.0.1 (ports count per broker); with BIND a shard's address
# carries all its clients (a port taken at bind() time is not shared between brokers).
if [ "$BIND" = 1 ]; then per_source=$(( (CLIENTS + SHARDS - 1) / SHARDS )); else per_source=$per_broker; fi
if (( per_source > ports )); then
    echo "warning: ~$per_source connections from one source address, but only $ports" \
        "ephemeral ports ($port_lo-$port_hi): widen net.ipv4.ip_local_port_range or use BIND=1" >&2
fi

if command -v /usr/bin/time >/dev/null && /usr/bin/time -f '%e' -o /dev/null true 2>/dev/null; then
    GNU_TIME=1
else
    GNU_TIME=0
    echo "note: no GNU time at /usr/bin/time: sampling /proc every 0.2 s instead (CPU and max" \
        "RSS miss each shard's last moments; wall within 0.2 s)" >&2
fi

OUT=${OUT:-$(mktemp -d -t mqtk-shards.XXXXXX)}
mkdir -p "$OUT"
echo "output in $OUT" >&2

broker_pids=()
shard_pids=()
# shellcheck disable=SC2317  # run by the trap
cleanup() {
    local pid
    for pid in "${shard_pids[@]}"; do
        pkill -TERM -P "$pid" 2>/dev/null || true   # mqtk under /usr/bin/time
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${broker_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${shard_pids[@]}" "${broker_pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

# Brokers, each in a subshell with its own open-files cap (soft and hard).
urls=()
for ((k = 0; k < BROKERS; k++)); do
    port=$((BASE_PORT + k))
    cat > "$OUT/mosquitto-$k.conf" <<EOF
listener $port 127.0.0.1
allow_anonymous true
max_connections -1
persistence false
log_dest stderr
log_type error
log_type warning
EOF
    ( ulimit -n "$BROKER_NOFILE" && exec mosquitto -c "$OUT/mosquitto-$k.conf" ) \
        2> "$OUT/mosquitto-$k.log" &
    broker_pids+=($!)
    urls+=("mqtt://127.0.0.1:$port")
done
for ((k = 0; k < BROKERS; k++)); do
    port=$((BASE_PORT + k))
    for ((try = 0; ; try++)); do
        if (: < "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
        if ! kill -0 "${broker_pids[k]}" 2>/dev/null || ((try >= 50)); then
            cat "$OUT/mosquitto-$k.log" >&2
            die "mosquitto $k does not accept on 127.0.0.1:$port"
        fi
        sleep 0.1
    done
done
url_list=$(IFS=,; echo "${urls[*]}")
RUN=shards-$$

# Shards, all at once; the barrier lines up their start.
declare -a t_start t_end utime stime hwm_kib
for ((i = 0; i < SHARDS; i++)); do
    args=(bench conn -c "$CLIENTS" --shard "$i/$SHARDS" -L "$url_list" --duration "$HOLD"
          --connect-timeout "$CONNECT_TIMEOUT" --barrier "$RUN" --json "$OUT/shard-$i.json")
    [ "$BIND" = 1 ] && args+=(--bind "127.0.0.$((i + 2))")
    if ((GNU_TIME)); then
        /usr/bin/time -f '%e %U %S %M' -o "$OUT/time-$i.txt" "$MQTK" "${args[@]}" \
            > "$OUT/shard-$i.txt" 2> "$OUT/shard-$i.err" &
    else
        "$MQTK" "${args[@]}" > "$OUT/shard-$i.txt" 2> "$OUT/shard-$i.err" &
    fi
    shard_pids+=($!)
    t_start[i]=${EPOCHREALTIME:-$(date +%s.%N)}
done
echo "$SHARDS shards started: $CLIENTS clients over $BROKERS brokers, holding $HOLD" >&2

if ((GNU_TIME == 0)); then
    # Sample each shard's utime + stime (fields 14 and 15 of /proc/PID/stat) and VmHWM
    # until it is gone (or a zombie), with no fork per sample.
    while :; do
        alive=0
        for ((i = 0; i < SHARDS; i++)); do
            [ -n "${t_end[i]:-}" ] && continue
            pid=${shard_pids[i]}
            stat=
            read -r stat 2>/dev/null < "/proc/$pid/stat" || true
            rest=${stat##*) }
            read -r -a f <<< "$rest"
            if [ -z "$stat" ] || [ "${f[0]}" = Z ]; then
                t_end[i]=${EPOCHREALTIME:-$(date +%s.%N)}
                continue
            fi
            alive=1
            utime[i]=${f[11]}
            stime[i]=${f[12]}
            while read -r key val _; do
                [ "$key" = VmHWM: ] && hwm_kib[i]=$val
            done 2>/dev/null < "/proc/$pid/status" || true
        done
        ((alive)) || break
        sleep 0.2
    done
    hz=$(getconf CLK_TCK)
    for ((i = 0; i < SHARDS; i++)); do
        # The same fields as GNU time's -f '%e %U %S %M'.
        awk -v s="${t_start[i]}" -v e="${t_end[i]}" -v u="${utime[i]:-0}" -v y="${stime[i]:-0}" \
            -v hz="$hz" -v m="${hwm_kib[i]:-0}" \
            'BEGIN { printf "%.2f %.2f %.2f %d\n", e - s, u / hz, y / hz, m }' > "$OUT/time-$i.txt"
    done
fi

declare -a rc
for ((i = 0; i < SHARDS; i++)); do
    rc[i]=0
    wait "${shard_pids[i]}" || rc[i]=$?
done
shard_pids=()

# Merge (a missing report counts as that shard's failure).
reports=()
for ((i = 0; i < SHARDS; i++)); do
    [ -s "$OUT/shard-$i.json" ] && reports+=("$OUT/shard-$i.json")
done
merge_rc=0
if ((${#reports[@]})); then
    "$MQTK" bench merge "${reports[@]}" --json "$OUT/merged.json" > "$OUT/merged.txt" || merge_rc=$?
    cat "$OUT/merged.txt"
else
    echo "no shard wrote a report; see $OUT/shard-*.err" >&2
    merge_rc=1
fi

# Brokers' memory now, with every connection closed only moments ago.
declare -a b_rss b_hwm
for ((k = 0; k < BROKERS; k++)); do
    b_rss[k]=-
    b_hwm[k]=-
    while read -r key val _; do
        [ "$key" = VmRSS: ] && b_rss[k]=$val
        [ "$key" = VmHWM: ] && b_hwm[k]=$val
    done 2>/dev/null < "/proc/${broker_pids[k]}/status" || true
done

json_get() { # FILE DOTTED.PATH -> value, or "n/a"
    if [ ! -s "$1" ]; then echo n/a; return; fi
    if [ "$JSON" = jq ]; then
        jq -r --arg p "$2" 'getpath($p | split(".")) // "n/a"' "$1"
    else
        python3 - "$1" "$2" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("n/a" if v is None else v)
PY
    fi
}

connected=$(json_get "$OUT/merged.json" clients.connected)
total=$(json_get "$OUT/merged.json" clients.total)
rate=$(json_get "$OUT/merged.json" rates.connects)

echo
echo "== shards.sh: $CLIENTS clients, $SHARDS shards, $BROKERS brokers (nofile $BROKER_NOFILE each), hold $HOLD, BIND=$BIND"
printf 'connected      %s of %s\n' "$connected" "$total"
printf 'connect rate   %s /s\n' "$(awk -v r="$rate" 'BEGIN { if (r + 0 > 0) printf "%.0f", r; else print r }')"
printf '%-6s %8s %8s %8s %10s %5s\n' shard wall_s user_s sys_s maxrss_MiB exit
sum_rss=0
sum_cpu=0
for ((i = 0; i < SHARDS; i++)); do
    wall=- user=- sys=- rss=-
    # The last line: GNU time puts "Command exited with non-zero status N" before it.
    [ -s "$OUT/time-$i.txt" ] && read -r wall user sys rss < <(tail -n 1 "$OUT/time-$i.txt")
    printf '%-6s %8s %8s %8s %10s %5s\n' "$i" "$wall" "$user" "$sys" \
        "$(awk -v k="$rss" 'BEGIN { if (k ~ /^[0-9]+$/) printf "%.1f", k / 1024; else print "-" }')" "${rc[i]}"
    sum_rss=$(awk -v a="$sum_rss" -v k="$rss" 'BEGIN { print a + (k ~ /^[0-9]+$/ ? k : 0) }')
    sum_cpu=$(awk -v a="$sum_cpu" -v u="$user" -v s="$sys" \
        'BEGIN { print a + (u ~ /^[0-9.]+$/ ? u : 0) + (s ~ /^[0-9.]+$/ ? s : 0) }')
done
if [[ "$connected" =~ ^[1-9][0-9]*$ ]]; then
    awk -v r="$sum_rss" -v c="$sum_cpu" -v n="$connected" 'BEGIN {
        printf "mqtk RSS per connection   %.2f KiB (max RSS summed over shards / connected)\n", r / n
        printf "mqtk CPU per connection   %.1f us (user + sys summed / connected)\n", c * 1e6 / n
    }'
else
    echo "no connections: no per-connection figures"
fi
printf '%-8s %6s %12s %12s\n' broker port VmRSS_MiB VmHWM_MiB
for ((k = 0; k < BROKERS; k++)); do
    printf '%-8s %6s %12s %12s\n' "$k" "$((BASE_PORT + k))" \
        "$(awk -v k="${b_rss[k]}" 'BEGIN { if (k ~ /^[0-9]+$/) printf "%.1f", k / 1024; else print "-" }')" \
        "$(awk -v k="${b_hwm[k]}" 'BEGIN { if (k ~ /^[0-9]+$/) printf "%.1f", k / 1024; else print "-" }')"
done
echo "reports, timings and broker logs: $OUT"
exit "$merge_rc"
