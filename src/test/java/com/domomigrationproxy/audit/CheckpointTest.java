package com.domomigrationproxy.audit;

import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.ledger.Checkpoint;
import com.domomigrationproxy.ledger.Checkpoints;
import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.CheckpointKeyFiles;
import com.domomigrationproxy.support.DomoWireMock;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.PostgresAdmin;
import com.domomigrationproxy.support.Tokens;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** Signed checkpoints: signing, where they are kept, the public key, rotation and forgery. */
@QuarkusTest
class CheckpointTest {

    private static final String CHECKPOINTS = "/api/v1/audit/checkpoints";

    @InjectDomo
    WireMockServer domo;

    @BeforeEach
    void domoCompletesEverything() {
        DomoWireMock.completesEverything(domo, "T");
    }

    /**
     * A rolling update that changes PROXY_AUDIT_ORIGIN runs replicas of both origins side by side:
     * once one of the new origin has signed, a replica of the old one signs nothing (asked, a 503 that
     * another replica answers), since a checkpoint of the old origin after the new one's first would
     * fail the trail in the offline verifier for good (evidence review).
     */
    @Test
    void aReplicaOfAnOldOriginSignsNothingOnceOneOfANewOriginHasSigned() throws Exception {
        Api.asAuditor().post(CHECKPOINTS).then().statusCode(201);
        long seq = Long.parseLong(AuditIntegrityTest.first("SELECT seq FROM audit_chain_head"));
        String hash = AuditIntegrityTest.first("SELECT hash FROM audit_chain_head");
        Instant issuedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        String keyId = CheckpointKeyFiles.keyId(CheckpointKeyFiles.SIGNING_PUBLIC_KEY);
        String text = "renamed-proxy\n" + seq + "\n" + hash + "\nissued-at " + issuedAt + "\nkey-id " + keyId + "\n";
        Checkpoint renamed = new Checkpoint("renamed-proxy", seq, hash, issuedAt, keyId, text,
                CheckpointKeyFiles.sign(CheckpointKeyFiles.SIGNING_KEY, text));
        Path file = CheckpointKeyFiles.checkpointDirectory().resolve(Checkpoints.fileName(renamed));
        Files.write(file, Checkpoints.fileContent(renamed));
        try {
            Api.asAuditor().post(CHECKPOINTS).then().statusCode(503).header("Retry-After", "5")
                    .body("type", org.hamcrest.Matchers.endsWith(":busy"))
                    .body("detail", org.hamcrest.Matchers.containsString("signed under origin 'renamed-proxy', which"
                            + " this replica (PROXY_AUDIT_ORIGIN 'domo-migration-proxy') does not know"));
        } finally {
            Files.delete(file);
        }
        Api.asAuditor().post(CHECKPOINTS).then().statusCode(201);
    }

