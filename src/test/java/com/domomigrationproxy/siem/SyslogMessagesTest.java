package com.domomigrationproxy.siem;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.ChainEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** RFC 5424 messages, octet-counted (RFC 6587), with the event as JSON. */
class SyslogMessagesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void eachFrameIsItsLengthInBytesASpaceAndAnRfc5424Message() throws Exception {
        UUID operation = UUID.randomUUID();
        ChainEvent intent = new ChainEvent(41, "INTENT", operation, null, Instant.parse("2026-11-28T10:15:29.870123Z"),
                "0".repeat(64), "b".repeat(64), "{\"event\":\"INTENT\",\"table\":\"Orders é 東京\"}");
        ChainEvent access = new ChainEvent(42, "A_VERY_LONG_EVENT_TYPE_NAME_BEYOND_THIRTY_TWO", null, "auditor one",
                Instant.parse("2026-11-28T10:15:30Z"), "b".repeat(64), "c".repeat(64), "{\"event\":\"X\"}");
        SyslogMessages messages = new SyslogMessages("domo-migration-proxy", "pod 7", "domo-migration-proxy", JSON);

        byte[] frames = messages.frames(List.of(intent, access));
        String text = new String(frames, StandardCharsets.UTF_8);
        int space = text.indexOf(' ');
        int length = Integer.parseInt(text.substring(0, space));
        byte[] first = java.util.Arrays.copyOfRange(frames, space + 1, space + 1 + length);
        String message = new String(first, StandardCharsets.UTF_8);
        assertThat(message).startsWith("<109>1 2026-11-28T10:15:29.870123Z pod_7 domo-migration-proxy - INTENT - {");
        JsonNode body = JSON.readTree(message.substring(message.indexOf('{')));
        assertThat(body.get("seq").asLong()).isEqualTo(41);
        assertThat(body.get("hash").asText()).isEqualTo("b".repeat(64));
        assertThat(body.get("operationId").asText()).isEqualTo(operation.toString());
        assertThat(body.get("payload").asText()).isEqualTo(intent.payload());
        assertThat(body.get("origin").asText()).isEqualTo("domo-migration-proxy");

        String rest = new String(java.util.Arrays.copyOfRange(frames, space + 1 + length, frames.length),
                StandardCharsets.UTF_8);
        String second = rest.substring(rest.indexOf(' ') + 1);
        assertThat(Integer.parseInt(rest.substring(0, rest.indexOf(' '))))
                .isEqualTo(second.getBytes(StandardCharsets.UTF_8).length);
        assertThat(second).startsWith("<109>1 2026-11-28T10:15:30Z pod_7 domo-migration-proxy - "
                + "A_VERY_LONG_EVENT_TYPE_NAME_BEYO - {");
        assertThat(JSON.readTree(second.substring(second.indexOf('{'))).get("subject").asText()).isEqualTo("auditor one");
    }
}
