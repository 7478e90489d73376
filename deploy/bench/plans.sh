#!/usr/bin/env bash
# Plan benchmark of domo-migration-proxy (docs/performance.md, "Plans"). A benchmark, not a test:
# nothing here runs in ./mvnw verify.
#
#   deploy/bench/plans.sh              build, then: plan creation + preflight of 10,000 items over 100
#                                      accounts (3 times), and one 10,000-item plan run at maxConcurrency 8
#                                      against an upstream that answers each migration in 200 ms
#   deploy/bench/plans.sh --no-build   reuse target/quarkus-app
#   deploy/bench/plans.sh --plans 20   the run is twenty plans side by side, each over its own 5 of
#                                      the accounts, started back to back: more plans than the
#                                      replica's 16 slots, so the slots go round between plans
#
# Options: --items N (10000), --accounts N (100), --delay SECONDS (0.2), --concurrency N (8, each
# plan's maxConcurrency), --creations N (3), --plans N (1), --slots N (16, the service's
# PROXY_PLAN_REPLICA_CONCURRENCY). BENCH_JAVA_OPTS sets the service's JVM options (default: what the image runs,
# lib/jvm.sh, without its AOT cache). Results: a Markdown table on stdout and in
# target/bench/plans-results.md; logs in target/bench/plans-work/.
#
# It needs JDK 25 (lib/jvm.sh), curl, python3 (the Domo stand-in, deploy/bench/plans/upstream.py), psql and a
# local PostgreSQL, as deploy/bench/run.sh does (run as root on Debian/Ubuntu it starts the local
# cluster). The PostgreSQL role "domo_bench" and the database "domo_bench_plans" are created (the
# database is dropped and created anew on every run). All traffic stays on 127.0.0.1; everything
# it starts is stopped on exit.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/target/bench
WORK=$OUT/plans-work
RESULTS=$OUT/plans-results.md

HTTP_PORT=${BENCH_HTTP_PORT:-18080}
MGMT_PORT=${BENCH_MGMT_PORT:-19000}
UPSTREAM_PORT=${BENCH_UPSTREAM_PORT:-18083}
export PGHOST=127.0.0.1 PGPORT=${BENCH_PGPORT:-5432} PGUSER=domo_bench PGPASSWORD=domo_bench PGDATABASE=domo_bench_plans
# Local benchmark credentials, never used anywhere else.
OPERATOR_KEY=bench-plans-operator-local-only
APPROVER_KEY=bench-plans-approver-local-only
DOMO_TOKEN=bench-domo-token-local-only

BUILD=true ITEMS=10000 ACCOUNTS=100 DELAY=0.2 CONCURRENCY=8 CREATIONS=3 PLANS=1 SLOTS=16
while [[ $# -gt 0 ]]; do
    case $1 in
        --no-build) BUILD=false ;;
        --items) ITEMS=$2; shift ;;
        --accounts) ACCOUNTS=$2; shift ;;
        --delay) DELAY=$2; shift ;;
        --concurrency) CONCURRENCY=$2; shift ;;
        --creations) CREATIONS=$2; shift ;;
        --plans) PLANS=$2; shift ;;
        --slots) SLOTS=$2; shift ;;
        -h | --help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
(( ITEMS % ACCOUNTS == 0 )) || { echo "--items must be a multiple of --accounts" >&2; exit 2; }
(( PLANS >= 1 && ACCOUNTS % PLANS == 0 )) || { echo "--accounts must be a multiple of --plans" >&2; exit 2; }
PER_ACCOUNT=$(( ITEMS / ACCOUNTS ))
# shellcheck source=lib/jvm.sh
source "$HERE/lib/jvm.sh"
# shellcheck source=lib/postgres.sh
source "$HERE/lib/postgres.sh"
JAVA_OPTS=${BENCH_JAVA_OPTS:-$RUN_FLAGS}

