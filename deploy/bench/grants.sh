#!/usr/bin/env bash
# Benchmark of reading an operation's grant (docs/performance.md, twenty-sixth round): every row read
# of an operation, and of each event about it, parses its caller's scopes, so a wide grant (a
# caller scoped to 1,348 data sources stores 52 KiB with every row) costs every whole-chain read
# (integrity check, exports, the audit stream) that much per row. A benchmark, not a test: nothing
# here runs in ./mvnw verify.
#
#   deploy/bench/grants.sh              build, then 5 s per grant size (10, 100, 1,348, 10,000 data sources)
#   deploy/bench/grants.sh --no-build   reuse target/quarkus-app
#
# Options: --seconds N (per size, after 2 s of warm-up). It runs deploy/bench/grants/GrantReads.java
# (Java's source launcher) on JDK 25 with the flags the image runs (lib/jvm.sh) against the built
# application's classes; no database, no network. Results: a Markdown table on stdout and in
# target/bench/grants.md.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/target/bench
# shellcheck source=lib/jvm.sh
. "$HERE/lib/jvm.sh"

BUILD=true SECONDS_EACH=5
while [[ $# -gt 0 ]]; do
    case $1 in
        --no-build) BUILD=false ;;
        --seconds) SECONDS_EACH=$2; shift ;;
        -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

require_jdk25
mkdir -p "$OUT"
if $BUILD; then
    echo "building: ./mvnw -B package -DskipTests -Dspectral.skip (log: $OUT/grants-build.log)" >&2
    (cd "$ROOT" && ./mvnw -B package -DskipTests -Dspectral.skip >"$OUT/grants-build.log" 2>&1) \
        || { echo "ERROR: the build failed, see $OUT/grants-build.log" >&2; exit 1; }
fi
APP=$ROOT/target/quarkus-app
[[ -d $APP/app && -d $APP/lib/main ]] || { echo "ERROR: $APP is missing: build first (without --no-build)" >&2; exit 1; }

# The serial collector and 51 MiB heap of the image, C2 alone: the JVM the service runs on.
# shellcheck disable=SC2086
"$JAVA" $CACHE_FLAGS -Xms51m -Xmx51m -cp "$APP/app/*:$APP/lib/main/*" "$HERE/grants/GrantReads.java" \
    "$SECONDS_EACH" | tee "$OUT/grants.md"
