import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import com.domomigrationproxy.security.Scopes;

/**
 * What reading one operation row's grant costs (deploy/bench/grants.sh): every row read of an
 * operation, and of every event about it, parses its caller's scopes from their stored canonical
 * JSON, and the whole-chain readers (integrity check, exports, the audit stream) do it for every
 * row. Prints, per grant size, the microseconds of one read and the megabytes read per second.
 */
public final class GrantReads {

    public static void main(String[] args) {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int[] sizes = { 10, 100, 1_348, 10_000 };
        Random random = new Random(42);
        System.out.println("| Data sources in the grant | Canonical JSON | One read (µs) | MB/s |");
        System.out.println("|---:|---:|---:|---:|");
        for (int size : sizes) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                ids.add(new UUID(random.nextLong(), random.nextLong()).toString());
            }
            String json = new Scopes(null, null, ids).toJson();
            // Warm-up (C2 compiles the path), then as many reads as fit in the measured seconds.
            Run warmUp = run(json, System.nanoTime() + 2_000_000_000L);
            Run measured = run(json, System.nanoTime() + seconds * 1_000_000_000L);
            double micros = measured.nanos() / 1_000.0 / measured.reads();
            // The entries read, printed so that the JIT cannot drop the reads as unused.
            System.out.printf("| %,d | %,d B | %.1f | %.0f |%n", size, json.length(), micros,
                    json.length() / micros);
            System.err.printf("%,d entries read%n", warmUp.entries() + measured.entries());
        }
    }

    /** How many reads, the entries they read, and the nanoseconds they took. */
    private record Run(long reads, long entries, long nanos) {
    }

    /** Reads until the deadline. */
    private static Run run(String json, long deadline) {
        long reads = 0;
        long entries = 0;
        long start = System.nanoTime();
        long now;
        do {
            for (int i = 0; i < 100; i++) {
                entries += Scopes.fromJson(json).datasources().size();
            }
            reads += 100;
            now = System.nanoTime();
        } while (now < deadline);
        return new Run(reads, entries, now - start);
    }

    private GrantReads() {
    }
}
