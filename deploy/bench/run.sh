#!/usr/bin/env bash
# Benchmark suite of domo-migration-proxy: what the service costs, next to what users would run
# instead. Benchmarks, not tests: nothing here runs in ./mvnw verify.
#
#   deploy/bench/run.sh            full run, about 10 minutes on 2 cores (build included)
#   deploy/bench/run.sh --quick    the same steps with short runs and 100,000 seeded rows
#
# Options: --no-build (reuse target/quarkus-app), --parts 1,2,3,4 (a subset; 4 is start-up and
# memory), --wait-quiet SECONDS (wait up to that long for other processes to leave the CPU idle).
# Results: a Markdown table per part on stdout and in target/bench/results.md; logs in
# target/bench/work/.
#
# It needs a JDK 25 for the service (BENCH_JAVA_HOME, by default /usr/lib/jvm/temurin-25-jdk-amd64;
# the build stays on the default JDK 17), curl, wrk, nginx, pgbench, psql and a local PostgreSQL;
# run as root on Debian/Ubuntu it installs what is missing with apt-get. All load goes to
# 127.0.0.1 only, each load step is bounded by wrk/pgbench -d/-T, and everything it starts is
# stopped on exit. The PostgreSQL role and database "domo_bench" are created (the database is
# dropped and created anew on every run).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/target/bench
WORK=$OUT/work
RESULTS=$OUT/results.md

HTTP_PORT=${BENCH_HTTP_PORT:-18080}
MGMT_PORT=${BENCH_MGMT_PORT:-19000}
UPSTREAM_PORT=${BENCH_UPSTREAM_PORT:-18081}
PROXY_PORT=${BENCH_PROXY_PORT:-18082}
export PGHOST=127.0.0.1 PGPORT=${BENCH_PGPORT:-5432} PGUSER=domo_bench PGPASSWORD=domo_bench PGDATABASE=domo_bench
# Local benchmark credentials, never used anywhere else.
API_KEY=bench-api-key-local-only
DOMO_TOKEN=bench-domo-token-local-only

QUICK=false
BUILD=true
PARTS=1,2,3,4
WAIT_QUIET=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --quick) QUICK=true ;;
        --no-build) BUILD=false ;;
        --parts) PARTS=$2; shift ;;
        --wait-quiet) WAIT_QUIET=$2; shift ;;
        -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if $QUICK; then
    DURATION=3 WARMUP=10 SEED_ROWS=100000 EXPORT_ROWS=50000 STARTS=1
else
    DURATION=10 WARMUP=60 SEED_ROWS=10000000 EXPORT_ROWS=1000000 STARTS=3
fi
SEED_ROWS=${BENCH_SEED_ROWS:-$SEED_ROWS} EXPORT_ROWS=${BENCH_EXPORT_ROWS:-$EXPORT_ROWS}
# Warm-up before the load steps of parts 1 and 2 (half of it for part 2 and part 3). With C2, the
# JIT's optimising compiler, give it BENCH_WARMUP=60: it needs about a minute on two cores.
WARMUP=${BENCH_WARMUP:-$WARMUP}

# The JVM and its flags (lib/jvm.sh), the levers that part 4 found to help. The AOT cache (JEP
# 483/514/515) must be made and used by the same JVM build with the same class path and CACHE_FLAGS.
# shellcheck source=lib/jvm.sh
source "$HERE/lib/jvm.sh"
# shellcheck source=lib/postgres.sh
source "$HERE/lib/postgres.sh"
AOT_CACHE=$WORK/app.aot
KEPT_JAVA_OPTS="-XX:AOTCache=$AOT_CACHE $RUN_FLAGS"
SERVICE_JAVA_OPTS=${BENCH_JAVA_OPTS:-$KEPT_JAVA_OPTS}

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
has_part() { [[ ",$PARTS," == *",$1,"* ]]; }

# --- prerequisites ---------------------------------------------------------------------------
package_for() {
    case $1 in
        psql) echo postgresql-client ;;
        pgbench | pg_ctlcluster | pg_isready) echo "postgresql postgresql-contrib" ;;
        *) echo "$1" ;;
    esac
}

check_prerequisites() {
    local missing=() packages=() tool
    require_jdk25
    for tool in curl wrk nginx pgbench psql pg_isready awk sort sha256sum; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    for tool in "${missing[@]}"; do packages+=($(package_for "$tool")); done
    packages=($(printf '%s\n' "${packages[@]}" | sort -u))
    log "missing: ${missing[*]} (Debian packages: ${packages[*]})"
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        log "installing them: apt-get install -y ${packages[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}" >"$OUT/apt.log" 2>&1 \
            || { apt-get update -q >>"$OUT/apt.log" 2>&1 \
                && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}" >>"$OUT/apt.log" 2>&1; } \
            || die "apt-get failed, see $OUT/apt.log"
    else
        die "install them first, e.g. sudo apt-get install -y ${packages[*]}"
    fi
}

ports_free() {
    local port
    for port in "$HTTP_PORT" "$MGMT_PORT" "$UPSTREAM_PORT" "$PROXY_PORT"; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            die "port $port is in use; stop what listens there or set BENCH_*_PORT"
        fi
    done
}

