package com.domomigrationproxy.web;

import java.io.IOException;
import java.io.PushbackInputStream;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

/**
 * JSON is UTF-8 (RFC 8259), and a body is refused when it announces another charset
 * ({@link DeclaredBodyType}). Jackson also recognises UTF-16 and UTF-32 by a body's first bytes,
 * and would read one that announces none: such a body is refused the same way. No UTF-8 JSON text
 * has a zero byte, and a UTF-16 one has one in its first four bytes or starts with its byte order
 * mark.
 */
@Provider
public class Utf8Json implements ReaderInterceptor {

    private static final int HEAD = 4;

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        if (context.getMediaType() == null || !context.getMediaType().isCompatible(MediaType.APPLICATION_JSON_TYPE)) {
            return context.proceed();
        }
        PushbackInputStream body = new PushbackInputStream(context.getInputStream(), HEAD);
        byte[] head = body.readNBytes(HEAD);
        if (notUtf8(head)) {
            throw new ProblemException(415, ProblemType.UNSUPPORTED_MEDIA_TYPE,
                    "Send the body as application/json in UTF-8: it reads as UTF-16 or UTF-32");
        }
        body.unread(head);
        context.setInputStream(body);
        return context.proceed();
    }

    private static boolean notUtf8(byte[] head) {
        if (head.length >= 2 && (head[0] == (byte) 0xFE && head[1] == (byte) 0xFF
                || head[0] == (byte) 0xFF && head[1] == (byte) 0xFE)) {
            return true;
        }
        for (byte b : head) {
            if (b == 0) {
                return true;
            }
        }
        return false;
    }
}
