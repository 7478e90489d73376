package com.domomigrationproxy.domo;

/**
 * What came back from Domo (or the sandbox) before any interpretation. {@code delimited}: the body's
 * end was declared (Content-Length, chunked, or none allowed), not merely the connection closing, so
 * a body that ends early is told apart from a whole one.
 */
public record DomoAnswer(int status, String retryAfter, byte[] body, boolean delimited) {

    public DomoAnswer(int status, String retryAfter, byte[] body) {
        this(status, retryAfter, body, true);
    }

    public static DomoAnswer ok(byte[] body) {
        return new DomoAnswer(200, null, body);
    }
}
