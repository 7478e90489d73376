# shellcheck shell=bash
# Sourced by the benchmarks: the JVM and the flags the container image and the Helm chart run the
# service with (docs/deploying.md), so that what is measured is what ships. JDK 25 (BENCH_JAVA_HOME,
# by default Temurin 25); the build and the tests also run on the default JDK 17 (release 17).
BENCH_JAVA_HOME=${BENCH_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
if [[ -x $BENCH_JAVA_HOME/bin/java ]]; then
    JAVA=$BENCH_JAVA_HOME/bin/java JCMD=$BENCH_JAVA_HOME/bin/jcmd
else
    JAVA=java JCMD=jcmd
fi
# C2 (the JVM's default tiered compilation): half the CPU per request of C1 only. Compact object
# headers (8 bytes less per object), the serial collector and a heap of 51 MiB (the chart's 10% of
# 512 MiB, about twice what is live under load), a 32 MiB code cache, malloc's freed memory given
# back every 5 s and two malloc arenas (MALLOC_ARENA_MAX, set where the service starts) hold the
# resident size down with C2.
# HEAP_FLAGS must be the same when an AOT cache is trained and when it is used, or the JVM ignores it.
HEAP_FLAGS="-XX:+UseCompactObjectHeaders -XX:+UseSerialGC"
RUN_FLAGS="$HEAP_FLAGS -Xmx51m -XX:ReservedCodeCacheSize=32m -XX:TrimNativeHeapInterval=5000"
