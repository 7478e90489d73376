package com.domomigrationproxy.domo;

import java.util.Map;
import java.util.UUID;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

/**
 * Domo gave no usable result. Carries the problem the caller gets and what the audit trail needs:
 * whether Domo may have received the request, Domo's HTTP status, toe and message.
 */
public class DomoCallException extends ProblemException {

    private final boolean mayHaveReachedDomo;
    private final Integer upstreamStatus;
    private final String domoToe;
    private final boolean acceptedWithoutResult;
    private final boolean cutOff;

    DomoCallException(int status, ProblemType type, String detail, Throwable cause, boolean mayHaveReachedDomo,
            Integer upstreamStatus, String domoToe, Map<String, String> headers) {
        this(status, type, detail, cause, mayHaveReachedDomo, upstreamStatus, domoToe,
                ProblemException.Extensions.domoToe(domoToe), headers, false, false);
    }

    private DomoCallException(int status, ProblemType type, String detail, Throwable cause,
            boolean mayHaveReachedDomo, Integer upstreamStatus, String domoToe, Extensions extensions,
            Map<String, String> headers, boolean acceptedWithoutResult, boolean cutOff) {
        super(status, type, detail, cause, extensions, headers);
        this.mayHaveReachedDomo = mayHaveReachedDomo;
        this.upstreamStatus = upstreamStatus;
        this.domoToe = domoToe;
        this.acceptedWithoutResult = acceptedWithoutResult;
        this.cutOff = cutOff;
    }

    /**
     * Domo took the request (a success status) but gave no result this service can read: no body,
     * JSON that is not valid or names no state it knows ({@code RUNNING}, none at all, an array), or
     * an answer that may have been cut off (no declared length, ended with the connection, not JSON):
     * it may still be at work, so the outcome is unknown, not failed.
     */
    static DomoCallException acceptedWithoutResult(int upstreamStatus, String detail, String domoToe) {
        return new DomoCallException(502, ProblemType.DOMO_UNAVAILABLE, detail, null, true, upstreamStatus, domoToe,
                ProblemException.Extensions.domoToe(domoToe), Map.of(), true, false);
    }

    /**
     * An answer cut off (the connection broke, or it was longer than the service reads): what Domo did
     * is in the part not read, so the outcome is unknown, with the status the answer began with when it
     * came before the cut (recorded: Domo did answer), else none.
     */
    static DomoCallException cutOff(ProblemType type, String detail, Throwable cause, Integer upstreamStatus) {
        return new DomoCallException(502, type, detail, cause, true, upstreamStatus, null,
                ProblemException.Extensions.domoToe(null), Map.of(), false, true);
    }

    /**
     * The exchange broke, or was cut off, after it began: a connection failure whatever status the
     * answer began with (the circuit breaker counts it, and its status turned nobody away).
     */
    public boolean cutOff() {
        return cutOff;
    }

    /** The same failure, about the Operation recorded for it: still telling whether Domo may have received it. */
    @Override
    public DomoCallException withOperationId(UUID operationId) {
        Extensions about = extensions();
        return new DomoCallException(status(), type(), getMessage(), getCause(), mayHaveReachedDomo, upstreamStatus,
                domoToe, new Extensions(operationId, about.domoToe(), about.runningOperationId(), about.errors()),
                headers(), acceptedWithoutResult, cutOff);
    }

    /** False only when the request certainly never left this service (no token, connection refused). */
    public boolean mayHaveReachedDomo() {
        return mayHaveReachedDomo;
    }

    /**
     * True when the request may have reached Domo but no answer of Domo's came: the deadline passed,
     * the connection broke, or a gateway in front of Domo answered that it got none in time (Domo may
     * have carried the request out, or may still be at it). The outcome is unknown,
     * not failed: the data source stays locked until the operation is reconciled.
     */
    public boolean outcomeUnknown() {
        return mayHaveReachedDomo && (upstreamStatus == null || fromAGatewayWithoutDomosAnswer(upstreamStatus)
                || acceptedWithoutResult || cutOff);
    }

    /**
     * A gateway's answer that it passed the request on and got no usable answer from Domo in time, which
     * may have acted all the same: 502 and 504, and the CDN and proxy codes for the same (Cloudflare's
     * 520, an unknown answer, and 524, a timeout; 598, a network read timeout). A gateway's 521 to 523
     * and 599 (a connect timeout) say it never reached Domo: {@link #gatewayNeverReachedDomo}.
     */
    public static boolean fromAGatewayWithoutDomosAnswer(int status) {
        return status == 502 || status == 504 || status == 520 || status == 524 || status == 598;
    }

    /** A CDN's or proxy's answer that it could not reach Domo at all (521 to 523, 599): nothing was sent on. */
    static boolean gatewayNeverReachedDomo(int status) {
        return (status >= 521 && status <= 523) || status == 599;
    }

    /** Domo's HTTP status, or null when no answer came. */
    public Integer upstreamStatus() {
        return upstreamStatus;
    }

    public String domoToe() {
        return domoToe;
    }
}
