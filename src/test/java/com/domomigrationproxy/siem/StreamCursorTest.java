package com.domomigrationproxy.siem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.OperationRows;
import com.domomigrationproxy.support.PostgresAdmin;

import io.quarkus.test.junit.QuarkusTest;

/**
 * Across replicas one delivers at a time: while the running service holds the stream's lease,
 * another replica cannot take it; once the holder stops renewing, another takes over, and the
 * service takes it back when that one lets go.
 */
@QuarkusTest
class StreamCursorTest {

    @Inject
    DataSource dataSource;

    @Test
    void oneReplicaHoldsTheLeaseAndAnotherTakesOverWhenItLapses() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> holder() != null);
        String service = holder();
        StreamCursor other = new StreamCursor(dataSource, "other-replica");
        assertThat(other.lease(Duration.ofSeconds(30))).as("held by the running service").isEmpty();

        // The holder stops renewing (as if it died): its lease runs out.
        PostgresAdmin.tamper("UPDATE audit_stream_cursor SET lease_until = now() - interval '1 second' WHERE id = 1");
        assertThat(other.lease(Duration.ofSeconds(30))).as("taken over").isPresent();
        assertThat(holder()).isEqualTo("other-replica");
        assertThat(other.advance(new StreamCursor.Position(cursorSeq(), cursorHash()), Duration.ofSeconds(30))).isTrue();

        other.release();
        await().atMost(Duration.ofSeconds(30)).until(() -> service.equals(holder()));
        assertThat(other.advance(new StreamCursor.Position(cursorSeq(), cursorHash()), Duration.ofSeconds(30)))
                .as("a replica that lost the lease cannot move the cursor").isFalse();
    }

    private String holder() {
        return (String) row().get("holder");
    }

    private long cursorSeq() {
        return ((Number) row().get("seq")).longValue();
    }

    private String cursorHash() {
        return (String) row().get("hash");
    }

    private Map<String, Object> row() {
        List<Map<String, Object>> rows = OperationRows.query(dataSource, "SELECT * FROM audit_stream_cursor WHERE id = 1");
        return rows.get(0);
    }
}