    @Test
    void anAuditorSignsACheckpointThatVerifiesWithThePublicKeyAndIsKeptInThreePlaces() throws Exception {
        AuditApiTest.migrate(Tokens.jwt("checkpoint-" + System.nanoTime(), "operator"), Api.uniqueDatasourceId(), "1", "t");
        // The integrity read is itself on the record: its AUDIT_ACCESS event is the head when signing.
        long head = integrity().getLong("lastSeq") + 1;

        JsonPath checkpoint = Api.asAuditor().post(CHECKPOINTS).then().statusCode(201).extract().jsonPath();
        String keyId = CheckpointKeyFiles.keyId(CheckpointKeyFiles.SIGNING_PUBLIC_KEY);
        assertThat(checkpoint.getLong("seq")).isEqualTo(head);
        assertThat(checkpoint.getString("hash")).isEqualTo(integrityAt(head));
        assertThat(checkpoint.getString("keyId")).isEqualTo(keyId);
        assertThat(checkpoint.getString("origin")).isEqualTo("domo-migration-proxy");
        String text = checkpoint.getString("text");
        assertThat(text).isEqualTo("domo-migration-proxy\n" + head + "\n" + checkpoint.getString("hash") + "\nissued-at "
                + checkpoint.getString("issuedAt") + "\nkey-id " + keyId + "\n");
        assertThat(Instant.parse(checkpoint.getString("issuedAt"))).isCloseTo(Instant.now(),
                org.assertj.core.api.Assertions.within(1, ChronoUnit.MINUTES));

        // Verifiable by anyone, without credentials, with the published key.
        String pem = given().get(CHECKPOINTS + "/public-key").then().statusCode(200)
                .contentType(startsWith(CheckpointResource.PEM)).extract().asString();
        assertThat(verifies(pem, text, checkpoint.getString("signature"))).isTrue();
        assertThat(verifies(pem, text.replace("\n" + head + "\n", "\n" + (head + 1) + "\n"),
                checkpoint.getString("signature"))).isFalse();

        // Kept in the database, ...
        JsonPath latest = Api.asAuditor().get(CHECKPOINTS + "/latest").then().statusCode(200).extract().jsonPath();
        assertThat(latest.getString("signature")).isEqualTo(checkpoint.getString("signature"));
        // ... in a file of its own outside it, ...
        List<Path> files;
        try (var listing = Files.list(CheckpointKeyFiles.checkpointDirectory())) {
            files = listing.filter(file -> file.getFileName().toString().startsWith(
                    String.format("checkpoint-%020d-", head))).toList();
        }
        assertThat(files).hasSize(1);
        try (var listing = Files.list(CheckpointKeyFiles.checkpointDirectory())) {
            assertThat(listing.map(path -> path.getFileName().toString())).as("its temporary copy is gone")
                    .noneMatch(name -> name.endsWith(".tmp"));
        }
        Map<?, ?> file = new ObjectMapper().readValue(files.get(0).toFile(), Map.class);
        assertThat(file.get("text")).isEqualTo(text);
        assertThat(file.get("signature")).isEqualTo(checkpoint.getString("signature"));
        // ... and as a CHECKPOINT event in the chain, after the head it signs.
        JsonPath events = Api.asAuditor().queryParam("type", "CHECKPOINT").queryParam("fromSeq", head + 1)
                .get("/api/v1/audit/events").then().statusCode(200).extract().jsonPath();
        assertThat(events.getLong("items[0].seq")).isEqualTo(head + 1);
        assertThat(events.getString("items[0].subject")).isEqualTo(keyId);
        Map<String, Object> payload = new ObjectMapper().readValue(events.getString("items[0].payload"),
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {
                });
        assertThat(payload).containsEntry("event", "CHECKPOINT").containsEntry("text", text)
                .containsEntry("signature", checkpoint.getString("signature"));

        JsonPath report = integrity();
        assertThat(report.getBoolean("checkpointsValid")).isTrue();
        assertThat(report.getLong("checkpointsChecked")).isGreaterThanOrEqualTo(2);
        assertThat(report.getBoolean("valid")).isTrue();
    }

    @Test
    void checkpointsArePagedNewestFirst() {
        Api.asAuditor().post(CHECKPOINTS).then().statusCode(201);
        Api.asAuditor().post(CHECKPOINTS).then().statusCode(201);
        long newest = Api.asAuditor().post(CHECKPOINTS).then().statusCode(201).extract().jsonPath().getLong("seq");

        JsonPath first = Api.asAuditor().queryParam("limit", 2).get(CHECKPOINTS).then().statusCode(200).extract().jsonPath();
        assertThat(first.getList("items")).hasSize(2);
        assertThat(first.getLong("items[0].seq")).isEqualTo(newest);
        assertThat(first.getLong("items[1].seq")).isLessThan(newest);
        JsonPath second = Api.asAuditor().queryParam("limit", 2).queryParam("cursor", first.getString("nextCursor"))
                .get(CHECKPOINTS).then().statusCode(200).extract().jsonPath();
        assertThat(second.getLong("items[0].seq")).isLessThan(first.getLong("items[1].seq"));
        Api.asAuditor().queryParam("cursor", "bogus").get(CHECKPOINTS).then().statusCode(400);
    }

    @Test
    void onlyAuditorsListAndSignButTheKeyIsPublic() {
        given().post(CHECKPOINTS).then().statusCode(401);
        Api.asOperator().post(CHECKPOINTS).then().statusCode(403);
        Api.asReader().get(CHECKPOINTS).then().statusCode(403);
        given().get(CHECKPOINTS + "/latest").then().statusCode(401);
        given().get(CHECKPOINTS + "/public-key").then().statusCode(200);
    }

