# shellcheck shell=bash
# Sourced by the benchmarks: the local PostgreSQL as its superuser, and a fresh database per run.
# Needs PGPORT, and log and die from the script that sources it.

# psql as the superuser (BENCH_PG_ADMIN overrides the command), whatever PG* the caller exported.
pg_admin() {
    local clean=(env -u PGHOST -u PGUSER -u PGPASSWORD -u PGDATABASE)
    if [[ -n ${BENCH_PG_ADMIN:-} ]]; then
        "${clean[@]}" $BENCH_PG_ADMIN -X -q -v ON_ERROR_STOP=1 "$@"
    elif [[ $(id -u) -eq 0 ]]; then
        "${clean[@]}" runuser -u postgres -- psql -p "$PGPORT" -d postgres -X -q -v ON_ERROR_STOP=1 "$@"
    else
        "${clean[@]}" sudo -u postgres psql -p "$PGPORT" -d postgres -X -q -v ON_ERROR_STOP=1 "$@"
    fi
}

# The cluster fresh_database started, if it did: stop_started_cluster stops it again on exit, so
# that a benchmark leaves the machine's PostgreSQL as it found it.
STARTED_CLUSTER=""

# Starts the local cluster on PGPORT if it is down, then drops and recreates database $1, owned by
# the login role domo_bench (password domo_bench).
fresh_database() {
    local database=$1 cluster
    if ! pg_isready -q -h 127.0.0.1 -p "$PGPORT"; then
        cluster=$(pg_lsclusters -h 2>/dev/null | awk -v p="$PGPORT" '$3 == p { print $1, $2; exit }')
        [[ -n $cluster ]] || die "no PostgreSQL on 127.0.0.1:$PGPORT and no cluster to start (pg_lsclusters)"
        log "starting PostgreSQL cluster $cluster"
        pg_ctlcluster $cluster start
        STARTED_CLUSTER=$cluster
        for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 -p "$PGPORT" && break; sleep 0.2; done
    fi
    pg_admin >/dev/null <<SQL
DROP DATABASE IF EXISTS $database;
DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'domo_bench') THEN
        CREATE ROLE domo_bench LOGIN PASSWORD 'domo_bench';
    END IF;
END \$\$;
CREATE DATABASE $database OWNER domo_bench;
SQL
}

stop_started_cluster() {
    if [[ -n $STARTED_CLUSTER ]]; then
        log "stopping PostgreSQL cluster $STARTED_CLUSTER, which this run started"
        pg_ctlcluster $STARTED_CLUSTER stop || true
        STARTED_CLUSTER=""
    fi
}
