package com.domomigrationproxy.domo;

/** What came back from Domo (or the sandbox) before any interpretation. */
public record DomoAnswer(int status, String retryAfter, byte[] body) {

    public static DomoAnswer ok(byte[] body) {
        return new DomoAnswer(200, null, body);
    }
}
