package com.domomigrationproxy.audit;

import java.time.Duration;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.StreamingOutput;

import com.domomigrationproxy.ledger.EventQuery;
import com.domomigrationproxy.ledger.Ledger;
import com.domomigrationproxy.ledger.OperationQuery;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.problem.BusyGate;
import com.domomigrationproxy.problem.SettingProblems;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;

import io.quarkus.runtime.StartupEvent;

/**
 * The audit trail's exports as response bodies, for the audit API and the console alike: each
 * takes one of this replica's export turns ({@link ExportConfig#atOnce()}) and is recorded as an
 * {@link AuditedAccess} when it starts and when it ends.
 */
@ApplicationScoped
public class AuditExports {

    private final OperationStore operations;
    private final Ledger ledger;
    private final ObjectWriter jsonLines;
    private final BusyGate turns;
    private final Duration writeTimeout;

    @Inject
    AuditExports(OperationStore operations, Ledger ledger, ObjectMapper json, ExportConfig config) {
        this.operations = operations;
        this.ledger = ledger;
        this.jsonLines = OperationExport.jsonLines(json);
        // Each export holds a thread, a database connection in a transaction and a megabyte or two of
        // rows read ahead for as long as its client takes to read it: 20 slow readers exhausted the
        // chart's heap (security review).
        this.turns = new BusyGate(Math.max(1, config.atOnce()), Duration.ofSeconds(10),
                config.atOnce() + " audit exports are already running on this replica", 10);
        this.writeTimeout = config.writeTimeout();
    }

    /** Refuses to start with no export allowed, or a write timeout that is not positive. */
    void onStart(@Observes StartupEvent event, ExportConfig config) {
        SettingProblems.refuseStart(problems(config));
    }

    static List<String> problems(ExportConfig config) {
        return new SettingProblems().atLeast("PROXY_AUDIT_EXPORT_AT_ONCE", config.atOnce(), 1, null)
                .positive("PROXY_AUDIT_EXPORT_WRITE_TIMEOUT", config.writeTimeout()).list();
    }

    /** The operations matching the query, as CSV or NDJSON ({@code mediaType}). */
    public StreamingOutput operations(String mediaType, OperationQuery query) {
        return new AuditedExport((out, written) -> OperationExport.writeOperations(mediaType, out, jsonLines,
                operations, query, written), turns, writeTimeout);
    }

    /** The chain's events matching the query, as NDJSON. */
    public StreamingOutput events(EventQuery query) {
        return new AuditedExport((out, written) -> OperationExport.writeEvents(out, jsonLines,
                sink -> ledger.streamEvents(query, sink), written), turns, writeTimeout);
    }
}
