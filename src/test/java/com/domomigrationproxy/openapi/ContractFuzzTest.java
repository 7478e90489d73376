package com.domomigrationproxy.openapi;

import static com.domomigrationproxy.support.HostileInput.abbreviate;
import static com.domomigrationproxy.support.HostileInput.encode;
import static com.domomigrationproxy.support.HostileInput.quote;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.Api;
import com.domomigrationproxy.support.DomoWireMock;
import com.domomigrationproxy.support.FuzzEstate;
import com.domomigrationproxy.support.HostileInput;
import com.domomigrationproxy.support.InjectDomo;
import com.domomigrationproxy.support.Tokens;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.junit.QuarkusTest;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;

/**
 * Every operation of the published contract (docs/openapi.yaml), fed hostile values one at a time:
 * each parameter and each field of each example body in turn, and bodies that are not what they
 * say. Whatever comes in, the service answers with a status that operation documents, never a 5xx,
 * in a media type the document lists for that status and, for JSON, a body its schema accepts;
 * every 4xx is a problem document, input refused as invalid (400) never reached Domo, and no answer
 * carries the Domo token. The caller holds every role, so that what answers is the
 * input's check, not a 403. Domo answers every call it gets at once, so a value that happens to be
 * valid succeeds rather than failing upstream. The plan, item and operation in the paths exist, so
 * that what answers is the check of the input rather than a 404.
 *
 * <p>Requests go through the JDK's HTTP client over HTTP/1.1, not REST Assured: it sends the bytes,
 * headers and encodings exactly as given, where REST Assured would encode, normalise and add a charset.
 */
