#!/usr/bin/env bash
# Benchmark of the console (docs/performance.md, "Console"): the history page of 50 rows, with
# filters, over an audit trail of a million operations, as a signed-in auditor asks for it; and the
# bytes of a page's first load. A benchmark, not a test: nothing here runs in ./mvnw verify.
#
#   deploy/bench/console.sh             about 4 minutes on 2 cores (build included)
#   deploy/bench/console.sh --quick     100,000 rows, short runs
#
# Options: --no-build (reuse target/quarkus-app), --rows N, --duration SECONDS (per load step).
# Results: a Markdown table on stdout and in target/bench/console.md; logs in target/bench/console/.
#
# It needs JDK 25 (lib/jvm.sh), curl, hey, wrk, nginx, openssl, python3, psql and a local PostgreSQL (as
# run.sh does); run as root on Debian/Ubuntu it installs what is missing with apt-get. The person
# signs in through the real authorization-code flow, against nginx answering as a provider with an
# ID token this script signs (nginx/oidc.conf). All load goes to 127.0.0.1, each load step is
# bounded by -z/-d, and everything it starts is stopped on exit. The database "domo_bench_console"
# (role "domo_bench") is dropped and created anew on every run.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/target/bench
WORK=$OUT/console
RESULTS=$OUT/console.md

HTTP_PORT=${BENCH_CONSOLE_HTTP_PORT:-18180}
MGMT_PORT=${BENCH_CONSOLE_MGMT_PORT:-19100}
OIDC_PORT=${BENCH_CONSOLE_OIDC_PORT:-18183}
export PGHOST=127.0.0.1 PGPORT=${BENCH_PGPORT:-5432} PGUSER=domo_bench PGPASSWORD=domo_bench PGDATABASE=domo_bench_console
# Local benchmark credentials, never used anywhere else.
CLIENT_ID=bench-console
CLIENT_SECRET=bench-console-client-secret-local-only-0123456789
PERSON=bench-auditor

BUILD=true ROWS=1000000 DURATION=10 WARMUP=20
while [[ $# -gt 0 ]]; do
    case $1 in
        --quick) ROWS=100000 DURATION=3 WARMUP=6 ;;
        --no-build) BUILD=false ;;
        --rows) ROWS=$2; shift ;;
        --duration) DURATION=$2; shift ;;
        -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

log() { printf '[console bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- prerequisites -----------------------------------------------------------------------------
package_for() {
    case $1 in
        psql) echo postgresql-client ;;
        pg_isready | pg_ctlcluster) echo postgresql ;;
        xxd) echo xxd ;;
        *) echo "$1" ;;
    esac
}
missing=() packages=()
for tool in curl hey wrk nginx openssl python3 psql pg_isready xxd; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    for tool in "${missing[@]}"; do packages+=("$(package_for "$tool")"); done
    [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null || die "install first: ${packages[*]}"
    log "installing ${packages[*]}"
    mkdir -p "$OUT"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}"; } \
        >"$OUT/console-apt.log" 2>&1 || die "apt-get failed, see $OUT/console-apt.log"
fi
for port in "$HTTP_PORT" "$MGMT_PORT" "$OIDC_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        die "port $port is in use; stop what listens there or set BENCH_CONSOLE_*_PORT"
    fi
done