# Share of the machine's CPU that was busy over the next $1 seconds, from /proc/stat: it also sees
# processes of other containers on the same machine, which this script cannot see otherwise.
cpu_busy_percent() {
    local a b
    a=($(head -1 /proc/stat)); sleep "$1"; b=($(head -1 /proc/stat))
    awk -v a="${a[*]}" -v b="${b[*]}" 'BEGIN { n = split(a, x, " "); split(b, y, " ");
        for (i = 2; i <= 9 && i <= n; i++) { t += y[i] - x[i]; if (i == 5 || i == 6) idle += y[i] - x[i] }
        printf "%d", (t > 0 ? 100 * (t - idle) / t : 0) }'
}

# --- processes this script starts, and only those, are stopped on exit ------------------------
STARTED_PIDS=()
cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    for pidfile in "$WORK/upstream.pid" "$WORK/token-proxy.pid"; do
        [[ -s $pidfile ]] && kill "$(cat "$pidfile")" 2>/dev/null || true
    done
    stop_started_cluster # the PostgreSQL cluster, if this run started it
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget_pid() {
    local pid=$1 kept=() p
    for p in "${STARTED_PIDS[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
    STARTED_PIDS=("${kept[@]}")
}

# --- PostgreSQL ------------------------------------------------------------------------------
# Administration as the postgres superuser over the local socket (BENCH_PG_ADMIN to do otherwise,
# e.g. "psql postgresql://admin@host/postgres"); the bench's own PG* settings must not leak in
# (lib/postgres.sh, sourced above with lib/jvm.sh).

prepare_postgres() {
    fresh_database domo_bench
    PG_VERSION=$(psql -XAtc 'SHOW server_version' | cut -d' ' -f1)
    PG_SETTINGS=$(psql -XAtc "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name)
        FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'fsync', 'max_connections')")
}

# --- nginx: the static Domo stand-in and the token-injecting reverse proxy --------------------
start_nginx() {
    local name=$1
    mkdir -p "$WORK/tmp"
    sed -e "s#__UPSTREAM_PORT__#$UPSTREAM_PORT#g; s#__PROXY_PORT__#$PROXY_PORT#g" \
        -e "s#__DOMO_TOKEN__#$DOMO_TOKEN#g; s#__API_KEY__#$API_KEY#g; s#__DOMO_DATA__#$HERE/nginx/domo#g" \
        "$HERE/nginx/$name.conf" >"$WORK/$name.conf"
    nginx -p "$WORK" -c "$WORK/$name.conf" -e "$WORK/$name-error.log" \
        || die "nginx $name did not start, see $WORK/$name-error.log"
}

# --- the service -----------------------------------------------------------------------------
SERVICE_PID=
STARTUP_MS=
write_api_keys() {
    local sha
    sha=$(printf %s "$API_KEY" | sha256sum | cut -d' ' -f1)
    printf '[{"name":"bench","sha256":"%s","roles":["reader","operator","auditor"]}]\n' "$sha" >"$WORK/api-keys.json"
}

# start_service NAME [JVM options...]: starts the packaged service and waits for the first 200 of an
# authenticated GET; STARTUP_MS is the wall time from launching java to that answer.
start_service() {
    local name=$1; shift
    local started now code
    foreign_begin
    started=$(date +%s%N)
    env QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://127.0.0.1:$PGPORT/$PGDATABASE" \
        QUARKUS_DATASOURCE_USERNAME="$PGUSER" QUARKUS_DATASOURCE_PASSWORD="$PGPASSWORD" \
        DOMO_BASE_URL="http://127.0.0.1:$UPSTREAM_PORT" DOMO_DEVELOPER_TOKEN="$DOMO_TOKEN" \
        PROXY_API_KEYS_FILE="$WORK/api-keys.json" QUARKUS_HTTP_PORT="$HTTP_PORT" \
        PROXY_RATE_LIMIT_OPERATIONS_PER_MINUTE=100000000 `# one bench caller; the default 60/min would measure 429s` \
        PROXY_RATE_LIMIT_CONCURRENT_OPERATIONS=1000 `# c=64 reaches the default 64 in flight: no slack for 503s` \
        QUARKUS_MANAGEMENT_PORT="$MGMT_PORT" QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_MANAGEMENT_HOST=127.0.0.1 \
        MALLOC_ARENA_MAX=2 `# as the image sets it` \
        QUARKUS_FLYWAY_MIGRATE_AT_START=false QUARKUS_FLYWAY_VALIDATE_AT_START=true `# as the chart's pods: the Job migrated` \
        "$JAVA" "$@" -jar "$ROOT/target/quarkus-app/quarkus-run.jar" >"$WORK/$name.log" 2>&1 &
    SERVICE_PID=$!
    STARTED_PIDS+=("$SERVICE_PID")
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "X-API-Key: $API_KEY" \
            "http://127.0.0.1:$HTTP_PORT/api/v1/accounts/1/candidates" || true)
        [[ $code == 200 ]] && break
        kill -0 "$SERVICE_PID" 2>/dev/null || die "service ($name) exited during start-up, see $WORK/$name.log"
        now=$(date +%s%N)
        (( (now - started) / 1000000000 < 180 )) || die "service ($name) not answering after 180 s, see $WORK/$name.log"
        sleep 0.05
    done
    now=$(date +%s%N)
    STARTUP_MS=$(( (now - started) / 1000000 ))
    echo "0 0" >"$WORK/start.time"
    foreign_end "$(awk -v ms="$STARTUP_MS" 'BEGIN { printf "%.3f", ms / 1000 }')" "$WORK/start.time"
}