    /**
     * A newest checkpoint file that cannot be read stops signing, and the answer says where to look
     * (the directory) rather than "retry later", which cannot help.
     */
    @Test
    void anUnreadableNewestCheckpointFileIsNamed() throws Exception {
        Path blocking = CheckpointKeyFiles.checkpointDirectory()
                .resolve("checkpoint-99999999999999999999-9999999999999-ffffffffffffffff.json");
        Files.createDirectories(blocking);
        try {
            Api.asAuditor().post(CHECKPOINTS).then().statusCode(503)
                    .body("detail", org.hamcrest.Matchers.allOf(org.hamcrest.Matchers.containsString("Cannot read the newest checkpoint file"),
                            org.hamcrest.Matchers.containsString("PROXY_AUDIT_CHECKPOINT_DIR")));
        } finally {
            Files.delete(blocking);
        }
        Api.asAuditor().post(CHECKPOINTS).then().statusCode(201);
    }

    /**
     * A file is written under a temporary name and then given its own: what a crash in between leaves
     * behind is not a checkpoint, which signing and the integrity check would otherwise stop at.
     */
    @Test
    void whatACrashLeavesWhileWritingAFileIsNoCheckpoint() throws Exception {
        Path partial = CheckpointKeyFiles.checkpointDirectory()
                .resolve(".checkpoint-99999999999999999999-9999999999999-ffffffffffffffff.json.tmp");
        Files.write(partial, new byte[0]);
        try {
            long seq = Api.asAuditor().post(CHECKPOINTS).then().statusCode(201).extract().jsonPath().getLong("seq");
            assertThat(integrity().getBoolean("checkpointsValid")).isTrue();
            assertThat(Api.asAuditor().get(CHECKPOINTS + "/latest").then().statusCode(200).extract().jsonPath()
                    .getLong("seq")).isEqualTo(seq);
        } finally {
            Files.delete(partial);
        }
    }

    /**
     * A checkpoint directory with no file while the database stores checkpoints (its volume not
     * mounted, or emptied) signs nothing: a superuser who rewrote the chain and deleted the stored
     * checkpoints would otherwise get a fresh one over the rewrite, the only file there.
     */
    @Test
    void aCheckpointDirectoryThatLostItsFilesSignsNothing() throws Exception {
        Api.asAuditor().post(CHECKPOINTS).then().statusCode(201);
        Path directory = CheckpointKeyFiles.checkpointDirectory();
        Path kept = directory.resolveSibling(directory.getFileName() + "-kept");
        Files.move(directory, kept);
        try {
            Files.createDirectory(directory);
            Api.asAuditor().post(CHECKPOINTS).then().statusCode(503)
                    .body("type", org.hamcrest.Matchers.endsWith("audit-unavailable"))
                    .body("detail", org.hamcrest.Matchers.containsString("holds no checkpoint file"));
            JsonPath report = integrity();
            assertThat(report.getBoolean("checkpointsValid")).isFalse();
            assertThat(report.getString("lastInvalidCheckpoint.source") == null
                    ? report.getString("firstInvalidCheckpoint.source") : report.getString("lastInvalidCheckpoint.source"))
                    .isEqualTo("directory " + directory);
        } finally {
            try (var files = Files.list(directory)) {
                for (Path file : files.toList()) {
                    Files.delete(file); // only if this test failed: a checkpoint signed into the empty directory
                }
            }
            Files.delete(directory);
            Files.move(kept, directory);
        }
        Api.asAuditor().post(CHECKPOINTS).then().statusCode(201);
    }

