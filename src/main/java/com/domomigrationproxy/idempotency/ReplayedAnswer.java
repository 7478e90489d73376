package com.domomigrationproxy.idempotency;

import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.annotation.JsonValue;

/** A stored answer sent again byte for byte, with the operation it is about. */
public record ReplayedAnswer(UUID operationId, @JsonValue @JsonRawValue String body) {
}