stop_service() {
    [[ -n $SERVICE_PID ]] || return 0
    kill "$SERVICE_PID" 2>/dev/null || true
    wait "$SERVICE_PID" 2>/dev/null || true
    forget_pid "$SERVICE_PID"
    SERVICE_PID=
}

rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
hwm_mib() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# --- load tools ------------------------------------------------------------------------------
# run_wrk CONCURRENCY SECONDS URL [wrk options...] [-- script args...]: sets RPS, P50, P99 (ms),
# REQUESTS, ERRORS.
run_wrk() {
    local concurrency=$1 seconds=$2 url=$3; shift 3
    local threads=2 line options=() script_args=()
    (( concurrency < 2 )) && threads=1
    while [[ $# -gt 0 && $1 != -- ]]; do options+=("$1"); shift; done
    [[ $# -gt 0 ]] && { shift; script_args=("$@"); }
    foreign_begin
    { time BENCH_WRK_DIR="$HERE/wrk" wrk -t"$threads" -c"$concurrency" -d"${seconds}s" --timeout 10s "${options[@]}" \
        "$url" "${script_args[@]}" >"$WORK/wrk.out"; } 2>"$WORK/wrk.time"
    foreign_end "$seconds" "$WORK/wrk.time"
    line=$(grep '^WRK_RESULT' "$WORK/wrk.out" || true)
    [[ -n $line ]] || die "wrk printed no result for $url: $(cat "$WORK/wrk.out")"
    eval "$(awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        printf "REQUESTS=%d RPS=%.0f P50=%.2f P99=%.2f ERRORS=%d\n", v["requests"],
            v["requests"] / (v["duration_us"] / 1e6), v["p50_us"] / 1000, v["p99_us"] / 1000,
            v["non2xx"] + v["socket_errors"] }' <<<"$line")"
}

# CPU time used by processes, in clock ticks, their exited children included (PostgreSQL's
# postmaster collects the CPU of the backends that pgbench's connections leave behind).
# Per request it is the cost that other load on the machine distorts least.
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() {
    local pid total=0
    for pid in "$@"; do
        [[ -r /proc/$pid/stat ]] && total=$(( total + $(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat") ))
    done
    echo "$total"
}
nginx_workers() { pgrep -P "$(cat "$WORK/$1.pid")" | tr '\n' ' '; }
# cpu_us_per_request TICKS_BEFORE TICKS_AFTER REQUESTS
cpu_us_per_request() {
    awk -v a="$1" -v b="$2" -v n="$3" -v hz="$CLK_TCK" 'BEGIN { printf "%.0f", (n > 0 ? (b - a) * 1e6 / hz / n : 0) }'
}

# The machine may be shared (other containers on the same VM do not show in ps, but in
# /proc/stat they do). FOREIGN is the share of all cores, in %, that something other than the
# processes of this benchmark used during a load step: the service, nginx, PostgreSQL, and the load
# tool (timed with bash's time, TIMEFORMAT below). Steps with a high FOREIGN are not comparable.
TIMEFORMAT='%3U %3S'
machine_busy_ticks() { awk 'NR == 1 { for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6; exit }' /proc/stat; }
bench_ticks() {
    # shellcheck disable=SC2046
    cpu_ticks ${SERVICE_PID:-} $(pgrep -P "$(cat "$WORK/upstream.pid" 2>/dev/null || echo 0)") \
        $(pgrep -P "$(cat "$WORK/token-proxy.pid" 2>/dev/null || echo 0)") $(pgrep -u postgres)
}
foreign_begin() { quiet_gate; FOREIGN_M0=$(machine_busy_ticks); FOREIGN_B0=$(bench_ticks); }
# With --wait-quiet N, each step first waits (at most N s) for a 2 s window with the CPU < 15% busy.
quiet_gate() {
    (( WAIT_QUIET > 0 )) || return 0
    local deadline=$(( $(date +%s) + WAIT_QUIET )) busy
    busy=$(cpu_busy_percent 2)
    while (( busy >= 15 && $(date +%s) < deadline )); do busy=$(cpu_busy_percent 2); done
    (( busy < 15 )) || log "  still ${busy}% busy after waiting ${WAIT_QUIET}s; measuring anyway"
}
# foreign_end SECONDS TIME_FILE: sets FOREIGN.
foreign_end() {
    local m1 b1
    m1=$(machine_busy_ticks); b1=$(bench_ticks)
    FOREIGN=$(awk -v m="$(( m1 - FOREIGN_M0 ))" -v b="$(( b1 - FOREIGN_B0 ))" -v s="$1" -v hz="$CLK_TCK" \
        -v cores="$(nproc)" -v tool="$(tail -1 "$2")" 'BEGIN { split(tool, t, " ");
            f = (m - b - (t[1] + t[2]) * hz) / (cores * s * hz) * 100; printf "%.0f", (f < 0 ? 0 : f) }')
}

# percentiles_ms FILE...: "p50 p99" in ms of pgbench's per-transaction log (3rd column, µs).
percentiles_ms() {
    cat "$@" | awk '{ print $3 }' | sort -n | awk '{ v[NR] = $1 }
        END { if (NR == 0) { print "- -"; exit }
              i50 = int(NR * 0.50); i99 = int(NR * 0.99); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
              printf "%.2f %.2f\n", v[i50] / 1000, v[i99] / 1000 }'
}

fmt() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }
# verdict "EXPRESSION": met when the awk expression (numbers and comparisons only) holds.
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "**missed**"; fi; }

# --- results ---------------------------------------------------------------------------------
declare -A SECTION
add() { SECTION[$1]+="$2"$'\n'; }

# ==============================================================================================
mkdir -p "$OUT" "$WORK"
rm -f "$WORK"/*.log "$WORK"/pgbench_log* "$WORK"/*.pid
check_prerequisites
ports_free
log "parts $PARTS, $( $QUICK && echo quick || echo full ) run: ${DURATION}s per load step, $SEED_ROWS seeded rows"

BUSY=$(cpu_busy_percent 3)
if (( BUSY > 10 && WAIT_QUIET > 0 )); then
    log "CPU ${BUSY}% busy before the run; waiting up to ${WAIT_QUIET}s for it to settle"
    deadline=$(( $(date +%s) + WAIT_QUIET ))
    while (( BUSY > 10 && $(date +%s) < deadline )); do BUSY=$(cpu_busy_percent 5); done
fi
(( BUSY > 10 )) && log "WARNING: ${BUSY}% of the CPU was busy before the run started; numbers will be low and noisy"

if $BUILD; then
    log "building: ./mvnw -B package -DskipTests -Dspectral.skip (log: $OUT/build.log)"
    (cd "$ROOT" && ./mvnw -B package -DskipTests -Dspectral.skip >"$OUT/build.log" 2>&1) \
        || die "build failed, see $OUT/build.log"
fi
[[ -f $ROOT/target/quarkus-app/quarkus-run.jar ]] || die "no target/quarkus-app/quarkus-run.jar; run without --no-build"

prepare_postgres
write_api_keys
start_nginx upstream
start_nginx token-proxy
log "PostgreSQL $PG_VERSION ($PG_SETTINGS); nginx upstream :$UPSTREAM_PORT, nginx token proxy :$PROXY_PORT"

AUTH=(-H "X-API-Key: $API_KEY")
SERVICE=http://127.0.0.1:$HTTP_PORT

# --- AOT cache: the image's own training run (deploy/docker/Dockerfile.jvm) -------------------
# AotTraining (built into target/aot-training by ./mvnw package) starts the service with
# -XX:AOTCacheOutput against a throwaway embedded PostgreSQL and a Domo stand-in, exercises every
# endpoint and stops it; the JVM records what it loads, links and profiles, and assembles the cache
# when it exits. The image runs the same class with the same CACHE_FLAGS, so the cache measured here
# is made as the one the image ships. Kept in target/bench/work.
[[ -d $ROOT/target/aot-training/classes ]] \
    || die "target/aot-training is missing: build with ./mvnw package -DskipTests (not -Dmaven.test.skip)"
log "AOT cache training run (AotTraining, as the image runs it)"
# shellcheck disable=SC2086
"$JAVA" -cp "$ROOT/target/aot-training/classes:$ROOT/target/aot-training/lib/*" \
    com.domomigrationproxy.deploy.AotTraining "$AOT_CACHE" "$WORK/aot-training.log" \
    -- "$JAVA" -XX:AOTCacheOutput="$AOT_CACHE" $CACHE_FLAGS -Xlog:aot=off -Xlog:cds=off \
    -jar "$ROOT/target/quarkus-app/quarkus-run.jar" >"$WORK/aot-training-driver.log" 2>&1 \
    || die "the AOT cache training failed, see $WORK/aot-training-driver.log and $WORK/aot-training.log"
# The fresh database gets its schema as the chart's migration Job gives it (not measured): the
# packaged service runs Flyway and exits (QUARKUS_INIT_AND_EXIT); the measured starts only validate.
log "applying the Flyway migrations to the fresh database, as the chart's migration Job does"
# shellcheck disable=SC2086
env QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://127.0.0.1:$PGPORT/$PGDATABASE" \
    QUARKUS_DATASOURCE_USERNAME="$PGUSER" QUARKUS_DATASOURCE_PASSWORD="$PGPASSWORD" \
    QUARKUS_INIT_AND_EXIT=true MALLOC_ARENA_MAX=2 \
    timeout 300 "$JAVA" $KEPT_JAVA_OPTS -jar "$ROOT/target/quarkus-app/quarkus-run.jar" >"$WORK/schema-migration.log" 2>&1 \
    || die "the schema migration failed, see $WORK/schema-migration.log"

# --- part 4a: start-up levers, each started STARTS times against the migrated database --------
if has_part 4; then
    log "part 4: start-up levers, $STARTS start(s) each"
    add p4 "| JVM options | Start to first 200, median (ms) | RSS idle (MiB) | Runs (ms) | Other load (% CPU) |"
    add p4 "|---|---:|---:|---|---|"
    LEVERS=(
        ""
        "-XX:TieredStopAtLevel=1"
        # C2 alone (no C1): less code and compiler memory, a slower warm-up.
        "-XX:-TieredCompilation"
        "-XX:+UseSerialGC"
        "-XX:+UseCompactObjectHeaders"
        "-Xmx51m"
        "-XX:AOTCache=$AOT_CACHE $CACHE_FLAGS"
        # What the image and the chart run.
        "$KEPT_JAVA_OPTS"
    )
    for opts in "${LEVERS[@]}"; do
        runs=() rss=() foreign=()
        for _ in $(seq "$STARTS"); do
            # shellcheck disable=SC2086
            start_service lever $opts
            runs+=("$STARTUP_MS") foreign+=("$FOREIGN")
            sleep 2
            rss+=("$(rss_mib "$SERVICE_PID")")
            stop_service
        done
        median=$(printf '%s\n' "${runs[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
        median_rss=$(printf '%s\n' "${rss[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
        label=${opts//$AOT_CACHE/app.aot}
        add p4 "| \`${label:-(none: java -jar)}\` | $median | $median_rss | ${runs[*]} | ${foreign[*]} |"
        log "  ${label:-defaults}: ${median} ms, ${median_rss} MiB"
    done
fi

# --- the service that parts 1-3 load ---------------------------------------------------------
log "starting the service: $JAVA $SERVICE_JAVA_OPTS"
# shellcheck disable=SC2086
# The GC log measures the export's heap (part 3): on JDK 25, jstat shows the serial collector's
# eden as empty at every sample.
start_service service $SERVICE_JAVA_OPTS -Xlog:gc:file="$WORK/service-gc.log"
MAIN_STARTUP_MS=$STARTUP_MS MAIN_STARTUP_FOREIGN=$FOREIGN
sleep 2
MAIN_RSS_IDLE=$(rss_mib "$SERVICE_PID")
log "service answered after ${MAIN_STARTUP_MS} ms, RSS idle ${MAIN_RSS_IDLE} MiB"

# --- part 1: proxy overhead on the GETs ------------------------------------------------------
if has_part 1; then
    log "part 1: warming up the service (${WARMUP}s at concurrency 64)"
    run_wrk 64 "$WARMUP" "$SERVICE/api/v1/accounts/1/candidates" "${AUTH[@]}" -s "$HERE/wrk/report.lua"
    add p1 "| Path | Concurrency | Requests/s | p50 (ms) | p99 (ms) | CPU per request (µs) | Errors | Other load (% CPU) |"
    add p1 "|---|---:|---:|---:|---:|---:|---:|---:|"
    declare -A R1
    for c in 8 64; do
        for path in direct nginx service; do
            # CPU per request counts the proxy under test only (for "direct", the static upstream).
            case $path in
                direct) url="http://127.0.0.1:$UPSTREAM_PORT/api/query/migration/federated/v1/to/v2/candidates/1"
                        hdr=(-H "X-DOMO-Developer-Token: $DOMO_TOKEN"); label="Upstream directly (nginx static)"
                        pids=$(nginx_workers upstream) ;;
                nginx) url="http://127.0.0.1:$PROXY_PORT/api/v1/accounts/1/candidates"; hdr=("${AUTH[@]}")
                       label="nginx token-injecting proxy (baseline)"; pids=$(nginx_workers token-proxy) ;;
                service) url="$SERVICE/api/v1/accounts/1/candidates"; hdr=("${AUTH[@]}")
                         label="domo-migration-proxy"; pids=$SERVICE_PID ;;
            esac
            # shellcheck disable=SC2086
            before=$(cpu_ticks $pids)
            run_wrk "$c" "$DURATION" "$url" "${hdr[@]}" -s "$HERE/wrk/report.lua"
            # shellcheck disable=SC2086
            cpu=$(cpu_us_per_request "$before" "$(cpu_ticks $pids)" "$REQUESTS")
            R1[$path-$c-rps]=$RPS R1[$path-$c-p99]=$P99
            add p1 "| $label | $c | $RPS | $P50 | $P99 | $cpu | $ERRORS | $FOREIGN |"
            log "  $path c=$c: $RPS req/s, p50 $P50 ms, p99 $P99 ms, CPU $cpu µs/request, errors $ERRORS, other load ${FOREIGN}%"
        done
    done
    added=$(awk -v s="${R1[service-8-p99]}" -v d="${R1[nginx-8-p99]}" 'BEGIN { printf "%.2f", s - d }')
    added_nginx=$(awk -v s="${R1[nginx-8-p99]}" -v d="${R1[direct-8-p99]}" 'BEGIN { printf "%.2f", s - d }')
    share=$(awk -v s="${R1[service-64-rps]}" -v n="${R1[nginx-64-rps]}" 'BEGIN { printf "%.0f", 100 * s / n }')
    add p1 ""
    add p1 "| Target | Service | nginx proxy | Result |"
    add p1 "|---|---:|---:|---|"
    add p1 "| Added p99 at concurrency 8 ≤ 2 ms (service p99 − nginx proxy p99) | $added ms | nginx proxy adds $added_nginx ms to direct | $(verdict "$added <= 2") |"
    add p1 "| Throughput at concurrency 64 ≥ 25% of the nginx proxy's | ${share}% | 100% | $(verdict "$share >= 25") |"
fi

# --- part 3: audit queries at scale ----------------------------------------------------------
# Before part 2, so that the newest rows are the seeded ones and not the tens of thousands that
# part 2 and pgbench write in a burst (a page "newest first" would have to skip them).
if has_part 3; then
    probe=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$SERVICE/api/v1/audit/operations?limit=1" || true)
    if [[ $probe != 200 ]]; then
        log "part 3: skipped, GET /api/v1/audit/operations answered $probe"
        add p3 "Skipped: endpoint not available (\`GET /api/v1/audit/operations\` answered HTTP $probe)."
    else
        log "part 3: seeding $SEED_ROWS operations"
        seed_started=$(date +%s%N)
        psql -X -q -v rows="$SEED_ROWS" -f "$HERE/sql/seed-operations.sql" >"$WORK/seed.log" 2>&1 \
            || die "seeding failed, see $WORK/seed.log"
        psql -X -q -v rows="$EXPORT_ROWS" -f "$HERE/sql/seed-events.sql" >>"$WORK/seed.log" 2>&1 \
            || die "seeding the chain events failed, see $WORK/seed.log"
        seed_s=$(( ($(date +%s%N) - seed_started) / 1000000000 ))
        # The seed's dirty pages go to disk now, not during the measured steps: a spread checkpoint
        # of gigabytes would slow every commit of part 2.
        pg_admin -c CHECKPOINT >/dev/null
        TOTAL_ROWS=$(psql -XAtc 'SELECT count(*) FROM operation')
        log "  seeded in ${seed_s}s; $TOTAL_ROWS rows in total"
        add p3 "$TOTAL_ROWS operations ($SEED_ROWS seeded by \`sql/seed-operations.sql\`, the chain events of the $EXPORT_ROWS oldest by \`sql/seed-events.sql\`, in ${seed_s} s; the others written by the steps before). Latency measured at the service over loopback, one request at a time (concurrency 1, ${DURATION} s each); concurrency 8 for throughput."
        add p3 ""
        add p3 "| Query (page of 50, newest first) | Items | p50 (ms) | p99 (ms) | Req/s at c=8 | p99 at c=8 (ms) | Target p99 ≤ 10 ms (c=1) | Other load (% CPU) |"
        add p3 "|---|---:|---:|---:|---:|---:|---|---:|"
        QUERIES=(
            "datasourceId=ds-4242"
            "requestedBy=svc-7&from=2025-06-01T00:00:00Z&to=2025-06-08T00:00:00Z"
            "state=UNKNOWN"
        )
        # Warm-up: the audit endpoints have not run yet, and C2 compiling them during a measured
        # step shows up in its p99; PostgreSQL's caches warm up at the same time.
        log "  warming up the audit query path ($(( WARMUP / 2 ))s at concurrency 8)"
        for q in "${QUERIES[@]}"; do
            run_wrk 8 "$(( WARMUP / 6 > 2 ? WARMUP / 6 : 2 ))" "$SERVICE/api/v1/audit/operations?$q" "${AUTH[@]}" \
                -s "$HERE/wrk/report.lua"
        done
        for q in "${QUERIES[@]}"; do
            json=(-H 'Accept: application/json')
            items=$(curl -sf "${AUTH[@]}" "${json[@]}" "$SERVICE/api/v1/audit/operations?$q" | grep -o '"operationId"' | wc -l || true)
            run_wrk 8 "$(( DURATION / 2 > 2 ? DURATION / 2 : 2 ))" "$SERVICE/api/v1/audit/operations?$q" "${AUTH[@]}" "${json[@]}" \
                -s "$HERE/wrk/report.lua"
            rps8=$RPS p99_8=$P99
            run_wrk 1 "$DURATION" "$SERVICE/api/v1/audit/operations?$q" "${AUTH[@]}" "${json[@]}" -s "$HERE/wrk/report.lua"
            note=$(verdict "$P99 <= 10")
            (( ERRORS > 0 )) && note="$note ($ERRORS errors)"
            add p3 "| \`$q\` | $items | $P50 | $P99 | $rps8 | $p99_8 | $note | $FOREIGN |"
            log "  $q: $items items, p50 $P50 ms, p99 $P99 ms"
        done

        # The export: the oldest EXPORT_ROWS rows (a \`to\` bound, so that it is the same size
        # whatever the seed); the target is for 1,000,000 rows.
        EXPORT_TO=$(psql -XAtc "SELECT to_char(requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')
            FROM operation ORDER BY requested_at OFFSET $EXPORT_ROWS LIMIT 1")
        psql -X -v export_to="$EXPORT_TO" -f "$HERE/sql/explain-pages.sql" >"$WORK/explain.txt" 2>&1 || die "EXPLAIN failed, see $WORK/explain.txt"
        add p3 ""
        add p3 "Plans of the three pages and of the export (\`sql/explain-pages.sql\`, the service's SQL):"
        add p3 ""
        add p3 '```'
        add p3 "$(cat "$WORK/explain.txt")"
        add p3 '```'
        add p3 ""
        # The export path warmed as the query path was, as in a service that has exported before:
        # one export of the oldest tenth of those rows, not measured.
        warm_to=$(psql -XAtc "SELECT to_char(requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')
            FROM operation ORDER BY requested_at OFFSET $(( EXPORT_ROWS / 10 )) LIMIT 1")
        curl -s -o /dev/null --max-time 300 "${AUTH[@]}" -H 'Accept: text/csv' \
            "$SERVICE/api/v1/audit/operations?to=$warm_to" || die "the warm-up export failed"
        log "  CSV export of the $EXPORT_ROWS oldest rows (to=$EXPORT_TO), after one of the $(( EXPORT_ROWS / 10 )) oldest"
        "$JCMD" "$SERVICE_PID" GC.run >/dev/null
        sleep 0.5
        gc_mark=$(wc -l <"$WORK/service-gc.log")
        foreign_begin
        read -r http_code export_s < <(curl -s -o "$WORK/export.csv" -w '%{http_code} %{time_total}\n' \
            --max-time 300 "${AUTH[@]}" -H 'Accept: text/csv' "$SERVICE/api/v1/audit/operations?to=$EXPORT_TO" || echo "000 0")
        echo "0 0" >"$WORK/export.time"
        foreign_end "$export_s" "$WORK/export.time"
        sleep 0.5
        lines=$(wc -l <"$WORK/export.csv")
        # GC log lines "Pause ... 30M->20M(49M)": the base is what the full GC before the export left;
        # the peak is the most the heap held before any collection during the export (garbage
        # included), "after" what survived one.
        read -r heap_growth old_growth young_gcs < <(awk -v mark="$gc_mark" '
            NR <= mark && /Pause Full/ { if (match($0, /->[0-9]+M/)) base = substr($0, RSTART + 2, RLENGTH - 3) + 0 }
            NR > mark && match($0, /[0-9]+M->[0-9]+M/) { split(substr($0, RSTART, RLENGTH), v, /M->|M/);
                if (v[1] + 0 > peak) peak = v[1] + 0; if (v[2] + 0 > after) after = v[2] + 0; n++ }
            END { printf "%d %d %d\n", peak - base, after - base, n }' "$WORK/service-gc.log")
        complete="$lines lines for $EXPORT_ROWS rows"
        if [[ $http_code != 200 ]]; then
            complete="**HTTP $http_code**"
        elif (( lines != EXPORT_ROWS + 1 )); then
            complete="**$complete**"
        fi
        add p3 ""
        add p3 "| CSV export of $EXPORT_ROWS rows | Result | Target | |"
        add p3 "|---|---:|---:|---|"
        add p3 "| Time | $(fmt "$export_s") s | ≤ 5 s (1,000,000 rows) | $(verdict "$export_s <= 5") (other load ${FOREIGN}% CPU) |"
        add p3 "| Peak heap growth (heap used before a collection, garbage included, over the used heap after a full GC; GC log) | $heap_growth MiB | ≤ 32 MiB | $(verdict "$heap_growth <= 32") |"
        add p3 "| Most that survived a collection, over the same base ($young_gcs collections during the export) | $old_growth MiB | | |"
        add p3 "| Size, rows | $(( $(stat -c %s "$WORK/export.csv") / 1048576 )) MiB, $complete | | |"
        rm -f "$WORK/export.csv"
        log "  export: HTTP $http_code, ${export_s}s, heap +${heap_growth} MiB (old gen +${old_growth} MiB), $lines lines"
    fi
fi

# --- part 2: audited migrations --------------------------------------------------------------
# pgbench first, at each concurrency, while the service's connection pool is still small: pgbench
# needs one connection per client and PostgreSQL's default max_connections is 100.
free_connection_slots() {
    psql -XAtc "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
        - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
}
if has_part 2; then
    log "part 2: audited migrations and reversals"
    # Two baselines: audit-chained.sql sends the service's own SQL (the target's "same statements");
    # audit-unchained.sql only the operation row, to show what the hash chain costs the database.
    declare -A PGB PGU
    for c in 1 16 64; do
        if (( $(free_connection_slots) <= c )); then
            PGB[$c]="- - - -" PGU[$c]="-"
            log "  pgbench c=$c skipped: only $(free_connection_slots) PostgreSQL connection slots free"
            continue
        fi
        for script in audit-chained audit-unchained; do
            rm -f "$WORK"/pgbench_log*
            foreign_begin
            { time pgbench -n -M prepared -c "$c" -j "$(( c < 2 ? 1 : 2 ))" -T "$DURATION" -l \
                --log-prefix="$WORK/pgbench_log" -f "$HERE/pgbench/$script.sql" >"$WORK/pgbench-$script-c$c.txt" 2>&1; } \
                2>"$WORK/pgbench.time" || die "pgbench failed, see $WORK/pgbench-$script-c$c.txt"
            foreign_end "$DURATION" "$WORK/pgbench.time"
            grep -q '^number of failed transactions: 0 ' "$WORK/pgbench-$script-c$c.txt" \
                || die "pgbench had failed transactions, see $WORK/pgbench-$script-c$c.txt"
            tps=$(awk '/^tps/ { printf "%.0f", $3 }' "$WORK/pgbench-$script-c$c.txt")
            log "  pgbench $script c=$c: $tps tx/s, p50/p99 $(percentiles_ms "$WORK"/pgbench_log*) ms"
            if [[ $script == audit-chained ]]; then
                PGB[$c]="$tps $(percentiles_ms "$WORK"/pgbench_log*) $FOREIGN"
            else
                PGU[$c]=$tps
            fi
        done
    done
    add p2 "| Concurrency | Service ops/s | p50 (ms) | p99 (ms) | Service CPU per op (µs) | Audited (intent + outcome committed) | pgbench, same SQL: tx/s | p50 (ms) | p99 (ms) | Service / pgbench same SQL | pgbench without the chain: tx/s | Service / pgbench without chain | Other load (% CPU) service / pgbench |"
    add p2 "|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"
    RUN_ID="b$(date +%s)"
    run_wrk 16 "$(( WARMUP / 2 ))" "$SERVICE" "${AUTH[@]}" -s "$HERE/wrk/operations.lua" -- mixed "${RUN_ID}w"
    declare -A R2
    for c in 1 16 64; do
        before=$(cpu_ticks "$SERVICE_PID")
        run_wrk "$c" "$DURATION" "$SERVICE" "${AUTH[@]}" -s "$HERE/wrk/operations.lua" -- mixed "$RUN_ID-c$c"
        cpu=$(cpu_us_per_request "$before" "$(cpu_ticks "$SERVICE_PID")" "$REQUESTS")
        sleep 1
        read -r rows done_rows < <(psql -XAt -F' ' -c "SELECT count(*), count(*) FILTER (WHERE state = 'COMPLETE'
            AND completed_at IS NOT NULL) FROM operation WHERE datasource_id LIKE '$RUN_ID-c$c-%'")
        # Each answered request must have its row, complete; wrk may stop with up to c requests in flight.
        if (( ERRORS == 0 && rows == done_rows && rows >= REQUESTS && rows <= REQUESTS + c )); then
            audited="all $rows"
        else
            audited="**$done_rows of $rows rows complete, $REQUESTS answered, $ERRORS errors**"
        fi
        read -r tps p50 p99 foreign_pgbench <<<"${PGB[$c]}"
        ratio=$(awk -v s="$RPS" -v p="$tps" 'BEGIN { if (p + 0 > 0) printf "%.0f%%", 100 * s / p; else printf "-" }')
        R2[$c]=${ratio%\%}
        ratio_unchained=$(awk -v s="$RPS" -v p="${PGU[$c]}" 'BEGIN { if (p + 0 > 0) printf "%.0f%%", 100 * s / p; else printf "-" }')
        add p2 "| $c | $RPS | $P50 | $P99 | $cpu | $audited | $tps | $p50 | $p99 | $ratio | ${PGU[$c]} | $ratio_unchained | $FOREIGN / $foreign_pgbench |"
        log "  c=$c: service $RPS ops/s (p99 $P99 ms, CPU $cpu µs/op, $audited), pgbench $tps tx/s"
    done
    add p2 ""
    add p2 "| Target | Measured | Result |"
    add p2 "|---|---:|---|"
    add p2 "| Service ≥ 80% of pgbench's transactions/s (same SQL) at concurrency 16 | ${R2[16]}% | $(verdict "${R2[16]/-/0} >= 80") |"
fi

# --- part 4b: the loaded service's start-up and memory ---------------------------------------
MAIN_RSS_AFTER=$(rss_mib "$SERVICE_PID")
MAIN_HWM=$(hwm_mib "$SERVICE_PID")
stop_service
add p4b "| Measure | Result | Target | |"
add p4b "|---|---:|---:|---|"
add p4b "| Start to first 200 (launch of \`java\` to an authenticated GET answered) | $MAIN_STARTUP_MS ms | ≤ 1,500 ms | $(verdict "$MAIN_STARTUP_MS <= 1500") (other load ${MAIN_STARTUP_FOREIGN}% CPU) |"
add p4b "| RSS idle (2 s after the first answer) | $MAIN_RSS_IDLE MiB | ≤ 256 MiB | $(verdict "$MAIN_RSS_IDLE <= 256") |"
add p4b "| RSS after the load of parts $PARTS | $MAIN_RSS_AFTER MiB | ≤ 256 MiB | $(verdict "$MAIN_RSS_AFTER <= 256") |"
add p4b "| Peak RSS (VmHWM) over the whole run | $MAIN_HWM MiB | | |"

# --- report ----------------------------------------------------------------------------------
{
    echo "# domo-migration-proxy benchmark results"
    echo
    echo "- Date: $(date -u +%Y-%m-%dT%H:%M:%SZ); $( $QUICK && echo '**quick run** (short, not for publishing)' || echo 'full run')"
    echo "- Machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM; $(uname -sr)"
    echo "- CPU busy before the run (other processes, incl. other containers): ${BUSY}%. *Other load* columns: share of both cores used by anything but the benchmark's processes during the step; during start-ups the harness's own polling (curl every 50 ms) shows there as about 12%"
    echo "- Service JVM: $("$JAVA" -version 2>&1 | sed -n 2p); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2); nginx $(nginx -v 2>&1 | cut -d/ -f2); PostgreSQL $PG_VERSION ($PG_SETTINGS)"
    echo "- Service JVM options: \`${SERVICE_JAVA_OPTS//$AOT_CACHE/app.aot}\`; load steps of ${DURATION} s with wrk (2 threads) on 127.0.0.1, everything on the same machine"
    if has_part 1; then echo; echo "## 1. Proxy overhead on GET candidates"; echo; printf '%s' "${SECTION[p1]}"; fi
    if has_part 2; then echo; echo "## 2. Audited migrations (mixed migrate/reverse, instant upstream)"; echo; printf '%s' "${SECTION[p2]}"; fi
    if has_part 3; then echo; echo "## 3. Audit queries at scale"; echo; printf '%s' "${SECTION[p3]}"; fi
    echo; echo "## 4. Start-up and memory"; echo; printf '%s' "${SECTION[p4b]}"
    if has_part 4; then echo; echo "Start-up levers ($STARTS start(s) each, database already migrated):"; echo; printf '%s' "${SECTION[p4]}"; fi
} | tee "$RESULTS"
log "results written to $RESULTS"