    /**
     * A checkpoint directory that cannot be listed: signing answers 503 and names it, and the
     * integrity check names it as a checkpoint that fails (it was a 500). Root lists every
     * directory, so the directory is swapped for a link to one this machine's kernel refuses to list
     * to anyone ({@code /proc/1/map_files}); skipped where that one can be listed.
     */
    @Test
    void aCheckpointDirectoryThatCannotBeListedIsNamed() throws Exception {
        Path unlistable = Path.of("/proc/1/map_files");
        assumeTrue(Files.isDirectory(unlistable) && !listable(unlistable), "every directory here can be listed");
        Path directory = CheckpointKeyFiles.checkpointDirectory();
        Path kept = directory.resolveSibling(directory.getFileName() + "-kept");
        Files.move(directory, kept);
        try {
            Files.createSymbolicLink(directory, unlistable);
            Api.asAuditor().post(CHECKPOINTS).then().statusCode(503)
                    .body("detail", org.hamcrest.Matchers.allOf(org.hamcrest.Matchers.containsString("Cannot list"),
                            org.hamcrest.Matchers.containsString("PROXY_AUDIT_CHECKPOINT_DIR")));
            JsonPath report = integrity();
            assertThat(report.getBoolean("chainValid")).isTrue();
            assertThat(report.getBoolean("checkpointsValid")).isFalse();
            assertThat(report.getString("firstInvalidCheckpoint.source")).isEqualTo("directory " + directory);
            assertThat(report.getString("firstInvalidCheckpoint.reason")).contains("cannot be listed");
            // A forged stored checkpoint is still the one named: it comes first, as with an unreadable file.
            long head = report.getLong("lastSeq");
            long forgedId = insertCheckpoint(CheckpointKeyFiles.STRANGER_KEY, CheckpointKeyFiles.STRANGER_PUBLIC_KEY,
                    head, integrityAt(head));
            try {
                assertThat(integrity().getString("firstInvalidCheckpoint.source")).isEqualTo("database");
            } finally {
                PostgresAdmin.tamper("DELETE FROM audit_checkpoint WHERE id = " + forgedId);
            }
        } finally {
            Files.deleteIfExists(directory);
            Files.move(kept, directory);
        }
        assertThat(integrity().getBoolean("valid")).isTrue();
    }

    /**
     * A forged checkpoint row (the application role may insert one, and nobody can delete it) fails
     * for good: a later checkpoint that fails is still counted and named, not hidden behind it.
     */
    @Test
    void aCheckpointThatFailsForGoodHidesNoLaterOne() {
        Api.asAuditor().post(CHECKPOINTS).then().statusCode(201);
        long head = integrity().getLong("lastSeq");
        long first = insertCheckpoint(CheckpointKeyFiles.STRANGER_KEY, CheckpointKeyFiles.STRANGER_PUBLIC_KEY, head - 1,
                integrityAt(head - 1));
        long second = insertCheckpoint(CheckpointKeyFiles.STRANGER_KEY, CheckpointKeyFiles.STRANGER_PUBLIC_KEY, head,
                integrityAt(head));
        try {
            JsonPath report = integrity();
            assertThat(report.getBoolean("checkpointsValid")).isFalse();
            assertThat(report.getLong("invalidCheckpoints")).isEqualTo(2);
            assertThat(report.getLong("firstInvalidCheckpoint.seq")).isEqualTo(head - 1);
            assertThat(report.getLong("lastInvalidCheckpoint.seq")).isEqualTo(head);
            assertThat(report.getString("lastInvalidCheckpoint.source")).isEqualTo("database");
        } finally {
            PostgresAdmin.tamper("DELETE FROM audit_checkpoint WHERE id IN (" + first + ", " + second + ")");
        }
        assertThat(integrity().getBoolean("valid")).isTrue();
    }

    private static boolean listable(Path directory) {
        try (var files = Files.newDirectoryStream(directory)) {
            files.iterator().hasNext(); // a directory may open and then refuse to be read
            return true;
        } catch (java.io.IOException | java.nio.file.DirectoryIteratorException e) {
            return false;
        }
    }

