package com.domomigrationproxy.siem;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jboss.logging.Logger;

import com.domomigrationproxy.ledger.ChainEvent;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Chain events as RFC 5424 syslog messages with a JSON body, framed by octet counting (RFC 6587,
 * 3.4.1): {@code <109>1 TIMESTAMP HOSTNAME APP-NAME - MSGID - {json}}, preceded by the message's
 * length in bytes and a space. Facility 13 (log audit), severity 5 (notice); TIMESTAMP is when the
 * event was recorded; MSGID its type. The body is one JSON object, UTF-8 without a BOM, holding the
 * event as the NDJSON export writes it plus {@code origin}: {@code seq} and {@code hash} let a SIEM
 * drop the duplicates that at-least-once delivery may send.
 */
final class SyslogMessages {

    static final int PRIORITY = 13 * 8 + 5;
    /** The message size receivers are asked to take (docs/operations.md); a larger one is named in the log. */
    static final int RECEIVER_LIMIT = 64 * 1024;
    private static final Logger LOG = Logger.getLogger(SyslogMessages.class);
    private static final int MSGID_LENGTH = 32;
    private static final int APP_NAME_LENGTH = 48;
    private static final int HOSTNAME_LENGTH = 255;

    private final String origin;
    private final String hostname;
    private final String appName;
    private final ObjectMapper json;

    SyslogMessages(String origin, String hostname, String appName, ObjectMapper json) {
        this.origin = origin;
        this.hostname = header(hostname, HOSTNAME_LENGTH);
        this.appName = header(appName, APP_NAME_LENGTH);
        this.json = json;
    }

    /** The frames of these events, one after the other, ready to write. */
    byte[] frames(List<ChainEvent> events) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(events.size() * 1024);
        for (ChainEvent event : events) {
            byte[] message = message(event);
            if (message.length > RECEIVER_LIMIT) {
                // A caller's scopes are repeated in its INTENT and PLAN_CREATED events, and have no size limit.
                LOG.warnf("Audit event seq %d (%s) is a syslog message of %d bytes: a receiver that takes 64 KiB"
                        + " would cut it; raise its maximum message size (docs/operations.md)", event.seq(),
                        event.type(), message.length);
            }
            out.writeBytes((message.length + " ").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(message);
        }
        return out.toByteArray();
    }

    byte[] message(ChainEvent event) {
        String header = "<" + PRIORITY + ">1 " + event.recordedAt().truncatedTo(ChronoUnit.MICROS) + " " + hostname + " "
                + appName + " - " + header(event.type(), MSGID_LENGTH) + " - ";
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("origin", origin);
        body.put("seq", event.seq());
        body.put("type", event.type());
        if (event.operationId() != null) {
            body.put("operationId", event.operationId().toString());
        }
        if (event.subject() != null) {
            body.put("subject", event.subject());
        }
        body.put("recordedAt", event.recordedAt().toString());
        body.put("prevHash", event.prevHash());
        body.put("hash", event.hash());
        body.put("payload", event.payload());
        try {
            byte[] head = header.getBytes(StandardCharsets.US_ASCII);
            byte[] content = json.writeValueAsBytes(body);
            byte[] message = new byte[head.length + content.length];
            System.arraycopy(head, 0, message, 0, head.length);
            System.arraycopy(content, 0, message, head.length, content.length);
            return message;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A chain event is plain JSON", e);
        }
    }

    /** A header field: printable US-ASCII without spaces, bounded; "-" when nothing is left. */
    static String header(String value, int maxLength) {
        StringBuilder field = new StringBuilder();
        for (int i = 0; value != null && i < value.length() && field.length() < maxLength; i++) {
            char c = value.charAt(i);
            field.append(c > 32 && c < 127 ? c : '_');
        }
        return field.length() == 0 ? "-" : field.toString();
    }
}
