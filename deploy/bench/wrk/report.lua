-- Loaded by the other wrk scripts (and usable alone for plain GETs): prints one machine-readable
-- line that run.sh parses. Latencies in microseconds. Non-2xx/3xx answers count as errors: a
-- benchmark of failing requests measures nothing.
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "WRK_RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.0f"
         .. " non2xx=%d socket_errors=%d\n",
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
      e.status, e.connect + e.read + e.write + e.timeout))
end