    /** Reading the public key reads nothing of the trail: no AUDIT_ACCESS event, with or without credentials. */
    @Test
    void readingThePublicKeyLeavesNoAccessEvent() {
        String reader = "key-reader-" + System.nanoTime();
        String auditor = "key-auditor-" + System.nanoTime();
        for (int i = 0; i < 3; i++) {
            given().auth().oauth2(Tokens.jwt(reader, "reader")).get(CHECKPOINTS + "/public-key").then().statusCode(200);
            given().auth().oauth2(Tokens.jwt(auditor, "auditor")).get(CHECKPOINTS + "/public-key").then().statusCode(200);
        }
        for (String principal : new String[] { reader, auditor }) {
            Api.asAuditor().queryParam("type", "AUDIT_ACCESS").queryParam("subject", principal)
                    .get("/api/v1/audit/events").then().statusCode(200).body("items", org.hamcrest.Matchers.empty());
        }
        // Nor with a credential that would be refused elsewhere (public: it is not even looked at), a method or a
        // type it does not answer: nothing is logged or recorded as a refused audit access (anyone could
        // lengthen the chain by asking).
        String request = "public-key-" + java.util.UUID.randomUUID();
        given().header("X-Request-Id", request + "-key").header("X-API-Key", "not-a-key")
                .get(CHECKPOINTS + "/public-key").then().statusCode(200);
        given().header("X-Request-Id", request + "-bearer").auth().oauth2("not.a.jwt")
                .get(CHECKPOINTS + "/public-key").then().statusCode(200);
        given().header("X-Request-Id", request + "-post").post(CHECKPOINTS + "/public-key").then().statusCode(405);
        given().header("X-Request-Id", request + "-html").accept("text/html").get(CHECKPOINTS + "/public-key").then()
                .statusCode(406);
        // The requests' own lines are there (their access lines, written once each answer has gone out,
        // so waited for), so the check below can fail.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                java.nio.file.Files.readAllLines(java.nio.file.Path.of("target", "quarkus-test.log")))
                .filteredOn(line -> line.contains(request)).hasSizeGreaterThanOrEqualTo(4)
                .noneMatch(line -> line.contains("Audit access refused") || line.contains("before it was served")));
        // The same auditor reading the trail is recorded, as every audit read is.
        given().auth().oauth2(Tokens.jwt(auditor, "auditor")).get(CHECKPOINTS).then().statusCode(200);
        Api.asAuditor().queryParam("type", "AUDIT_ACCESS").queryParam("subject", auditor)
                .get("/api/v1/audit/events").then().statusCode(200).body("items", org.hamcrest.Matchers.hasSize(1));
    }

    @Test
    void thePublicKeyComesAsPemOrJwkAndFormerKeysStayAvailable() throws Exception {
        String keyId = CheckpointKeyFiles.keyId(CheckpointKeyFiles.SIGNING_PUBLIC_KEY);
        String pem = given().get(CHECKPOINTS + "/public-key").then().statusCode(200).extract().asString();
        assertThat(pem).isEqualToIgnoringNewLines(Files.readString(CheckpointKeyFiles.SIGNING_PUBLIC_KEY));

        byte[] spki = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        String x = Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOfRange(spki, 12, 44));
        given().accept("application/jwk+json").get(CHECKPOINTS + "/public-key").then().statusCode(200)
                .contentType(startsWith(CheckpointResource.JWK))
                .body("kty", equalTo("OKP")).body("crv", equalTo("Ed25519")).body("kid", equalTo(keyId))
                .body("x", equalTo(x)).body("alg", equalTo("EdDSA"));
        given().queryParam("format", "jwk").get(CHECKPOINTS + "/public-key").then().statusCode(200)
                .body("kid", equalTo(keyId));

        String former = CheckpointKeyFiles.keyId(CheckpointKeyFiles.FORMER_PUBLIC_KEY);
        assertThat(given().queryParam("keyId", former).get(CHECKPOINTS + "/public-key").then().statusCode(200)
                .extract().asString()).isEqualToIgnoringNewLines(Files.readString(CheckpointKeyFiles.FORMER_PUBLIC_KEY));
        given().queryParam("keyId", CheckpointKeyFiles.keyId(CheckpointKeyFiles.STRANGER_PUBLIC_KEY))
                .get(CHECKPOINTS + "/public-key").then().statusCode(404);
        given().queryParam("keyId", "NOT-A-KEY").get(CHECKPOINTS + "/public-key").then().statusCode(400);
        given().queryParam("format", "der").get(CHECKPOINTS + "/public-key").then().statusCode(400);
    }

    /**
     * After a rotation the former key's checkpoints still verify; a checkpoint signed with a key the
     * service does not trust (a superuser's own) is named.
     */
    @Test
    void aFormerKeysCheckpointVerifiesAndAStrangersIsNamed() {
        long head = integrity().getLong("lastSeq");
        String hash = integrityAt(head);
        insertCheckpoint(CheckpointKeyFiles.FORMER_KEY, CheckpointKeyFiles.FORMER_PUBLIC_KEY, head, hash);
        assertThat(integrity().getBoolean("checkpointsValid")).isTrue();

        long forgedId = insertCheckpoint(CheckpointKeyFiles.STRANGER_KEY, CheckpointKeyFiles.STRANGER_PUBLIC_KEY, head, hash);
        try {
            JsonPath report = integrity();
            assertThat(report.getBoolean("valid")).isFalse();
            assertThat(report.getBoolean("chainValid")).isTrue();
            assertThat(report.getBoolean("checkpointsValid")).isFalse();
            assertThat(report.getString("firstInvalidCheckpoint.keyId"))
                    .isEqualTo(CheckpointKeyFiles.keyId(CheckpointKeyFiles.STRANGER_PUBLIC_KEY));
            assertThat(report.getString("firstInvalidCheckpoint.source")).isEqualTo("database");
            assertThat(report.getString("firstInvalidCheckpoint.reason")).contains("not trusted");
        } finally {
            PostgresAdmin.tamper("DELETE FROM audit_checkpoint WHERE id = " + forgedId);
        }
        assertThat(integrity().getBoolean("valid")).isTrue();
    }

    @Test
    void storedCheckpointsAreAppendOnly() {
        Api.asAuditor().post(CHECKPOINTS).then().statusCode(201);
        for (String statement : List.of("UPDATE audit_checkpoint SET seq = seq WHERE id = (SELECT max(id) FROM audit_checkpoint)",
                "DELETE FROM audit_checkpoint WHERE id = (SELECT max(id) FROM audit_checkpoint)", "TRUNCATE audit_checkpoint")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> PostgresAdmin.asSuperuser(statement)).as(statement)
                    .hasMessageContaining("append-only");
        }
    }

    /** A checkpoint whose fields were edited no longer repeats its signed text. */
    @Test
    void anEditedCheckpointRowIsNamed() {
        long seq = Api.asAuditor().post(CHECKPOINTS).then().statusCode(201).extract().jsonPath().getLong("seq");
        PostgresAdmin.tamper(
                "UPDATE audit_checkpoint SET seq = seq - 1 WHERE id = (SELECT max(id) FROM audit_checkpoint)");
        try {
            JsonPath report = integrity();
            assertThat(report.getBoolean("checkpointsValid")).isFalse();
            assertThat(report.getLong("firstInvalidCheckpoint.seq")).isEqualTo(seq - 1);
            assertThat(report.getString("firstInvalidCheckpoint.reason")).contains("signed text");
        } finally {
            PostgresAdmin.tamper("UPDATE audit_checkpoint SET seq = seq + 1 WHERE id = (SELECT max(id) FROM audit_checkpoint)");
        }
        assertThat(integrity().getBoolean("valid")).isTrue();
    }

    private static long insertCheckpoint(Path privateKey, Path publicKey, long seq, String hash) {
        String keyId = CheckpointKeyFiles.keyId(publicKey);
        Instant issuedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        String text = "domo-migration-proxy\n" + seq + "\n" + hash + "\nissued-at " + issuedAt + "\nkey-id " + keyId + "\n";
        String signature = CheckpointKeyFiles.sign(privateKey, text);
        PostgresAdmin.tamper("INSERT INTO audit_checkpoint (origin, seq, hash, issued_at, key_id, text, signature) VALUES"
                + " ('domo-migration-proxy', " + seq + ", '" + hash + "', '" + issuedAt + "', '" + keyId + "', '" + text
                + "', '" + signature + "')");
        return newestId();
    }

    private static long newestId() {
        try (var connection = java.sql.DriverManager.getConnection(System.getProperty("quarkus.datasource.jdbc.url"),
                "postgres", ""); var statement = connection.createStatement();
                var row = statement.executeQuery("SELECT max(id) FROM audit_checkpoint")) {
            row.next();
            return row.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean verifies(String pem, String text, String signature) throws Exception {
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        Signature verifier = Signature.getInstance("Ed25519");
        verifier.initVerify(key);
        verifier.update(text.getBytes(StandardCharsets.UTF_8));
        return verifier.verify(Base64.getDecoder().decode(signature));
    }

    private static String integrityAt(long seq) {
        return Api.asAuditor().queryParam("fromSeq", seq).queryParam("toSeq", seq).get("/api/v1/audit/events").then()
                .statusCode(200).extract().jsonPath().getString("items[0].hash");
    }

    private static JsonPath integrity() {
        return Api.asAuditor().get("/api/v1/audit/integrity").then().statusCode(200).extract().jsonPath();
    }
}