log() { printf '[plans-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
json() { python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

require_jdk25
for tool in curl python3 psql pg_isready awk; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (see deploy/bench/run.sh for the Debian packages)"
done

# --- processes this script starts, and only those, are stopped on exit ------------------------
STARTED_PIDS=()
cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${STARTED_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    stop_started_cluster # the PostgreSQL cluster, if this run started it
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() {
    local pid total=0
    for pid in "$@"; do
        [[ -r /proc/$pid/stat ]] && total=$(( total + $(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat") ))
    done
    echo "$total"
}
machine_busy_ticks() { awk 'NR == 1 { for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6; exit }' /proc/stat; }

mkdir -p "$OUT" "$WORK"
rm -f "$WORK"/*.log "$WORK"/*.json
if $BUILD; then
    log "building: ./mvnw -B package -DskipTests -Dspectral.skip (log: $OUT/plans-build.log)"
    (cd "$ROOT" && ./mvnw -B package -DskipTests -Dspectral.skip >"$OUT/plans-build.log" 2>&1) \
        || die "build failed, see $OUT/plans-build.log"
fi
[[ -f $ROOT/target/quarkus-app/quarkus-run.jar ]] || die "no target/quarkus-app/quarkus-run.jar; run without --no-build"

fresh_database domo_bench_plans
PG_VERSION=$(psql -XAtc 'SHOW server_version' | cut -d' ' -f1)

log "upstream: $ACCOUNTS accounts x $PER_ACCOUNT candidates, migrations answered after ${DELAY}s (127.0.0.1:$UPSTREAM_PORT)"
python3 "$HERE/plans/upstream.py" "$UPSTREAM_PORT" "$DOMO_TOKEN" "$DELAY" "$ACCOUNTS" "$PER_ACCOUNT" \
    >"$WORK/upstream.log" 2>&1 &
UPSTREAM_PID=$!
STARTED_PIDS+=("$UPSTREAM_PID")

sha() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
printf '[{"name":"bench-operator","sha256":"%s","roles":["reader","operator"]},{"name":"bench-approver","sha256":"%s","roles":["approver"]}]\n' \
    "$(sha "$OPERATOR_KEY")" "$(sha "$APPROVER_KEY")" >"$WORK/api-keys.json"

log "starting the service: $JAVA $JAVA_OPTS"
# shellcheck disable=SC2086
env QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://127.0.0.1:$PGPORT/$PGDATABASE" \
    QUARKUS_DATASOURCE_USERNAME="$PGUSER" QUARKUS_DATASOURCE_PASSWORD="$PGPASSWORD" \
    DOMO_BASE_URL="http://127.0.0.1:$UPSTREAM_PORT" DOMO_DEVELOPER_TOKEN="$DOMO_TOKEN" \
    PROXY_API_KEYS_FILE="$WORK/api-keys.json" PROXY_PLAN_REPLICA_CONCURRENCY="$SLOTS" QUARKUS_HTTP_PORT="$HTTP_PORT" QUARKUS_MANAGEMENT_PORT="$MGMT_PORT" \
    QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_MANAGEMENT_HOST=127.0.0.1 \
    MALLOC_ARENA_MAX=2 "$JAVA" $JAVA_OPTS -jar "$ROOT/target/quarkus-app/quarkus-run.jar" >"$WORK/service.log" 2>&1 &
SERVICE_PID=$!
STARTED_PIDS+=("$SERVICE_PID")
SERVICE=http://127.0.0.1:$HTTP_PORT
for _ in $(seq 900); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $OPERATOR_KEY" "$SERVICE/api/v1/plans?limit=1" || true) == 200 ]] && break
    kill -0 "$SERVICE_PID" 2>/dev/null || die "the service exited during start-up, see $WORK/service.log"
    sleep 0.2
done

# --- the plan: ITEMS migrations spread over ACCOUNTS accounts ---------------------------------
# estate FIRST LAST: the CSV of every candidate of accounts FIRST..LAST (the stand-in's names).
estate() {
    awk -v first="$1" -v last="$2" -v per="$PER_ACCOUNT" 'BEGIN {
        print "datasourceId,accountId,catalog,schema,table"
        for (a = first; a <= last; a++) for (n = 1; n <= per; n++)
            printf "bench-%03d-%04d,bench-%03d,estate,account_%03d,table_%04d\n", a, n, a, a, n }'
}
estate 0 $(( ACCOUNTS - 1 )) >"$WORK/plan.csv"

# create FILE NAME EXPECTED_READY: a plan from the CSV, in CREATED_ID, CREATED_HASH and CREATED_S (seconds).
create() {
    local code ready
    read -r code CREATED_S < <(curl -s -o "$WORK/created.json" -w '%{http_code} %{time_total}\n' \
        -H "X-API-Key: $OPERATOR_KEY" -H 'Content-Type: text/csv' --data-binary "@$1" \
        "$SERVICE/api/v1/plans?name=$2&maxConcurrency=$CONCURRENCY")
    [[ $code == 201 ]] || die "creation answered $code: $(head -c 500 "$WORK/created.json")"
    ready=$(json "$WORK/created.json" 'd["counts"]["READY"]')
    [[ $ready == "$3" ]] || die "the preflight found $ready of $3 items READY"
    CREATED_ID=$(json "$WORK/created.json" 'd["planId"]') CREATED_HASH=$(json "$WORK/created.json" 'd["contentHash"]')
}

log "creation + preflight of $ITEMS items over $ACCOUNTS accounts, $CREATIONS time(s)"
declare -a CREATE_S=()
PLAN_ID= HASH=
for i in $(seq "$CREATIONS"); do
    create "$WORK/plan.csv" "bench-$i" "$ITEMS"
    PLAN_ID=$CREATED_ID HASH=$CREATED_HASH CREATE_S+=("$CREATED_S")
    log "  $CREATED_S s (plan $PLAN_ID)"
done
CREATE_MEDIAN=$(printf '%s\n' "${CREATE_S[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')

# --- the run: the last plan created, or PLANS plans, each over its own share of the accounts ----
RUN_IDS=("$PLAN_ID") RUN_HASHES=("$HASH")
if (( PLANS > 1 )); then
    RUN_IDS=() RUN_HASHES=()
    share=$(( ACCOUNTS / PLANS ))
    for p in $(seq 0 $(( PLANS - 1 ))); do
        estate $(( p * share )) $(( (p + 1) * share - 1 )) >"$WORK/plan-$p.csv"
        create "$WORK/plan-$p.csv" "bench-run-$p" $(( ITEMS / PLANS ))
        RUN_IDS+=("$CREATED_ID") RUN_HASHES+=("$CREATED_HASH")
    done
fi
SLOTS_USED=$(( PLANS * CONCURRENCY < SLOTS ? PLANS * CONCURRENCY : SLOTS ))
log "running $PLANS plan(s) of $(( ITEMS / PLANS )) items, maxConcurrency $CONCURRENCY each, $SLOTS slots, ${DELAY}s per migration"
for i in "${!RUN_IDS[@]}"; do
    curl -sf -o /dev/null -H "X-API-Key: $APPROVER_KEY" -H 'Content-Type: application/json' \
        -d "{\"decision\":\"APPROVE\",\"contentHash\":\"${RUN_HASHES[$i]}\"}" \
        "$SERVICE/api/v1/plans/${RUN_IDS[$i]}/approvals" || die "approval failed"
done
service0=$(cpu_ticks "$SERVICE_PID") pg0=$(cpu_ticks $(pgrep -u postgres)) up0=$(cpu_ticks "$UPSTREAM_PID")
machine0=$(machine_busy_ticks) wall0=$(date +%s)
for id in "${RUN_IDS[@]}"; do
    curl -sf -o /dev/null -X POST -H "X-API-Key: $OPERATOR_KEY" "$SERVICE/api/v1/plans/$id/start" || die "start failed"
done
while :; do
    for i in "${!RUN_IDS[@]}"; do
        curl -sf -o "$WORK/plan-$i.json" -H "X-API-Key: $OPERATOR_KEY" "$SERVICE/api/v1/plans/${RUN_IDS[$i]}" \
            || die "plan unreadable"
    done
    read -r finished complete < <(python3 -c 'import json, sys
plans = [json.load(open(f)) for f in sys.argv[1:]]
print(sum(p["state"] == "FINISHED" for p in plans), sum(p["counts"]["COMPLETE"] for p in plans))' "$WORK"/plan-[0-9]*.json)
    (( finished == ${#RUN_IDS[@]} )) && break
    (( $(date +%s) - wall0 < 3600 )) || die "not finished after an hour: $complete complete"
    log "  $complete complete, $finished of ${#RUN_IDS[@]} plan(s) finished"
    sleep 10
done
service1=$(cpu_ticks "$SERVICE_PID") pg1=$(cpu_ticks $(pgrep -u postgres)) up1=$(cpu_ticks "$UPSTREAM_PID")
machine1=$(machine_busy_ticks) wall1=$(date +%s)
# From the first start to the last finish, over every plan of the run.
read -r COMPLETE RUN_S < <(python3 -c 'import json, sys
from datetime import datetime
plans = [json.load(open(f)) for f in sys.argv[1:]]
at = lambda p, k: datetime.fromisoformat(p[k].replace("Z", "+00:00"))
print(sum(p["counts"]["COMPLETE"] for p in plans),
      (max(at(p, "finishedAt") for p in plans) - min(at(p, "startedAt") for p in plans)).total_seconds())' \
    "$WORK"/plan-[0-9]*.json)
IDEAL_S=$(awk -v n="$ITEMS" -v d="$DELAY" -v c="$SLOTS_USED" 'BEGIN { printf "%.0f", n * d / c }')
per_item() { awk -v t="$1" -v n="$ITEMS" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t * 1000 / hz / n }'; }
SERVICE_MS=$(per_item $(( service1 - service0 ))) PG_MS=$(per_item $(( pg1 - pg0 ))) UP_MS=$(per_item $(( up1 - up0 )))
OTHER=$(awk -v m="$(( machine1 - machine0 ))" -v b="$(( service1 - service0 + pg1 - pg0 + up1 - up0 ))" \
    -v s="$(( wall1 - wall0 ))" -v hz="$CLK_TCK" -v cores="$(nproc)" \
    'BEGIN { f = (m - b) / (cores * s * hz) * 100; printf "%.0f", (f < 0 ? 0 : f) }')
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "**missed**"; fi; }

{
    echo "Plans benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'): $(nproc) vCPUs, PostgreSQL $PG_VERSION, $("$JAVA" -version 2>&1 | sed -n 2p), $JAVA_OPTS"
    echo
    echo "| Measure | Result | Target | Result |"
    echo "|---|---:|---:|---|"
    echo "| Creation + preflight of $ITEMS items over $ACCOUNTS accounts (median of ${CREATIONS}: ${CREATE_S[*]} s) | ${CREATE_MEDIAN} s | < 5 s | $(verdict "$CREATE_MEDIAN < 5") |"
    echo "| $ITEMS items in $PLANS plan(s), maxConcurrency $CONCURRENCY each, $SLOTS slots, ${DELAY} s per migration: first start to last finish | $(printf '%.1f' "$RUN_S") s | ≤ $(awk -v i="$IDEAL_S" 'BEGIN { printf "%.0f", i * 1.1 }') s (ideal $IDEAL_S s + 10%) | $(verdict "$RUN_S <= $IDEAL_S * 1.1") |"
    echo "| Items COMPLETE | $COMPLETE | $ITEMS | $(verdict "$COMPLETE == $ITEMS") |"
    echo "| Service CPU per item | $SERVICE_MS ms | | |"
    echo "| PostgreSQL CPU per item | $PG_MS ms | | |"
    echo "| Upstream (Python stand-in) CPU per item | $UP_MS ms | | |"
    echo "| Other load on the machine during the run | ${OTHER}% of all cores | | |"
} | tee "$RESULTS"