@QuarkusTest
@Tag("fuzz")
class ContractFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Where the committed document is registered for its schemas' references; never fetched. */
    private static final String CONTRACT_URI = "https://contract.invalid/openapi.json";
    private static final JsonSchemaOptions SCHEMA_OPTIONS = new JsonSchemaOptions().setDraft(Draft.DRAFT202012)
            .setBaseUri(CONTRACT_URI).setOutputFormat(OutputFormat.Basic);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @InjectDomo
    WireMockServer domo;

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    /** Every role; a principal of its own per operation, so that one operation's Idempotency-Keys never meet another's. */
    private String bearer;
    /** Path values that name things that exist: this test's plan, its item, an operation. */
    private Map<String, String> existing;
    private final List<String> failures = new ArrayList<>();
    private final JsonObject document = document();
    private final SchemaRepository schemas = SchemaRepository.create(SCHEMA_OPTIONS)
            .dereference(CONTRACT_URI, JsonSchema.of(document));
    private int sent;
    private int refused;

    @BeforeEach
    void estate() {
        DomoWireMock.answersEverything(domo, "fuzz-toe");
        // Made by another principal than the fuzz's, which may then decide on the plan (with the wrong hash).
        existing = FuzzEstate.create("contract fuzz").ids();
        // Plans that other test classes left running would call Domo meanwhile, which would read as a
        // refused request reaching it: they are paused, and their items in flight allowed to finish.
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            List<String> running = Api.asReader().get("/api/v1/plans?state=RUNNING").then().statusCode(200).extract()
                    .path("items.planId");
            running.forEach(plan -> Api.asOperator().post("/api/v1/plans/" + plan + "/pause"));
            return running.isEmpty();
        });
        int[] calls = { -1 };
        await().pollInterval(Duration.ofMillis(500)).atMost(Duration.ofSeconds(30)).until(() -> {
            int now = domo.getAllServeEvents().size();
            boolean quiet = now == calls[0];
            calls[0] = now;
            return quiet;
        });
    }

    @Test
    void everyOperationAnswersHostileInputWithADocumentedStatusAndNeverA5xx() {
        for (Probe probe : operations()) {
            bearer = "Bearer " + Tokens.jwt("contract-fuzz-" + probe.operation.getOperationId(), "reader", "operator",
                    "auditor", "approver");
            fuzz(probe);
        }
        assertThat(sent).as("requests sent").isGreaterThan(1_000);
        assertThat(refused).as("answered 400 (the input's check, not a wrong path or a missing role)")
                .isGreaterThan(sent / 2);
        assertThat(failures).as(failures.size() + " of " + sent + " answers broke the contract").isEmpty();
    }

    /**
     * Least privilege as documented: each operation's description names its roles ("Role: auditor."),
     * and its documented example, sent with a JWT that holds one role alone, passes the role check
     * for exactly those roles. Any other role gets a 403 problem and Domo is not called; no
     * credentials get a 401; an operation documented as public needs none.
     */
    @Test
    void everyOperationAdmitsExactlyTheRolesItDocuments() throws Exception {
        Pattern documented = Pattern.compile("Roles?: ([a-z]+(?:,\\s*[a-z]+)*)\\.");
        List<String> roles = List.of("reader", "operator", "auditor", "approver");
        for (Probe probe : operations()) {
            Operation operation = probe.operation;
            String label = probe.method + " " + probe.path;
            if (operation.getSecurity() == null || operation.getSecurity().isEmpty()) {
                HttpResponse<String> anyone = exchange(probe, null);
                if (anyone.statusCode() == 401 || anyone.statusCode() == 403) {
                    failures.add(label + " is documented as public, yet answers " + anyone.statusCode());
                }
                continue;
            }
            Matcher match = documented.matcher(operation.getDescription().replaceAll("\\s+", " "));
            List<String> allowed = new ArrayList<>();
            while (match.find()) {
                allowed = List.of(match.group(1).split(",\\s*"));
            }
            if (allowed.isEmpty()) {
                failures.add(label + " documents no role");
                continue;
            }
            int status = exchange(probe, null).statusCode();
            if (status != 401) {
                failures.add(label + " without credentials: " + status + ", not 401");
            }
            for (String role : roles) {
                int domoCallsBefore = domo.getAllServeEvents().size();
                HttpResponse<String> answer = exchange(probe, "Bearer " + Tokens.jwt("contract-" + role, role));
                boolean admitted = answer.statusCode() != 401 && answer.statusCode() != 403;
                boolean refusedAsDocumented = answer.statusCode() == 403;
                String mismatch = schemaMismatch(probe, answer.statusCode(),
                        answer.headers().firstValue("Content-Type").orElse(""), answer.body());
                if (mismatch != null) {
                    failures.add(label + " as " + role + ": " + answer.statusCode() + " " + mismatch);
                }
                if (allowed.contains(role) ? !admitted : !refusedAsDocumented) {
                    failures.add(label + " as " + role + " (documented: " + allowed + "): " + answer.statusCode() + " "
                            + abbreviate(answer.body()));
                } else if (!admitted && domo.getAllServeEvents().size() != domoCallsBefore) {
                    failures.add(label + " as " + role + ": refused, yet Domo was called");
                }
            }
        }
        assertThat(failures).as(failures.size() + " role checks differ from the contract").isEmpty();
    }

    /** Each /api operation of docs/openapi.yaml, with a request that its schema and example make valid. */
    private List<Probe> operations() {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        options.setResolveFully(true);
        OpenAPI contract = new OpenAPIV3Parser().read("docs/openapi.yaml", null, options);
        assertThat(contract).as("docs/openapi.yaml parses").isNotNull();
        List<Probe> operations = new ArrayList<>();
        contract.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, operation) -> {
            if (path.startsWith("/api/")) {
                operations.add(valid(method.name(), path, operation));
            }
        }));
        assertThat(operations).as("operations in docs/openapi.yaml").hasSizeGreaterThan(25);
        return operations;
    }

    private Probe valid(String method, String path, Operation operation) {
        List<Parameter> parameters = operation.getParameters() == null ? List.of() : operation.getParameters();
        // An event stream of a plan that exists would hold the request open: it gets one that does not.
        boolean stream = operation.getResponses().get("200") != null && operation.getResponses().get("200").getContent() != null
                && operation.getResponses().get("200").getContent().containsKey("text/event-stream");
        Map<String, String> pathValues = new LinkedHashMap<>();
        parameters.stream().filter(p -> "path".equals(p.getIn())).forEach(p -> pathValues.put(p.getName(),
                !stream && existing.containsKey(p.getName()) ? existing.get(p.getName()) : valid(p.getSchema())));
        MediaType jsonBody = body(operation, "application/json");
        String type = jsonBody != null ? "application/json" : body(operation, "text/csv") != null ? "text/csv" : null;
        byte[] body = jsonBody != null ? bytes(example(jsonBody)) : type != null ? example(body(operation, type)).asText()
                .getBytes(StandardCharsets.UTF_8) : null;
        return new Probe(method, path, operation, pathValues, type != null && type.equals("text/csv")
                ? Map.of("name", "contract") : Map.of(), Map.of(), type, body);
    }

    private void fuzz(Probe valid) {
        Operation operation = valid.operation;
        List<Parameter> parameters = operation.getParameters() == null ? List.of() : operation.getParameters();
        MediaType jsonBody = body(operation, "application/json");
        String baseType = valid.contentType;
        byte[] baseBody = valid.body;
        send(valid, "the documented example");
        for (Parameter parameter : parameters) {
            for (String value : values(parameter)) {
                switch (parameter.getIn()) {
                    case "path" -> send(valid.withPath(parameter.getName(), value), parameter.getName() + "=" + quote(value));
                    case "query" -> send(valid.withQuery(parameter.getName(), value), "?" + parameter.getName() + "=" + quote(value));
                    case "header" -> send(valid.withHeader(parameter.getName(), value), parameter.getName() + ": " + quote(value));
                    default -> throw new IllegalStateException("No fuzzing for parameters in " + parameter.getIn());
                }
            }
        }
        for (String accept : List.of("application/xml", "text/csv", "garbage", "*/*;q=0", "application/json;q=abc",
                "text/event-stream", "application/x-ndjson")) {
            send(valid.withHeader("Accept", accept), "Accept: " + accept);
        }
        if (baseType == null) {
            return;
        }
        for (String type : List.of("text/plain", "application/xml", "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x", "application/json; charset=latin1", "garbage")) {
            send(valid.withBody(type, baseBody), "Content-Type: " + type);
        }
        for (byte[] body : notWhatTheySay()) {
            send(valid.withBody(baseType, body), "body " + quote(new String(body, 0, Math.min(body.length, 60), StandardCharsets.UTF_8)));
        }
        if (jsonBody != null) {
            JsonNode example = example(jsonBody);
            eachField(example, (mutated, what) -> send(valid.withBody(baseType, bytes(mutated)), what));
        }
        MediaType csv = body(operation, "text/csv");
        if (csv != null) {
            String header = example(csv).asText().lines().findFirst().orElseThrow();
            for (String rows : List.of("", header, header + "\r\n\"unclosed,1,2,3,4", header + "\r\n,,,,",
                    header + "\r\na,b\r\n", header + "\r\n" + "x,".repeat(500) + "x", "datasourceId\r\nds-1",
                    header + "\r\nds-1,1,c,s,t,extra", header.toUpperCase() + "\r\nds-1,1,c,s,t", "\uFEFF" + header + "\r\nds-1,1,c,s,t")) {
                send(valid.withQuery("name", "fuzz").withBody("text/csv", rows.getBytes(StandardCharsets.UTF_8)),
                        "CSV " + quote(rows.length() > 60 ? rows.substring(0, 60) : rows));
            }
        }
    }

    /** Each field of the example, and of its arrays' first element, set to each wrong value in turn, or removed. */
    private static void eachField(JsonNode example, BiConsumer<JsonNode, String> send) {
        if (!(example instanceof ObjectNode object)) {
            return;
        }
        List<JsonNode> wrong = List.of(NODES.nullNode(), NODES.booleanNode(true), NODES.numberNode(-1),
                NODES.numberNode(1.5), NODES.numberNode(new BigInteger("99999999999999999999999")),
                NODES.textNode(""), NODES.textNode("x".repeat(10_000)), NODES.textNode("a\u0000b"), NODES.textNode("é"),
                NODES.arrayNode(), NODES.objectNode());
        object.fieldNames().forEachRemaining(field -> {
            for (JsonNode value : wrong) {
                ObjectNode mutated = object.deepCopy();
                mutated.set(field, value);
                send.accept(mutated, "field " + field + "=" + quote(value.toString()));
            }
            ObjectNode without = object.deepCopy();
            without.remove(field);
            send.accept(without, "without field " + field);
            if (object.get(field) instanceof ArrayNode array && !array.isEmpty() && array.get(0) instanceof ObjectNode first) {
                eachField(first, (element, what) -> {
                    ObjectNode mutated = object.deepCopy();
                    ((ArrayNode) mutated.get(field)).set(0, element);
                    send.accept(mutated, field + "[0]." + what);
                });
            }
        });
        ObjectNode extra = object.deepCopy();
        extra.put("unknownField", "x");
        send.accept(extra, "an unknown field");
    }

    /** Bodies that are not the JSON or CSV their type names. */
    private static List<byte[]> notWhatTheySay() {
        List<byte[]> bodies = new ArrayList<>();
        for (String text : List.of("", "null", "[]", "\"text\"", "42", "{", "{\"a\":", "{}{}", "{\"a\":1,\"a\":2}",
                "[".repeat(5_000) + "]".repeat(5_000), "{\"a\":".repeat(2_000) + "1" + "}".repeat(2_000), "\u0000")) {
            bodies.add(text.getBytes(StandardCharsets.UTF_8));
        }
        bodies.add(new byte[] { '{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}' });
        bodies.add(new byte[] { (byte) 0xFF, (byte) 0xFE, 0, 0 });
        return bodies;
    }

    private void send(Probe probe, String what) {
        String label = probe.method + " " + probe.path + " with " + what;
        sent++;
        int domoCallsBefore = domo.getAllServeEvents().size();
        HttpResponse<String> response;
        try {
            response = exchange(probe, bearer);
        } catch (Exception e) {
            failures.add(label + ": no answer (" + e + ")");
            return;
        }
        int status = response.statusCode();
        refused += status == 400 ? 1 : 0;
        String type = response.headers().firstValue("Content-Type").orElse("");
        if ((response.body() + response.headers().map()).contains(DomoWireMock.CANARY_TOKEN)) {
            failures.add(label + ": the answer carries the Domo token");
        } else if (status == 400 && domo.getAllServeEvents().size() != domoCallsBefore) {
            failures.add(label + ": refused as invalid, yet Domo was called");
        } else if (status >= 500) {
            failures.add(label + ": " + status + " " + abbreviate(response.body()));
        } else if (!probe.operation.getResponses().containsKey(Integer.toString(status))) {
            failures.add(label + ": " + status + ", which " + probe.operation.getOperationId() + " does not document: "
                    + abbreviate(response.body()));
        } else if (status >= 400 && !(type.startsWith("application/problem+json") && problem(response.body(), status))) {
            failures.add(label + ": " + status + " is not a problem document (" + type + "): " + abbreviate(response.body()));
        } else {
            String mismatch = schemaMismatch(probe, status, type, response.body());
            if (mismatch != null) {
                failures.add(label + ": " + status + " " + mismatch);
            }
        }
    }

    /**
     * Null when the answer is what the document says for that status: one of its media types and,
     * for JSON, a body its schema accepts; otherwise what differs.
     */
    private String schemaMismatch(Probe probe, int status, String contentType, String body) {
        String mediaType = contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        if (mediaType.isEmpty() || body.isEmpty()) {
            return null;
        }
        String method = probe.method.toLowerCase(Locale.ROOT);
        String pointer = "#/paths/" + probe.path.replace("~", "~0").replace("/", "~1").replace("{", "%7B")
                .replace("}", "%7D") + "/" + method + "/responses/" + status;
        JsonObject answer = document.getJsonObject("paths").getJsonObject(probe.path).getJsonObject(method)
                .getJsonObject("responses").getJsonObject(Integer.toString(status));
        if (answer == null) {
            return "is not documented for " + probe.operation.getOperationId();
        }
        if (answer.containsKey("$ref")) {
            pointer = answer.getString("$ref");
            answer = resolve(pointer);
        }
        JsonObject content = answer.getJsonObject("content", new JsonObject());
        if (!content.containsKey(mediaType)) {
            return "answers " + mediaType + ", which the document does not list for it (" + content.fieldNames() + ")";
        }
        boolean json = mediaType.equals("application/json") || mediaType.endsWith("+json");
        if (!json || !content.getJsonObject(mediaType).containsKey("schema")) {
            return null;
        }
        String schema = CONTRACT_URI + pointer + "/content/" + mediaType.replace("/", "~1") + "/schema";
        Object instance;
        try {
            instance = Json.decodeValue(body);
        } catch (RuntimeException e) {
            return "is not JSON: " + abbreviate(body);
        }
        OutputUnit result = schemas.validator(JsonSchema.of(new JsonObject().put("$ref", schema)), SCHEMA_OPTIONS)
                .validate(instance);
        return result.getValid() ? null : "does not match its schema (" + abbreviate(result.getErrors().stream()
                .map(error -> error.getInstanceLocation() + " " + error.getError()).toList().toString()) + "): "
                + abbreviate(body);
    }

    private JsonObject resolve(String pointer) {
        JsonObject node = document;
        for (String step : pointer.substring(2).split("/")) {
            node = node.getJsonObject(step.replace("%7B", "{").replace("%7D", "}").replace("~1", "/").replace("~0", "~"));
        }
        return node;
    }

    private static JsonObject document() {
        try {
            return new JsonObject(new ObjectMapper(new YAMLFactory())
                    .readValue(Path.of("docs/openapi.yaml").toFile(), Map.class));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends the request, with this Authorization header unless null. */
    private HttpResponse<String> exchange(Probe probe, String authorization) throws Exception {
        String target = probe.path;
        for (Map.Entry<String, String> value : probe.pathValues.entrySet()) {
            target = target.replace("{" + value.getKey() + "}", encode(value.getValue()));
        }
        StringBuilder query = new StringBuilder();
        probe.query.forEach((name, value) -> query.append(query.isEmpty() ? "?" : "&").append(encode(name)).append('=')
                .append(encode(value)));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target + query))
                .timeout(Duration.ofSeconds(15)).method(probe.method, probe.body == null
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(probe.body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (probe.contentType != null) {
            request.header("Content-Type", probe.contentType);
        }
        probe.headers.forEach(request::header);
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static boolean problem(String body, int status) {
        try {
            JsonNode problem = JSON.readTree(body);
            return problem.path("status").asInt() == status && problem.path("type").isTextual()
                    && problem.path("title").isTextual();
        } catch (Exception e) {
            return false;
        }
    }

    private static List<String> values(Parameter parameter) {
        List<String> values = new ArrayList<>("header".equals(parameter.getIn()) ? HostileInput.forHeaders()
                : "path".equals(parameter.getIn()) ? HostileInput.forPath() : HostileInput.VALUES);
        Schema<?> schema = parameter.getSchema();
        if (schema != null && schema.getEnum() != null && !schema.getEnum().isEmpty()) {
            String first = schema.getEnum().get(0).toString();
            values.addAll(List.of(first.toLowerCase(), first + " ", "BOGUS"));
        }
        if (schema != null && "integer".equals(schema.getType())) {
            values.addAll(List.of("1.5", "0x10", "+1", "2147483648", "-2147483649"));
        }
        if (schema != null && "date-time".equals(schema.getFormat())) {
            values.addAll(List.of("2026-02-30T00:00:00Z", "2026-12-04", "+999999999-12-31T23:59:59Z", "2026-12-04T25:00:00Z"));
        }
        if (schema != null && "uuid".equals(schema.getFormat())) {
            values.addAll(List.of("00000000-0000-0000-0000-00000000000g", UUID.randomUUID() + "0"));
        }
        return values;
    }

    /** A value the parameter's schema accepts. */
    private static String valid(Schema<?> schema) {
        if (schema != null && "uuid".equals(schema.getFormat())) {
            return UUID.randomUUID().toString();
        }
        if (schema != null && "integer".equals(schema.getType())) {
            return "1";
        }
        return "fuzz-1";
    }

    private static MediaType body(Operation operation, String type) {
        return operation.getRequestBody() == null || operation.getRequestBody().getContent() == null ? null
                : operation.getRequestBody().getContent().get(type);
    }

    private static JsonNode example(MediaType media) {
        Object example = media.getExample();
        if (example == null && media.getExamples() != null && !media.getExamples().isEmpty()) {
            example = media.getExamples().values().iterator().next().getValue();
        }
        return example == null ? NODES.objectNode() : example instanceof JsonNode node ? node : JSON.valueToTree(example);
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** One request: the operation, its path's values, query, headers and body. */
    private record Probe(String method, String path, Operation operation, Map<String, String> pathValues,
            Map<String, String> query, Map<String, String> headers, String contentType, byte[] body) {

        Probe withPath(String name, String value) {
            return new Probe(method, path, operation, with(pathValues, name, value), query, headers, contentType, body);
        }

        Probe withQuery(String name, String value) {
            return new Probe(method, path, operation, pathValues, with(query, name, value), headers, contentType, body);
        }

        Probe withHeader(String name, String value) {
            return new Probe(method, path, operation, pathValues, query, with(headers, name, value), contentType, body);
        }

        Probe withBody(String type, byte[] bytes) {
            return new Probe(method, path, operation, pathValues, query, headers, type, bytes);
        }

        private static Map<String, String> with(Map<String, String> values, String name, String value) {
            Map<String, String> copy = new LinkedHashMap<>(values);
            copy.put(name, value);
            return copy;
        }
    }
}
