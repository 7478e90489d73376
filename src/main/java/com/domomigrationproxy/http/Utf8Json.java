package com.domomigrationproxy.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PushbackInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;

import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * JSON is UTF-8 (RFC 8259), and a body is refused when it announces another charset
 * ({@link DeclaredBodyType}). Jackson also recognises UTF-16 and UTF-32 by a body's first bytes,
 * and would read one that announces none: such a body is refused the same way. No UTF-8 JSON text
 * has a zero byte, and a UTF-16 one has one in its first four bytes or starts with its byte order
 * mark. A JSON body must be well-formed UTF-8 throughout, or it is a 400.
 */
@Provider
public class Utf8Json implements ReaderInterceptor {

    private static final int HEAD = 4;

    private final CallerSecrets secrets;

    Utf8Json(CallerSecrets secrets) {
        this.secrets = secrets;
    }

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
        if (JsonNode.class.isAssignableFrom(context.getType())) {
            // A JSON body of the API (64 KiB at most, in memory already): Jackson decodes overlong UTF-8
            // ("\xC0\xAF" for '/') as if it were the character, so that what was sent and what the audit
            // trail records differ; Java's decoder refuses it, as every other malformed sequence.
            byte[] whole = body.readAllBytes();
            requireUtf8(whole, "The request body");
            context.setInputStream(new ByteArrayInputStream(whole));
            // Every member name and string, before any rule of the request could quote one in its errors.
            Object read = context.proceed();
            List<Problem.FieldError> carried = secrets.inJson((JsonNode) read);
            if (!carried.isEmpty()) {
                throw CallerSecrets.refusal(carried);
            }
            return read;
        } else {
            context.setInputStream(body);
        }
        return context.proceed();
    }

    /** 400 unless the bytes are well-formed UTF-8 (no overlong forms, surrogates or stray bytes). */
    public static void requireUtf8(byte[] bytes, String what) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            throw new ProblemException(400, ProblemType.INVALID_REQUEST, what + " is not valid UTF-8");
        }
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