# --- what this script starts, and only that, is stopped on exit ----------------------------------
# shellcheck source=lib/postgres.sh
source "$HERE/lib/postgres.sh"
SERVICE_PID=
cleanup() {
    if [[ -n $SERVICE_PID ]]; then
        kill "$SERVICE_PID" 2>/dev/null || true
        wait "$SERVICE_PID" 2>/dev/null || true
    fi
    if [[ -s $WORK/oidc.pid ]]; then
        kill "$(cat "$WORK/oidc.pid")" 2>/dev/null || true
    fi
    stop_started_cluster # the PostgreSQL cluster, if this run started it
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/tmp"
rm -f "$WORK"/*.log "$WORK"/*.pid "$WORK"/cookies.txt

if $BUILD; then
    log "building: ./mvnw -B package -DskipTests -Dspectral.skip (log: $WORK/build.log)"
    (cd "$ROOT" && ./mvnw -B package -DskipTests -Dspectral.skip >"$WORK/build.log" 2>&1) \
        || die "build failed, see $WORK/build.log"
fi
[[ -f $ROOT/target/quarkus-app/quarkus-run.jar ]] || die "no target/quarkus-app/quarkus-run.jar; run without --no-build"

# --- PostgreSQL: a fresh database, as run.sh makes its own (lib/postgres.sh, sourced above) ------
# shellcheck source=lib/jvm.sh
source "$HERE/lib/jvm.sh"
require_jdk25
fresh_database domo_bench_console

# --- the provider: nginx answering with a key set and an ID token signed for this run ------------
b64url() { python3 -c 'import base64,sys; print(base64.urlsafe_b64encode(sys.stdin.buffer.read()).decode().rstrip("="))'; }
openssl genrsa -out "$WORK/oidc-key.pem" 2048 2>/dev/null
ISSUER=http://127.0.0.1:$OIDC_PORT
MODULUS=$(openssl rsa -in "$WORK/oidc-key.pem" -noout -modulus | cut -d= -f2 | xxd -r -p | b64url)
NOW=$(date +%s)
HEADER=$(printf '{"alg":"RS256","typ":"JWT","kid":"bench"}' | b64url)
CLAIMS=$(printf '{"iss":"%s","aud":"%s","sub":"%s","upn":"%s","groups":["auditor"],"iat":%d,"exp":%d}' \
    "$ISSUER" "$CLIENT_ID" "$PERSON" "$PERSON" "$NOW" $((NOW + 4 * 3600)) | b64url)
SIGNATURE=$(printf '%s.%s' "$HEADER" "$CLAIMS" | openssl dgst -sha256 -sign "$WORK/oidc-key.pem" -binary | b64url)
ID_TOKEN=$HEADER.$CLAIMS.$SIGNATURE
DISCOVERY="{\"issuer\":\"$ISSUER\",\"authorization_endpoint\":\"$ISSUER/authorize\",\"token_endpoint\":\"$ISSUER/token\",\"jwks_uri\":\"$ISSUER/keys\",\"response_types_supported\":[\"code\"],\"subject_types_supported\":[\"public\"],\"id_token_signing_alg_values_supported\":[\"RS256\"]}"
JWKS="{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"bench\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\"$MODULUS\",\"e\":\"AQAB\"}]}"
TOKEN_ANSWER="{\"access_token\":\"bench-access-token\",\"token_type\":\"Bearer\",\"expires_in\":14400,\"id_token\":\"$ID_TOKEN\"}"
sed -e "s#__OIDC_PORT__#$OIDC_PORT#g" -e "s#__DISCOVERY__#$DISCOVERY#" -e "s#__JWKS__#$JWKS#" \
    -e "s#__TOKEN_ANSWER__#$TOKEN_ANSWER#" "$HERE/nginx/oidc.conf" >"$WORK/oidc.conf"
nginx -p "$WORK" -c "$WORK/oidc.conf" -e "$WORK/oidc-error.log" || die "nginx did not start, see $WORK/oidc-error.log"

# --- the service, with its console on ------------------------------------------------------------
log "starting the service (console on, provider $ISSUER)"
env QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://127.0.0.1:$PGPORT/$PGDATABASE" \
    QUARKUS_DATASOURCE_USERNAME="$PGUSER" QUARKUS_DATASOURCE_PASSWORD="$PGPASSWORD" \
    DOMO_SANDBOX_ENABLED=true QUARKUS_HTTP_PORT="$HTTP_PORT" QUARKUS_MANAGEMENT_PORT="$MGMT_PORT" \
    QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_MANAGEMENT_HOST=127.0.0.1 \
    PROXY_CONSOLE_ENABLED=true PROXY_CONSOLE_SECURE_COOKIES=false `# plain HTTP on loopback` \
    QUARKUS_OIDC_AUTH_SERVER_URL="$ISSUER" QUARKUS_OIDC_CLIENT_ID="$CLIENT_ID" \
    QUARKUS_OIDC_CREDENTIALS_SECRET="$CLIENT_SECRET" \
    MALLOC_ARENA_MAX=2 "$JAVA" ${BENCH_JAVA_OPTS:-$RUN_FLAGS} -jar "$ROOT/target/quarkus-app/quarkus-run.jar" >"$WORK/service.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 600); do
    curl -s -o /dev/null "http://127.0.0.1:$MGMT_PORT/q/health/ready" && break
    kill -0 "$SERVICE_PID" 2>/dev/null || die "the service exited, see $WORK/service.log"
    sleep 0.2
done
SERVICE=http://127.0.0.1:$HTTP_PORT

# --- sign in as a person does: the challenge, the provider's redirect back with a code -----------
JAR=$WORK/cookies.txt
location=$(curl -s -c "$JAR" -b "$JAR" -o /dev/null -w '%{redirect_url}' "$SERVICE/console/history")
[[ $location == "$ISSUER/authorize?"* ]] || die "no redirect to the provider: '$location'"
state=$(sed -E 's/.*[?&]state=([^&]+).*/\1/' <<<"$location")
code=$(curl -s -c "$JAR" -b "$JAR" -o "$WORK/sign-in.html" -w '%{http_code}' "$SERVICE/console/sign-in?code=bench&state=$state")
[[ $code == 200 ]] || die "sign-in answered $code, see $WORK/sign-in.html and $WORK/service.log"
SESSION=$(awk '$6 == "q_session" { print $7 }' "$JAR")
[[ -n $SESSION ]] || die "no session cookie after sign-in"
COOKIE="Cookie: q_session=$SESSION"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "$COOKIE" "$SERVICE/console/history")
[[ $code == 200 ]] || die "the history page answered $code to the signed-in auditor"
log "signed in as $PERSON"

