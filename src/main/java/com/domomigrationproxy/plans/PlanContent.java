package com.domomigrationproxy.plans;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

import com.domomigrationproxy.ledger.Direction;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;

/**
 * What a plan is: its settings and items, validated. It never changes once stored; any change is
 * a new plan. Its content hash is the SHA-256 (lowercase hex) of the UTF-8 bytes of its canonical
 * JSON:
 *
 * <pre>{"direction":"V1_TO_V2","items":[{"accountId":"2","catalog":"c","datasourceId":"d","schema":"s","table":"t"}],"maxConcurrency":4,"name":"Wave 1"}</pre>
 *
 * members sorted by name, no whitespace, items in upload order, a reversal's items with
 * {@code datasourceId} alone, strings escaped as JSON requires ({@code "} and {@code \}) and
 * nothing else (non-ASCII characters as themselves). docs/plans.md has a worked example.
 */
record PlanContent(String name, Direction direction, int maxConcurrency, List<PlanItemSpec> items, List<Integer> lines) {

    /** A plan that came as JSON (or from the service itself): its items have no lines. */
    PlanContent(String name, Direction direction, int maxConcurrency, List<PlanItemSpec> items) {
        this(name, direction, maxConcurrency, items, null);
    }

    /**
     * The line of the uploaded CSV each item came from (from 1, the header), for the errors that
     * name an item after the upload was read (out of scope); null for JSON. Not part of what the
     * plan is: neither stored nor hashed.
     */
    Integer line(int item) {
        return lines == null ? null : lines.get(item);
    }

    /**
     * Jackson writes a character outside the Basic Multilingual Plane (an emoji) to UTF-8 bytes as a
     * JSON escape of its two UTF-16 halves unless told to combine them: as itself, as documented.
     */
    private static final JsonFactory CANONICAL = JsonFactory.builder()
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build();
    /** How plans created before that was mended were hashed; they hash the same without such a character. */
    private static final JsonFactory ESCAPED_SURROGATES = new JsonFactory();

    String canonicalJson() {
        StringWriter text = new StringWriter();
        try (JsonGenerator out = CANONICAL.createGenerator(text)) {
            write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    /**
     * Written straight into the digest: built as one string first, the canonical JSON of a large
     * plan (with its items as maps) took more than the chart's heap had left (security review).
     */
    String contentHash() {
        return contentHash(CANONICAL);
    }

    /** The hash a plan created before astral characters were written as themselves was given. */
    String contentHashWithEscapedSurrogates() {
        return contentHash(ESCAPED_SURROGATES);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JVM has SHA-256", e);
        }
    }

    private String contentHash(JsonFactory json) {
        MessageDigest sha256 = sha256();
        try (JsonGenerator out = json.createGenerator(new DigestOutputStream(OutputStream.nullOutputStream(),
                sha256), JsonEncoding.UTF8)) {
            write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return HexFormat.of().formatHex(sha256.digest());
    }

    /**
     * The SHA-256 (lowercase hex) of the direction and the items alone, sorted, as
     * {@code {"direction":"V1_TO_V2","items":[…]}} with each item written as in the canonical JSON:
     * the same for a plan uploaded again under another name, with another maxConcurrency or its
     * rows in another order. Not what an approval names (that is {@link #contentHash}); what finds
     * the earlier rejections of the same items.
     */
    String itemsHash() {
        List<String> written = new ArrayList<>(items.size());
        for (PlanItemSpec item : items) {
            StringWriter text = new StringWriter();
            try (JsonGenerator out = CANONICAL.createGenerator(text)) {
                writeItem(out, item);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            written.add(text.toString());
        }
        Collections.sort(written);
        MessageDigest sha256 = sha256();
        sha256.update(("{\"direction\":\"" + direction.name() + "\",\"items\":[").getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < written.size(); i++) {
            sha256.update(((i == 0 ? "" : ",") + written.get(i)).getBytes(StandardCharsets.UTF_8));
        }
        sha256.update("]}".getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(sha256.digest());
    }

    /** Members sorted by name, items in upload order. */
    private void write(JsonGenerator out) throws IOException {
        out.writeStartObject();
        out.writeStringField("direction", direction.name());
        out.writeArrayFieldStart("items");
        for (PlanItemSpec item : items) {
            writeItem(out, item);
        }
        out.writeEndArray();
        out.writeNumberField("maxConcurrency", maxConcurrency);
        out.writeStringField("name", name);
        out.writeEndObject();
    }

    /** An item's members sorted by name; a reversal's item is its datasourceId alone. */
    private void writeItem(JsonGenerator out, PlanItemSpec item) throws IOException {
        out.writeStartObject();
        if (direction == Direction.V1_TO_V2) {
            out.writeStringField("accountId", item.accountId());
            out.writeStringField("catalog", item.catalog());
            out.writeStringField("datasourceId", item.datasourceId());
            out.writeStringField("schema", item.schema());
            out.writeStringField("table", item.table());
        } else {
            out.writeStringField("datasourceId", item.datasourceId());
        }
        out.writeEndObject();
    }
}
