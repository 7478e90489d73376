# shellcheck shell=bash
# Sourced by the benchmarks: the JVM and the flags the container image and the Helm chart run the
# service with (docs/deploying.md), so that what is measured is what ships. JDK 25 (BENCH_JAVA_HOME,
# by default Temurin 25); the build and the tests also run on the default JDK 17 (release 17).
BENCH_JAVA_HOME=${BENCH_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA=$BENCH_JAVA_HOME/bin/java JCMD=$BENCH_JAVA_HOME/bin/jcmd
# Stops the benchmark unless that JVM is 25: RUN_FLAGS' compact object headers and the AOT cache
# need it, and a benchmark of another JVM measures something that does not ship. Debian 12 packages
# no JDK 25, so this installs nothing: install Temurin 25 (adoptium.net) or point BENCH_JAVA_HOME at a JDK 25.
require_jdk25() {
    local version
    version=$("$JAVA" -version 2>&1 | head -1) || version="no java at $JAVA"
    [[ $version == *'version "25'* ]] && return 0
    printf 'ERROR: the benchmarks run the service on JDK 25 (BENCH_JAVA_HOME=%s): %s\n' "$BENCH_JAVA_HOME" \
        "$version" >&2
    exit 1
}
# C2 alone (-XX:-TieredCompilation, no C1): the same CPU per request as tiered compilation once
# warm, and 20 to 40 MiB less resident (no C1 code with its profiling, no recompilation of code C2
# replaces); compact object headers (8 bytes less per object), the serial collector and a heap of
# 51 MiB (the chart's 10% of 512 MiB, about twice what is live under load), a 32 MiB code cache,
# malloc's freed memory given back every 5 s and two malloc arenas (MALLOC_ARENA_MAX, set where the
# service starts) hold the resident size down (docs/performance.md, eighth round).
# IMAGE_FLAGS are what the image's run-java.sh adds in front of its JAVA_OPTS_APPEND whatever the
# Dockerfile sets (ubi9/openjdk-25-runtime's java-default-options: its collector settings, with the
# heap's free ratios that the Dockerfile sets back to the JVM's own 40/70, and the exit on
# OutOfMemoryError), and the Dockerfile's logging manager; the heap is -Xms51m -Xmx51m here (the
# image's 10% of a 512 MiB limit, from the start) since no container limit bounds the benchmark,
# and the service listens on 127.0.0.1, not the image's 0.0.0.0. HelmChartTest holds RUN_FLAGS to the
# Dockerfile's and the chart's settings, rendered as run-java.sh renders them.
# CACHE_FLAGS must be the same when an AOT cache is trained and when it is used: the JVM ignores a
# cache made with other object headers or another collector, and a cache made with tiered
# compilation only partly fits a JVM without it.
CACHE_FLAGS="-XX:+UseCompactObjectHeaders -XX:+UseSerialGC -XX:-TieredCompilation"
IMAGE_FLAGS="-XX:MinHeapFreeRatio=40 -XX:MaxHeapFreeRatio=70 -XX:GCTimeRatio=4 -XX:AdaptiveSizePolicyWeight=90 -XX:+ExitOnOutOfMemoryError -Djava.util.logging.manager=org.jboss.logmanager.LogManager"
RUN_FLAGS="$CACHE_FLAGS -Xms51m -Xmx51m -XX:ReservedCodeCacheSize=32m -XX:TrimNativeHeapInterval=5000 $IMAGE_FLAGS"
