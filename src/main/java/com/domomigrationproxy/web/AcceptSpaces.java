package com.domomigrationproxy.web;

import java.util.List;
import java.util.regex.Pattern;

import jakarta.ws.rs.core.HttpHeaders;

import io.vertx.core.http.HttpServerRequest;

/**
 * RFC 9110 lets whitespace stand before a media range's parameters ({@code application/json ; q=1}).
 * Quarkus REST reads it as part of the subtype and answers 406 to a client that asked for JSON, so
 * the Accept header goes on without it. No library normalises a header in place; this is one scan
 * of a short value, and a copy only for the rare header that needs one.
 */
final class AcceptSpaces {

    private static final Pattern BEFORE_PARAMETER = Pattern.compile("[ \t]+;");

    private AcceptSpaces() {
    }

    static void remove(HttpServerRequest request) {
        String first = request.getHeader(HttpHeaders.ACCEPT);
        if (first == null || !spaceBeforeParameter(first)) {
            return;
        }
        List<String> all = request.headers().getAll(HttpHeaders.ACCEPT);
        request.headers().set(HttpHeaders.ACCEPT,
                all.stream().map(value -> BEFORE_PARAMETER.matcher(value).replaceAll(";")).toList());
    }

    private static boolean spaceBeforeParameter(String value) {
        for (int i = value.indexOf(';'); i > 0; i = value.indexOf(';', i + 1)) {
            char before = value.charAt(i - 1);
            if (before == ' ' || before == '\t') {
                return true;
            }
        }
        return false;
    }
}