# --- the audit trail: ROWS operations, as run.sh's part 3 seeds them ------------------------------
log "seeding $ROWS operations"
seed_started=$(date +%s)
psql -X -q -v rows="$ROWS" -f "$HERE/sql/seed-operations.sql" >"$WORK/seed.log" 2>&1 || die "seeding failed, see $WORK/seed.log"
TOTAL=$(psql -XAtc 'SELECT count(*) FROM operation')
log "seeded in $(( $(date +%s) - seed_started )) s; $TOTAL operations"

# --- the history page: 50 rows, with filters -------------------------------------------------------
QUERIES=(
    ""
    "datasourceId=ds-4242"
    "requestedBy=svc-7&from=2025-06-01T00:00:00Z&to=2025-06-08T00:00:00Z"
    "state=UNKNOWN"
)
log "warming up (${WARMUP}s)"
for q in "${QUERIES[@]}"; do
    hey -z "$(( WARMUP / ${#QUERIES[@]} + 1 ))s" -c 4 -H "$COOKIE" "$SERVICE/console/history?$q" >/dev/null
done

# The server's own time of each request: the access log's durationMs (JSON log lines).
server_p95() {
    python3 - "$WORK/service.log" "$1" <<'PY'
import json, sys
path, since = sys.argv[1], int(sys.argv[2])
times = []
with open(path, encoding="utf-8", errors="replace") as log:
    for number, line in enumerate(log):
        if number < since or '"loggerName":"access"' not in line:
            continue
        entry = json.loads(line)
        mdc = entry.get("mdc", {})
        if mdc.get("operation") == "console" and mdc.get("status") == "200":
            times.append(int(mdc["durationMs"]))
times.sort()
print("%d %d %d" % (len(times), times[int(len(times) * 0.50)] if times else -1, times[min(len(times) - 1, int(len(times) * 0.95))] if times else -1))
PY
}

{
    echo "| History page (50 rows) | Rows shown | Client p50 (ms) | Client p95 (ms) | Server p95 (ms) | Req/s at c=1 | Req/s at c=8 | Target: server p95 ≤ 50 ms |"
    echo "|---|---:|---:|---:|---:|---:|---:|---|"
} >"$RESULTS.tmp"
for q in "${QUERIES[@]}"; do
    url="$SERVICE/console/history?$q"
    rows=$(curl -s -H "$COOKIE" "$url" | grep -c '<td><time datetime' || true)
    since=$(wc -l <"$WORK/service.log")
    hey -z "${DURATION}s" -c 1 -H "$COOKIE" "$url" >"$WORK/hey.txt"
    read -r served server_p50 server_p95 < <(server_p95 "$since")
    p50=$(awk '/ 50% in/ { printf "%.1f", $3 * 1000 }' "$WORK/hey.txt")
    p95=$(awk '/ 95% in/ { printf "%.1f", $3 * 1000 }' "$WORK/hey.txt")
    rps1=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$WORK/hey.txt")
    non200=$(awk '/Status code distribution/ { on = 1; next } on && /\[/ && $1 != "[200]" { n += $2 } END { print n + 0 }' "$WORK/hey.txt")
    hey -z "$(( DURATION / 2 > 2 ? DURATION / 2 : 2 ))s" -c 8 -H "$COOKIE" "$url" >"$WORK/hey8.txt"
    rps8=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$WORK/hey8.txt")
    verdict=$(awk -v p="$server_p95" 'BEGIN { print (p >= 0 && p <= 50) ? "met" : "**missed**" }')
    (( non200 > 0 )) && verdict="$verdict ($non200 answers not 200)"
    echo "| \`${q:-(no filter)}\` | $rows | $p50 | $p95 | $server_p95 | $rps1 | $rps8 | $verdict |" >>"$RESULTS.tmp"
    log "  ${q:-(no filter)}: $rows rows, client p50 $p50 ms p95 $p95 ms, server p95 $server_p95 ms ($served requests), $rps1 req/s (c=1), $rps8 req/s (c=8)"
done

# --- a page's first load: the HTML and every stylesheet and script it names ------------------------
page_bytes=$(curl -s -H "$COOKIE" -o "$WORK/history.html" -w '%{size_download}' "$SERVICE/console/history")
total=$page_bytes
detail="HTML $page_bytes"
for asset in $(grep -oE '(href|src)="/[^"]+\.(css|js)"' "$WORK/history.html" | sed -E 's/.*="([^"]+)"/\1/'); do
    bytes=$(curl -s -H "$COOKIE" --compressed -o /dev/null -w '%{size_download}' "$SERVICE$asset")
    total=$(( total + bytes ))
    detail="$detail + $(basename "$asset") $bytes"
done
kb=$(awk -v b="$total" 'BEGIN { printf "%.1f", b / 1024 }')
{
    echo
    echo "First load of the history page: $kb KB ($detail bytes; no compression on). Target ≤ 150 KB: $(awk -v b="$total" 'BEGIN { print b <= 150 * 1024 ? "met" : "**missed**" }')."
    echo
    echo "$TOTAL operations; loopback; hey, ${DURATION} s per step after a ${WARMUP} s warm-up; server time from the access log's durationMs."
} >>"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"
cat "$RESULTS"
