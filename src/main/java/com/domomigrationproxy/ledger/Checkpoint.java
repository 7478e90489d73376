package com.domomigrationproxy.ledger;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A signed checkpoint: "the chain of {@code origin} had {@code hash} at {@code seq}". The signed
 * text, in the style of C2SP tlog-checkpoint, is five lines, each ended by a line feed, UTF-8:
 *
 * <pre>
 * &lt;origin&gt;
 * &lt;seq, decimal&gt;
 * &lt;hash at seq, 64 lowercase hex digits&gt;
 * issued-at &lt;ISO-8601 UTC instant, milliseconds at most&gt;
 * key-id &lt;16 lowercase hex digits&gt;
 * </pre>
 *
 * The signature is Ed25519 over exactly those bytes, base64 (RFC 4648, padded). The text is what
 * counts: the other fields repeat it for readers and must agree with it.
 */
@Schema(name = "Checkpoint", description = "A signed statement of the hash chain's hash at a sequence number")
public record Checkpoint(
        @Schema(description = "Names the trail (PROXY_AUDIT_ORIGIN)", required = true,
                examples = "domo-migration-proxy") String origin,
        @Schema(description = "The last chain event covered (0: the empty chain)", required = true, minimum = "0")
        long seq,
        @Schema(description = "The chain's hash at seq", required = true, pattern = "^[0-9a-f]{64}$") String hash,
        @Schema(description = "When the checkpoint was signed", required = true) Instant issuedAt,
        @Schema(description = "Id of the signing key: first 16 hex digits of sha256 of its SubjectPublicKeyInfo DER",
                required = true, pattern = "^[0-9a-f]{16}$") String keyId,
        @Schema(description = "The canonical signed text (docs/audit.md)", required = true) String text,
        @Schema(description = "Base64 Ed25519 signature over the UTF-8 bytes of text", required = true)
        String signature) {

    private static final Pattern TEXT = Pattern.compile(
            "([^\\n]+)\\n(0|[1-9][0-9]{0,18})\\n([0-9a-f]{64})\\nissued-at ([^\\n]+)\\nkey-id ([0-9a-f]{16})\\n");

    /** The fields of a signed text. */
    record Fields(String origin, long seq, String hash, Instant issuedAt, String keyId) {
    }

    static String text(String origin, long seq, String hash, Instant issuedAt, String keyId) {
        return origin + "\n" + seq + "\n" + hash + "\nissued-at " + issuedAt + "\nkey-id " + keyId + "\n";
    }

    /** The fields of a text in the canonical form, or empty when it is not in that form. */
    static Optional<Fields> parse(String text) {
        Matcher matcher = TEXT.matcher(text);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        try {
            Instant issuedAt = Instant.parse(matcher.group(4));
            if (!issuedAt.toString().equals(matcher.group(4))) {
                return Optional.empty();
            }
            return Optional.of(new Fields(matcher.group(1), Long.parseLong(matcher.group(2)), matcher.group(3),
                    issuedAt, matcher.group(5)));
        } catch (DateTimeParseException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Whether the readers' fields repeat the signed text exactly. */
    boolean agreesWithText() {
        return parse(text).map(fields -> fields.equals(new Fields(origin, seq, hash, issuedAt, keyId))).orElse(false);
    }

    /** The members of the CHECKPOINT event that records this checkpoint in the chain. */
    Map<String, Object> eventMembers() {
        Map<String, Object> members = new LinkedHashMap<>();
        members.put("origin", origin);
        members.put("seq", seq);
        members.put("hash", hash);
        members.put("issuedAt", issuedAt.toString());
        members.put("keyId", keyId);
        members.put("text", text);
        members.put("signature", signature);
        return members;
    }
}
