package com.domomigrationproxy.web;

import java.util.List;
import java.util.regex.Pattern;

import jakarta.ws.rs.core.HttpHeaders;

import io.vertx.core.http.HttpServerRequest;

/**
 * RFC 9110 lets whitespace stand before a media type's parameters ({@code application/json ; q=1},
 * {@code application/json ; charset=utf-8}). Quarkus REST reads it as part of the subtype: it
 * answered 406 to a client that asked for JSON, and 415 to one that sent JSON, so Accept and
 * Content-Type go on without it. No library normalises a header in place; this is one scan of a
 * short value, and a copy only for the rare header that needs one.
 */
final class MediaTypeSpaces {

    private static final Pattern BEFORE_PARAMETER = Pattern.compile("[ \t]+;");

    private MediaTypeSpaces() {
    }

    static void remove(HttpServerRequest request) {
        remove(request, HttpHeaders.ACCEPT);
        remove(request, HttpHeaders.CONTENT_TYPE);
    }

    private static void remove(HttpServerRequest request, String header) {
        // Every value: Accept may come on several lines, and Quarkus REST reads each (own-diff review).
        if (request.getHeader(header) == null) {
            return;
        }
        List<String> all = request.headers().getAll(header);
        if (all.stream().noneMatch(MediaTypeSpaces::spaceBeforeParameter)) {
            return;
        }
        request.headers().set(header, all.stream().map(value -> BEFORE_PARAMETER.matcher(value).replaceAll(";")).toList());
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
