package com.domomigrationproxy.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.domomigrationproxy.support.ChartCopy;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;

/**
 * Lints and renders the Helm chart with the embedded Helm library (no cluster, no helm binary) and
 * checks what a deployment relies on: hardening, probes, secrets only by reference, and values
 * validation.
 */
class HelmChartTest {

    /** Maven runs tests with the project directory as the working directory. */
    private static final Path CHART = Path.of("helm/domo-migration-proxy");
    private static final Path PRODUCTION_VALUES = CHART.resolve("ci/production-values.yaml");
    private static final String RELEASE = "proxy";
    private static final String NAMESPACE = "migration";
    private static final String FULLNAME = "proxy-domo-migration-proxy";
    /** Client-only rendering assumes Kubernetes 1.20 unless told otherwise; the chart needs 1.25+. */
    private static final String KUBE_VERSION = "v1.31.0";
    /** Renames the test pod's hook annotations so that it renders as a plain manifest. */
    private static final String UNHOOKED_PREFIX = ChartCopy.UNHOOKED_PREFIX;

    /** The least a default install needs. */
    private static final Map<String, String> MINIMUM_VALUES = minimumValues();

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern SECRET_LIKE_NAME = Pattern.compile(".*(TOKEN|PASSWORD|PASSWD|SECRET|KEY|CREDENTIAL).*",
            Pattern.CASE_INSENSITIVE);

    private static Map<String, String> minimumValues() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("domo.baseUrl", "https://acme.domo.com");
        values.put("domo.existingSecret", "domo-token");
        values.put("database.host", "postgres.databases.svc");
        values.put("database.existingSecret", "proxy-db-app");
        values.put("apiKeys.existingSecret", "proxy-api-keys");
        return values;
    }

    // ---- lint -------------------------------------------------------------------------------

    @Test
    void lintsStrictWithTheMinimumValues(@TempDir Path work) throws IOException {
        ObjectNode values = chartValues();
        MINIMUM_VALUES.forEach((path, value) -> setPath(values, path, value));

        assertLintPasses(chartCopyWithValues(work, values));
    }

    @Test
    void lintsStrictWithTheProductionValues(@TempDir Path work) throws IOException {
        ObjectNode values = chartValues();
        deepMerge(values, (ObjectNode) YAML.readTree(PRODUCTION_VALUES.toFile()));

        assertLintPasses(chartCopyWithValues(work, values));
    }

    /**
     * helm-java 0.0.21's lint takes no values, so the chart is linted as a copy whose values.yaml
     * already holds the values under test: the schema and every template are checked against them.
     */
    private static void assertLintPasses(Path chart) {
        LintResult result = new Helm(chart).lint().strict().call();

        assertThat(result.isFailed()).as("helm lint --strict:%n%s", String.join("\n", result.getMessages())).isFalse();
        assertThat(result.getMessages()).noneMatch(message -> message.startsWith("[ERROR]") || message.startsWith("[WARNING]"));
    }

    // ---- rendering: defaults ----------------------------------------------------------------

    @Test
    void defaultPodIsHardened() {
        assertHardened(deployment(renderMinimum(UnaryOperator.identity())));
    }

    @Test
    void productionPodIsHardened() {
        assertHardened(deployment(renderProduction(UnaryOperator.identity())));
    }

    private static void assertHardened(JsonNode deployment) {
        JsonNode pod = deployment.at("/spec/template/spec");
        assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.at("/securityContext/runAsUser").asInt()).isEqualTo(185);
        assertThat(pod.at("/securityContext/runAsGroup").asInt()).isEqualTo(185);
        assertThat(pod.at("/securityContext/fsGroup").asInt()).isEqualTo(185);
        assertThat(pod.at("/securityContext/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
        assertThat(pod.at("/automountServiceAccountToken").isBoolean()).isTrue();
        assertThat(pod.at("/automountServiceAccountToken").asBoolean()).isFalse();

        JsonNode container = proxyContainer(deployment);
        JsonNode securityContext = container.get("securityContext");
        assertThat(securityContext.at("/allowPrivilegeEscalation").isBoolean()).isTrue();
        assertThat(securityContext.at("/allowPrivilegeEscalation").asBoolean()).isFalse();
        assertThat(securityContext.at("/privileged").asBoolean(true)).isFalse();
        assertThat(securityContext.at("/readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(securityContext.at("/runAsNonRoot").asBoolean()).isTrue();
        assertThat(texts(securityContext.at("/capabilities/drop"))).containsExactly("ALL");
        assertThat(securityContext.at("/capabilities/add").isMissingNode()).isTrue();
        assertThat(securityContext.at("/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");

        JsonNode tmp = volume(deployment, "tmp");
        assertThat(tmp.has("emptyDir")).as("the /tmp volume is an emptyDir").isTrue();
        assertThat(mount(container, "tmp").get("mountPath").asText()).isEqualTo("/tmp");
    }

    /** Kubernetes's service-link variables cost start-up time, and one named after a Service can read as a setting. */
    @Test
    void podGetsNoServiceLinkVariablesUnlessAsked() {
        JsonNode pod = deployment(renderMinimum(UnaryOperator.identity())).at("/spec/template/spec");
        assertThat(pod.at("/enableServiceLinks").isBoolean()).isTrue();
        assertThat(pod.at("/enableServiceLinks").asBoolean()).isFalse();
        assertThat(deployment(renderMinimum(template -> template.set("enableServiceLinks", "true")))
                .at("/spec/template/spec/enableServiceLinks").asBoolean()).isTrue();
    }

    @Test
    void serviceAccountDoesNotAutomountItsToken() {
        JsonNode serviceAccount = only(renderMinimum(UnaryOperator.identity()), "ServiceAccount");

        assertThat(serviceAccount.at("/automountServiceAccountToken").isBoolean()).isTrue();
        assertThat(serviceAccount.at("/automountServiceAccountToken").asBoolean()).isFalse();
        assertThat(deployment(renderMinimum(UnaryOperator.identity())).at("/spec/template/spec/serviceAccountName").asText())
                .isEqualTo(serviceAccount.at("/metadata/name").asText());
    }

    @Test
    void probesUseTheHealthEndpointsOnTheManagementPort() {
        JsonNode container = proxyContainer(deployment(renderMinimum(UnaryOperator.identity())));

        assertThat(container.at("/startupProbe/httpGet/path").asText()).isEqualTo("/q/health/started");
        assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/q/health/live");
        assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/q/health/ready");
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            assertThat(container.at("/" + probe + "/httpGet/port").asText()).as(probe).isEqualTo("management");
            assertThat(container.at("/" + probe + "/failureThreshold").asInt()).as(probe).isPositive();
            assertThat(container.at("/" + probe + "/enabled").isMissingNode()).as(probe + " has no chart-only keys").isTrue();
        }
        assertThat(containerPort(container, "management")).isEqualTo(9000);
        assertThat(containerPort(container, "http")).isEqualTo(8080);
        // The readiness checks may wait 5 s for a pooled connection, then 2 s for their query.
        assertThat(container.at("/readinessProbe/timeoutSeconds").asInt()).isGreaterThan(7);
    }

    /** The API server rejects a Recreate strategy that still carries the default rollingUpdate block. */
    @Test
    void recreateStrategyDropsTheRollingUpdateBlock() {
        JsonNode rolling = deployment(renderMinimum(UnaryOperator.identity())).at("/spec/strategy");
        assertThat(rolling.at("/type").asText()).isEqualTo("RollingUpdate");
        assertThat(rolling.at("/rollingUpdate/maxUnavailable").asInt(-1)).isZero();

        JsonNode recreate = deployment(renderMinimum(template -> template.set("updateStrategy.type", "Recreate")))
                .at("/spec/strategy");
        assertThat(recreate.at("/type").asText()).isEqualTo("Recreate");
        assertThat(recreate.has("rollingUpdate")).as("rollingUpdate with Recreate: %s", recreate).isFalse();
    }

    /**
     * The API on the Service of service.type, health and metrics on a ClusterIP Service of their own:
     * on one Service, a NodePort or LoadBalancer published port 9000, which needs no credentials.
     */
    @Test
    void serviceExposesTheApiAndTheManagementPortStaysInTheCluster() {
        for (String type : List.of("ClusterIP", "NodePort", "LoadBalancer")) {
            List<JsonNode> services = renderMinimum(template -> template.set("service.type", type)
                    .set("fullnameOverride", "x".repeat(63))).stream()
                    .filter(document -> "Service".equals(document.path("kind").asText())).toList();
            assertThat(services).as(type).hasSize(2);
            Map<String, String> targets = new LinkedHashMap<>();
            Map<String, String> types = new LinkedHashMap<>();
            for (JsonNode service : services) {
                service.at("/spec/ports").forEach(port -> targets.put(port.get("name").asText(),
                        port.get("targetPort").asText()));
                service.at("/spec/ports").forEach(port -> types.put(port.get("name").asText(),
                        service.at("/spec/type").asText()));
                assertThat(service.at("/spec/selector/app.kubernetes.io~1component").asText()).isEqualTo("proxy");
                assertThat(service.at("/metadata/name").asText().length()).isLessThanOrEqualTo(63);
                assertThat(service.at("/spec/ports")).hasSize(1);
            }
            assertThat(targets).containsExactlyInAnyOrderEntriesOf(Map.of("http", "http", "management", "management"));
            assertThat(types).containsEntry("http", type).containsEntry("management", "ClusterIP");
        }
    }

    @Test
    void domoTokenIsAFileMountedFromTheNamedSecret() {
        assertTokenMountedFrom(deployment(renderMinimum(UnaryOperator.identity())), "domo-token", "token");
        assertTokenMountedFrom(deployment(renderProduction(UnaryOperator.identity())), "domo-developer-token", "token");
        assertTokenMountedFrom(
                deployment(renderMinimum(template -> template.set("domo.existingSecretKey", "developer-token"))),
                "domo-token", "developer-token");
    }

    private static void assertTokenMountedFrom(JsonNode deployment, String secretName, String key) {
        JsonNode container = proxyContainer(deployment);
        JsonNode volume = volume(deployment, "domo-token");
        assertThat(volume.at("/secret/secretName").asText()).isEqualTo(secretName);
        assertThat(volume.at("/secret/items/0/key").asText()).isEqualTo(key);

        JsonNode mount = mount(container, "domo-token");
        assertThat(mount.has("subPath")).as("a subPath mount would never see a rotated token").isFalse();
        assertThat(mount.get("readOnly").asBoolean()).isTrue();
        String tokenFile = envValue(container, "DOMO_DEVELOPER_TOKEN_FILE");
        String itemPath = volume.at("/secret/items/0/path").asText();
        assertThat(tokenFile).isEqualTo(mount.get("mountPath").asText() + "/" + itemPath);
        assertThat(env(container, "DOMO_DEVELOPER_TOKEN")).as("the token itself is never an env var").isNull();
    }

    @Test
    void aCaForDomoIsAFileMountedFromTheNamedConfigMapOnlyWhenOneIsNamed() {
        JsonNode deployment = deployment(renderMinimum(template -> template
                .set("domo.ca.existingConfigMap", "egress-proxy-ca").set("domo.ca.key", "ca-bundle.pem")));
        JsonNode container = proxyContainer(deployment);
        JsonNode volume = volume(deployment, "domo-ca");
        assertThat(volume.at("/configMap/name").asText()).isEqualTo("egress-proxy-ca");
        assertThat(volume.at("/configMap/items/0/key").asText()).isEqualTo("ca-bundle.pem");
        JsonNode mount = mount(container, "domo-ca");
        assertThat(mount.get("readOnly").asBoolean()).isTrue();
        assertThat(envValue(container, "DOMO_CA_FILE")).isEqualTo(mount.get("mountPath").asText() + "/ca-bundle.pem");

        JsonNode without = deployment(renderProduction(UnaryOperator.identity()));
        assertThat(env(proxyContainer(without), "DOMO_CA_FILE")).as("the JVM's CAs unless a CA is named").isNull();
        assertThat(without.at("/spec/template/spec/volumes").toString()).doesNotContain("domo-ca");
    }

    @Test
    void anEgressProxyForDomoGetsItsUrlItsCredentialsFromSecretKeyRefsAndAnEgressRule() {
        List<JsonNode> documents = renderMinimum(template -> template
                .set("domo.proxy.url", "http://egress.proxy.svc:3128").set("domo.proxy.existingSecret", "egress-login")
                .set("networkPolicy.egress.domoProxy.to[0].namespaceSelector.matchLabels.name", "egress")
                .set("networkPolicy.egress.domo.cidrs", "null"));
        JsonNode container = proxyContainer(deployment(documents));
        assertThat(envValue(container, "DOMO_PROXY_URL")).isEqualTo("http://egress.proxy.svc:3128");
        assertSecretKeyRef(container, "DOMO_PROXY_USERNAME", "egress-login", "username");
        assertSecretKeyRef(container, "DOMO_PROXY_PASSWORD", "egress-login", "password");
        JsonNode policy = only(documents, "NetworkPolicy");
        assertThat(egressRule(policy, 3128).at("/to/0/namespaceSelector/matchLabels/name").asText()).isEqualTo("egress");
        assertThatThrownBy(() -> egressRule(policy, 443)).as("no direct way to Domo left").isInstanceOf(AssertionError.class);

        JsonNode direct = proxyContainer(deployment(renderProduction(UnaryOperator.identity())));
        assertThat(env(direct, "DOMO_PROXY_URL")).isNull();
        assertThat(env(direct, "DOMO_PROXY_USERNAME")).isNull();
        assertThatThrownBy(() -> renderMinimum(template -> template.set("domo.proxy.existingSecret", "egress-login")))
                .hasMessageContaining("domo.proxy.existingSecret holds the credentials of a proxy: set domo.proxy.url too");
        assertThatThrownBy(() -> renderMinimum(template -> template.set("domo.proxy.url", "https://egress:3128")))
                .hasMessageContaining("schema");
    }

    @Test
    void databaseCredentialsComeFromSecretKeyRefs() {
        JsonNode container = proxyContainer(deployment(renderMinimum(UnaryOperator.identity())));

        assertSecretKeyRef(container, "QUARKUS_DATASOURCE_USERNAME", "proxy-db-app", "username");
        assertSecretKeyRef(container, "QUARKUS_DATASOURCE_PASSWORD", "proxy-db-app", "password");
        assertThat(envValue(container, "QUARKUS_DATASOURCE_JDBC_URL"))
                .isEqualTo("jdbc:postgresql://postgres.databases.svc:5432/domo_migration_proxy");
        assertThat(env(container, "QUARKUS_FLYWAY_USERNAME")).as("single role unless a migration Secret is named").isNull();
        assertThat(env(container, "QUARKUS_FLYWAY_PASSWORD")).isNull();
        assertThat(env(container, "PROXY_DB_APP_ROLE")).isNull();
        assertThat(env(container, "QUARKUS_FLYWAY_MIGRATE_AT_START")).as("a single role migrates at start").isNull();
    }

    /**
     * With the owner's Secret named, a hook Job migrates as the owner before the Deployment changes;
     * the proxy pods never see the owner's credentials and only validate the schema at start.
     */
    @Test
    void theOwnerMigratesInAHookJobAndTheProxyPodsOnlyValidate(@TempDir Path work) throws IOException {
        JsonNode deployment = deployment(renderProduction(UnaryOperator.identity()));
        JsonNode container = proxyContainer(deployment);
        assertSecretKeyRef(container, "QUARKUS_DATASOURCE_USERNAME", "domo-migration-proxy-db-app", "username");
        assertSecretKeyRef(container, "QUARKUS_DATASOURCE_PASSWORD", "domo-migration-proxy-db-app", "password");
        assertThat(env(container, "QUARKUS_FLYWAY_USERNAME")).isNull();
        assertThat(env(container, "QUARKUS_FLYWAY_PASSWORD")).isNull();
        assertThat(env(container, "PROXY_DB_APP_ROLE")).isNull();
        assertThat(deployment.toString()).as("the proxy pods never reference the owner's Secret")
                .doesNotContain("domo-migration-proxy-db-owner");
        assertThat(envValue(container, "QUARKUS_FLYWAY_MIGRATE_AT_START")).isEqualTo("false");
        assertThat(envValue(container, "QUARKUS_FLYWAY_VALIDATE_AT_START")).isEqualTo("true");
        assertThat(envValue(container, "QUARKUS_DATASOURCE_JDBC_URL")).isEqualTo(
                "jdbc:postgresql://audit-db.databases.svc.cluster.local:5432/domo_migration_proxy"
                        + "?sslmode=verify-full&sslrootcert=/etc/domo-migration-proxy/db-ca/ca.crt");

        List<JsonNode> unhooked = renderUnhooked(work, PRODUCTION_VALUES);
        JsonNode job = only(unhooked, "Job");
        assertThat(job.at("/metadata/annotations").get(UNHOOKED_PREFIX + "helm.sh/hook").asText())
                .isEqualTo("pre-install,pre-upgrade");
        assertThat(job.at("/metadata/annotations").get(UNHOOKED_PREFIX + "helm.sh/hook-delete-policy").asText())
                .isEqualTo("before-hook-creation,hook-succeeded");
        assertThat(job.at("/spec/activeDeadlineSeconds").asInt()).as("fails before helm's default 5 min timeout")
                .isLessThan(300);
        JsonNode pod = job.at("/spec/template/spec");
        assertThat(pod.at("/restartPolicy").asText()).isEqualTo("Never");
        assertThat(job.at("/spec/template/metadata/labels/app.kubernetes.io~1component").asText())
                .as("kept out of the proxy's Service, PDB and NetworkPolicy").isEqualTo("migration");
        assertHardened(job);
        JsonNode migrate = proxyContainer(job);
        assertThat(envValue(migrate, "QUARKUS_INIT_AND_EXIT")).isEqualTo("true");
        assertThat(envValue(migrate, "QUARKUS_FLYWAY_MIGRATE_AT_START")).isEqualTo("true");
        assertSecretKeyRef(migrate, "QUARKUS_DATASOURCE_USERNAME", "domo-migration-proxy-db-owner", "username");
        assertSecretKeyRef(migrate, "QUARKUS_DATASOURCE_PASSWORD", "domo-migration-proxy-db-owner", "password");
        // The owner's migrations grant the application role (its user name) only what it needs.
        assertSecretKeyRef(migrate, "PROXY_DB_APP_ROLE", "domo-migration-proxy-db-app", "username");
        assertThat(envValue(migrate, "QUARKUS_DATASOURCE_JDBC_URL"))
                .isEqualTo(envValue(container, "QUARKUS_DATASOURCE_JDBC_URL"));
        assertThat(envValue(migrate, "JAVA_OPTS_APPEND")).isEqualTo(envValue(container, "JAVA_OPTS_APPEND"));
        assertThat(mount(migrate, "db-ca").get("mountPath").asText()).as("the database's CA, for verify-full")
                .isEqualTo("/etc/domo-migration-proxy/db-ca");
        assertThat(migrate.toString()).as("no Domo token, no API keys, no signing key in the Job")
                .doesNotContain("domo-developer-token", "api-keys", "checkpoint-key");
    }

    /**
     * The Job has a NetworkPolicy of its own, created just before it (the proxy's selects only the
     * proxy pods and does not exist yet at pre-install): no ingress, egress to DNS and PostgreSQL.
     */
    @Test
    void theMigrationJobMayReachOnlyDnsAndTheDatabase(@TempDir Path work) throws IOException {
        List<JsonNode> documents = renderUnhooked(work, PRODUCTION_VALUES);
        JsonNode policy = migrationPolicy(documents);
        JsonNode annotations = policy.at("/metadata/annotations");
        assertThat(annotations.get(UNHOOKED_PREFIX + "helm.sh/hook").asText()).isEqualTo("pre-install,pre-upgrade");
        assertThat(annotations.get(UNHOOKED_PREFIX + "helm.sh/hook-delete-policy").asText())
                .isEqualTo("before-hook-creation,hook-succeeded");
        JsonNode job = only(documents, "Job");
        assertThat(annotations.get(UNHOOKED_PREFIX + "helm.sh/hook-weight").asInt()).as("created before the Job")
                .isLessThan(job.at("/metadata/annotations").get(UNHOOKED_PREFIX + "helm.sh/hook-weight").asInt());
        JsonNode jobPodLabels = job.at("/spec/template/metadata/labels");
        policy.at("/spec/podSelector/matchLabels").fields().forEachRemaining(label -> assertThat(
                jobPodLabels.path(label.getKey()).asText()).as("selects the Job's pod: %s", label.getKey())
                .isEqualTo(label.getValue().asText()));
        JsonNode proxyPodLabels = deployment(documents).at("/spec/template/metadata/labels");
        assertThat(proxyPodLabels.path("app.kubernetes.io/component").asText()).as("and not the proxy's")
                .isNotEqualTo(policy.at("/spec/podSelector/matchLabels/app.kubernetes.io~1component").asText());
        assertThat(texts(policy.at("/spec/policyTypes"))).containsExactlyInAnyOrder("Ingress", "Egress");
        assertThat(policy.at("/spec/ingress").isMissingNode()).as("no ingress rule: nothing may reach it").isTrue();
        List<String> egressPorts = new ArrayList<>();
        policy.at("/spec/egress").forEach(rule -> rule.get("ports")
                .forEach(port -> egressPorts.add(port.get("protocol").asText() + "/" + port.get("port").asInt())));
        assertThat(egressPorts).containsExactlyInAnyOrder("UDP/53", "TCP/53", "TCP/5432");
        assertThat(egressRule(policy, 5432).at("/to/0/namespaceSelector/matchLabels/kubernetes.io~1metadata.name")
                .asText()).isEqualTo("databases");
        assertThat(egressRule(policy, 53).at("/to/0/podSelector/matchLabels/k8s-app").asText()).isEqualTo("kube-dns");

        // Its own extra rules (database IAM's token endpoint, say), and none of the proxy's.
        ObjectNode production = (ObjectNode) YAML.readTree(PRODUCTION_VALUES.toFile());
        ((ObjectNode) production.at("/networkPolicy")).putObject("migrationJob").putArray("extraEgress").addObject()
                .putArray("ports").addObject().put("port", 8443).put("protocol", "TCP");
        ((ObjectNode) production.at("/networkPolicy")).putArray("extraEgress").addObject().putArray("ports")
                .addObject().put("port", 3128).put("protocol", "TCP");
        Path values = work.resolve("job-egress.yaml");
        YAML.writeValue(values.toFile(), production);
        JsonNode withExtra = migrationPolicy(renderUnhooked(work.resolve("extra"), values));
        assertThat(egressRule(withExtra, 8443).isMissingNode()).isFalse();
        assertThat(withExtra.toString()).doesNotContain("3128");

        // A full name of 62 or 63 characters (a long release name): the Job's names keep their suffix, so its
        // policy, a hook deleted before each upgrade, never takes the proxy's name (review).
        for (int length : new int[] { 62, 63 }) {
            ObjectNode longName = (ObjectNode) YAML.readTree(PRODUCTION_VALUES.toFile());
            longName.put("fullnameOverride", "x".repeat(length));
            Path named = work.resolve("long-name-" + length + ".yaml");
            YAML.writeValue(named.toFile(), longName);
            List<String> names = renderUnhooked(work.resolve("long-" + length), named).stream()
                    .map(document -> document.path("kind").asText() + "/" + document.at("/metadata/name").asText())
                    .toList();
            assertThat(names).as("names of the rendered objects").doesNotHaveDuplicates()
                    .allMatch(name -> name.length() - name.indexOf('/') - 1 <= 63)
                    .contains("Job/" + "x".repeat(55) + "-migrate");
        }

        ((ObjectNode) production.at("/networkPolicy")).put("enabled", false);
        YAML.writeValue(values.toFile(), production);
        assertThat(kinds(renderUnhooked(work.resolve("disabled"), values))).contains("Job")
                .doesNotContain("NetworkPolicy");
    }

    private static JsonNode migrationPolicy(List<JsonNode> documents) {
        List<JsonNode> policies = documents.stream().filter(HelmChartTest::isMigrationPolicy).toList();
        assertThat(policies).as("the migration Job's NetworkPolicy").hasSize(1);
        return policies.get(0);
    }

    private static boolean isMigrationPolicy(JsonNode document) {
        return document.path("kind").asText().equals("NetworkPolicy")
                && document.at("/metadata/name").asText().endsWith("-migrate");
    }

    @Test
    void withRunInPodEveryPodMigratesAsTheOwnerAndNoJobIsRendered(@TempDir Path work) throws IOException {
        JsonNode container = proxyContainer(deployment(renderProduction(template -> template
                .set("database.migration.runIn", "pod"))));
        assertSecretKeyRef(container, "QUARKUS_FLYWAY_USERNAME", "domo-migration-proxy-db-owner", "username");
        assertSecretKeyRef(container, "QUARKUS_FLYWAY_PASSWORD", "domo-migration-proxy-db-owner", "password");
        assertSecretKeyRef(container, "PROXY_DB_APP_ROLE", "domo-migration-proxy-db-app", "username");
        assertThat(env(container, "QUARKUS_FLYWAY_MIGRATE_AT_START")).isNull();

        Path values = work.resolve("run-in-pod.yaml");
        ObjectNode production = (ObjectNode) YAML.readTree(PRODUCTION_VALUES.toFile());
        ((ObjectNode) production.at("/database/migration")).put("runIn", "pod");
        YAML.writeValue(values.toFile(), production);
        assertThat(kinds(renderUnhooked(work, values))).doesNotContain("Job");
    }

    @Test
    void theMigrationPodHasItsOwnAnnotationsServiceAccountAndRetries(@TempDir Path work) throws IOException {
        ObjectNode production = (ObjectNode) YAML.readTree(PRODUCTION_VALUES.toFile());
        production.putObject("podAnnotations").put("sidecar.istio.io/inject", "true").put("team", "data");
        ObjectNode job = ((ObjectNode) production.at("/database/migration")).putObject("job");
        job.putObject("podAnnotations").put("sidecar.istio.io/inject", "false");
        job.put("serviceAccountName", "db-iam-migrator").put("backoffLimit", 0);
        Path values = work.resolve("sidecar.yaml");
        YAML.writeValue(values.toFile(), production);
        List<JsonNode> documents = renderUnhooked(work, values);

        JsonNode jobPod = only(documents, "Job").at("/spec/template/metadata/annotations");
        assertThat(jobPod.get("sidecar.istio.io/inject").asText()).isEqualTo("false");
        assertThat(jobPod.get("team").asText()).isEqualTo("data");
        JsonNode proxyPod = deployment(documents).at("/spec/template/metadata/annotations");
        assertThat(proxyPod.get("sidecar.istio.io/inject").asText()).isEqualTo("true");
        assertThat(only(documents, "Job").at("/spec/template/spec/serviceAccountName").asText())
                .isEqualTo("db-iam-migrator");
        assertThat(only(documents, "Job").at("/spec/backoffLimit").asInt(-1)).isZero();
    }

    /** `helm upgrade --reuse-values` from a chart without the Job's values leaves them unset: the Job still renders. */
    @Test
    void theMigrationJobRendersWithItsValuesUnset(@TempDir Path work) throws IOException {
        ObjectNode production = (ObjectNode) YAML.readTree(PRODUCTION_VALUES.toFile());
        ((ObjectNode) production.at("/database/migration")).putNull("job");
        Path values = work.resolve("without-job-values.yaml");
        YAML.writeValue(values.toFile(), production);

        JsonNode job = only(renderUnhooked(work, values), "Job");
        assertThat(job.at("/spec/backoffLimit").asInt()).isEqualTo(1);
        assertThat(job.at("/spec/activeDeadlineSeconds").asInt()).isEqualTo(270);
        assertThat(job.at("/spec/template/spec/serviceAccountName").isMissingNode()).isTrue();
    }

    /** The same for the CA and the egress proxy of Domo: without their values, Domo is reached directly. */
    @Test
    void theDeploymentRendersWithDomosCaAndProxyValuesUnset(@TempDir Path work) throws IOException {
        ObjectNode production = (ObjectNode) YAML.readTree(PRODUCTION_VALUES.toFile());
        ((ObjectNode) production.at("/domo")).putNull("ca").putNull("proxy");
        ((ObjectNode) production.at("/networkPolicy/egress")).putNull("domoProxy");
        Path values = work.resolve("without-domo-ca-and-proxy-values.yaml");
        YAML.writeValue(values.toFile(), production);

        List<JsonNode> documents = renderUnhooked(work, values);
        JsonNode container = proxyContainer(deployment(documents));
        assertThat(env(container, "DOMO_PROXY_URL")).isNull();
        assertThat(env(container, "DOMO_CA_FILE")).isNull();
        JsonNode policy = documents.stream().filter(document -> document.at("/kind").asText().equals("NetworkPolicy")
                && document.at("/metadata/name").asText().equals(FULLNAME)).findFirst().orElseThrow();
        assertThat(egressRule(policy, 443).isMissingNode()).isFalse();
    }

    @Test
    void jdbcUrlCanBeGivenWhole() {
        JsonNode container = proxyContainer(deployment(renderMinimum(template -> template
                .set("database.jdbcUrl", "jdbc:postgresql://db-1:5433,db-2:5433/audit?targetServerType=primary"))));

        assertThat(envValue(container, "QUARKUS_DATASOURCE_JDBC_URL"))
                .isEqualTo("jdbc:postgresql://db-1:5433,db-2:5433/audit?targetServerType=primary");
    }

    /**
     * A whole JDBC URL names its own hosts and ports: both NetworkPolicies open those ports (a host
     * without one means PostgreSQL's 5432), not `database.port`, or the migration Job times out.
     */
    @Test
    void withAJdbcUrlBothNetworkPoliciesOpenThePortsOfItsHosts(@TempDir Path work) throws IOException {
        List<JsonNode> multiHost = renderWithJdbcUrl(work.resolve("multi-host"),
                "jdbc:postgresql://db-1:5433,db-2:5433/audit?targetServerType=primary");
        assertThat(egressPorts(only(multiHost.stream().filter(document -> !isMigrationPolicy(document)).toList(),
                "NetworkPolicy"))).containsExactlyInAnyOrder("UDP/53", "TCP/53", "TCP/5433", "TCP/443", "TCP/6514");
        assertThat(egressPorts(migrationPolicy(multiHost))).containsExactlyInAnyOrder("UDP/53", "TCP/53", "TCP/5433");
        assertThat(egressRule(migrationPolicy(multiHost), 5433)
                .at("/to/0/namespaceSelector/matchLabels/kubernetes.io~1metadata.name").asText()).isEqualTo("databases");

        List<JsonNode> withoutPorts = renderWithJdbcUrl(work.resolve("without-ports"), "jdbc:postgresql://db-1,db-2/audit");
        assertThat(egressPorts(migrationPolicy(withoutPorts))).containsExactlyInAnyOrder("UDP/53", "TCP/53", "TCP/5432");

        List<JsonNode> mixed = renderWithJdbcUrl(work.resolve("mixed"), "jdbc:postgresql://db-1:5433,[2001:db8::1]/audit");
        assertThat(egressPorts(migrationPolicy(mixed)))
                .containsExactlyInAnyOrder("UDP/53", "TCP/53", "TCP/5433", "TCP/5432");
    }

    /** The production values with the URL given whole and a `database.port` it must override. */
    private static List<JsonNode> renderWithJdbcUrl(Path work, String jdbcUrl) throws IOException {
        ObjectNode production = (ObjectNode) YAML.readTree(PRODUCTION_VALUES.toFile());
        ((ObjectNode) production.get("database")).put("jdbcUrl", jdbcUrl).put("port", 6432);
        Files.createDirectories(work);
        Path values = work.resolve("jdbc-url.yaml");
        YAML.writeValue(values.toFile(), production);
        return renderUnhooked(work, values);
    }

    private static List<String> egressPorts(JsonNode policy) {
        List<String> ports = new ArrayList<>();
        policy.at("/spec/egress").forEach(rule -> rule.get("ports")
                .forEach(port -> ports.add(port.get("protocol").asText() + "/" + port.get("port").asInt())));
        return ports;
    }

    @Test
    void applicationSettingsReachTheEnvironment() {
        JsonNode minimum = proxyContainer(deployment(renderMinimum(UnaryOperator.identity())));
        assertThat(envValue(minimum, "DOMO_BASE_URL")).isEqualTo("https://acme.domo.com");
        assertThat(envValue(minimum, "DOMO_SANDBOX_ENABLED")).isEqualTo("false");
        assertThat(envValue(minimum, "DOMO_READ_TIMEOUT")).isEqualTo("30s");
        assertThat(envValue(minimum, "DOMO_MIGRATION_TIMEOUT")).isEqualTo("120s");
        assertThat(envValue(minimum, "PROXY_API_KEYS_FILE"))
                .isEqualTo(mount(minimum, "api-keys").get("mountPath").asText() + "/api-keys.json");
        assertThat(env(minimum, "MP_JWT_VERIFY_PUBLICKEY_LOCATION")).as("API keys only").isNull();

        JsonNode production = proxyContainer(deployment(renderProduction(UnaryOperator.identity())));
        assertThat(envValue(production, "MP_JWT_VERIFY_PUBLICKEY_LOCATION"))
                .isEqualTo("https://sso.example.com/realms/acme/protocol/openid-connect/certs");
        assertThat(envValue(production, "MP_JWT_VERIFY_ISSUER")).isEqualTo("https://sso.example.com/realms/acme");
        assertThat(envValue(production, "MP_JWT_VERIFY_AUDIENCES")).isEqualTo("domo-migration-proxy");
        assertThat(proxyContainer(deployment(renderProduction(UnaryOperator.identity()))).get("image").asText())
                .isEqualTo("registry.example.com/platform/domo-migration-proxy:1.0.0");
    }

    /**
     * The JVM settings the benchmark measured (docs/performance.md): the image's AOT cache, compact
     * object headers, the serial collector and C2 alone it was made with (no C1-only flag), a 32 MiB
     * code cache, freed native memory given back, two malloc arenas, and a heap of 10% of the memory limit.
     */
    @Test
    void jvmSettingsAreTheMeasuredOnes() {
        JsonNode minimum = proxyContainer(deployment(renderMinimum(UnaryOperator.identity())));
        assertThat(envValue(minimum, "JAVA_MAX_MEM_RATIO")).isEqualTo("10");
        assertThat(envValue(minimum, "GC_CONTAINER_OPTIONS")).isEqualTo("-XX:+UseSerialGC");
        assertThat(envValue(minimum, "GC_MIN_HEAP_FREE_RATIO")).isEqualTo("40");
        assertThat(envValue(minimum, "GC_MAX_HEAP_FREE_RATIO")).isEqualTo("70");
        assertThat(envValue(minimum, "MALLOC_ARENA_MAX")).isEqualTo("2");
        assertThat(envValue(minimum, "JAVA_OPTS_APPEND")).isEqualTo("-XX:AOTCache=/deployments/app.aot"
                + " -XX:InitialRAMPercentage=10 -XX:+UseCompactObjectHeaders -XX:-TieredCompilation"
                + " -XX:ReservedCodeCacheSize=32m -XX:TrimNativeHeapInterval=5000"
                + " -XX:+ExitOnOutOfMemoryError"
                + " -Dquarkus.http.host=0.0.0.0"
                + " -Djava.util.logging.manager=org.jboss.logmanager.LogManager");
        assertThat(envValue(minimum, "JAVA_OPTS_APPEND")).doesNotContain("TieredStopAtLevel", "SharedArchiveFile");
        assertThat(proxyContainer(deployment(renderMinimum(UnaryOperator.identity()))).at("/resources/limits/memory")
                .asText()).isEqualTo("512Mi");
        // The two cores the benchmarks ran on: under one the JVM sizes itself for one processor.
        assertThat(proxyContainer(deployment(renderMinimum(UnaryOperator.identity()))).at("/resources/limits/cpu")
                .asText()).isEqualTo("2");

        JsonNode withoutCache = proxyContainer(deployment(renderMinimum(template -> template.set("jvm.aotCache", "false")
                .set("jvm.extraOptions", "-XX:+TieredCompilation -XX:TieredStopAtLevel=1"))));
        assertThat(envValue(withoutCache, "JAVA_OPTS_APPEND"))
                .isEqualTo("-XX:InitialRAMPercentage=10 -XX:+UseCompactObjectHeaders -XX:-TieredCompilation"
                        + " -XX:ReservedCodeCacheSize=32m -XX:TrimNativeHeapInterval=5000"
                        + " -XX:+ExitOnOutOfMemoryError"
                        + " -Dquarkus.http.host=0.0.0.0 -Djava.util.logging.manager=org.jboss.logmanager.LogManager"
                        + " -XX:+TieredCompilation -XX:TieredStopAtLevel=1");
    }

    /**
     * What is measured is what ships: the chart sets the Dockerfile's JVM environment, and the
     * benchmark (deploy/bench/lib/jvm.sh) runs the options the image's run-java.sh makes of it
     * (ubi9/openjdk-25-runtime: {@code -XX:MaxRAMPercentage} from JAVA_MAX_MEM_RATIO, then
     * GC_CONTAINER_OPTIONS with the heap's free ratios of GC_MIN/MAX_HEAP_FREE_RATIO and the exit on
     * OutOfMemoryError, then JAVA_OPTS_APPEND), but for what only a container needs: the heap as -Xms
     * and -Xmx of the chart's memory limit instead of percentages, the AOT cache that run.sh trains itself, and loopback instead of
     * 0.0.0.0.
     */
    @Test
    void theBenchmarkRunsTheJvmTheImageAndTheChartRun() throws IOException {
        String dockerfile = Files.readString(Path.of("deploy", "docker", "Dockerfile.jvm"));
        JsonNode chart = proxyContainer(deployment(renderMinimum(UnaryOperator.identity())));
        Map<String, String> imageEnv = new LinkedHashMap<>();
        for (String name : List.of("JAVA_MAX_MEM_RATIO", "GC_CONTAINER_OPTIONS", "GC_MIN_HEAP_FREE_RATIO",
                "GC_MAX_HEAP_FREE_RATIO", "MALLOC_ARENA_MAX", "JAVA_OPTS_APPEND")) {
            var matcher = Pattern.compile("(?m)^ENV " + name + "=\"?([^\"\n]*)\"?$").matcher(dockerfile);
            assertThat(matcher.find()).as("Dockerfile.jvm sets " + name).isTrue();
            imageEnv.put(name, matcher.group(1));
            assertThat(envValue(chart, name)).as("the chart's " + name).isEqualTo(matcher.group(1));
        }

        List<String> image = new ArrayList<>();
        image.add("-XX:MaxRAMPercentage=" + imageEnv.get("JAVA_MAX_MEM_RATIO") + ".0");
        image.addAll(List.of(imageEnv.get("GC_CONTAINER_OPTIONS").split(" ")));
        image.addAll(List.of("-XX:MinHeapFreeRatio=" + imageEnv.get("GC_MIN_HEAP_FREE_RATIO"),
                "-XX:MaxHeapFreeRatio=" + imageEnv.get("GC_MAX_HEAP_FREE_RATIO"), "-XX:GCTimeRatio=4",
                "-XX:AdaptiveSizePolicyWeight=90", "-XX:+ExitOnOutOfMemoryError"));
        image.addAll(List.of(imageEnv.get("JAVA_OPTS_APPEND").split(" ")));
        int limitMib = Integer.parseInt(chart.at("/resources/limits/memory").asText().replace("Mi", ""));
        int heapMib = limitMib * Integer.parseInt(imageEnv.get("JAVA_MAX_MEM_RATIO")) / 100;
        assertThat(image).as("the heap starts at its maximum").contains("-XX:InitialRAMPercentage="
                + imageEnv.get("JAVA_MAX_MEM_RATIO"));
        List<String> measured = image.stream()
                .filter(option -> !option.startsWith("-XX:AOTCache=") && !option.startsWith("-Dquarkus.http.host="))
                .map(option -> option.startsWith("-XX:MaxRAMPercentage=") ? "-Xmx" + heapMib + "m"
                        : option.startsWith("-XX:InitialRAMPercentage=") ? "-Xms" + heapMib + "m" : option)
                .distinct().sorted().toList();

        String jvmSh = Files.readString(Path.of("deploy", "bench", "lib", "jvm.sh"));
        Map<String, String> shell = new LinkedHashMap<>();
        var assignments = Pattern.compile("(?m)^([A-Z_]+)=\"([^\"]*)\"$").matcher(jvmSh);
        while (assignments.find()) {
            String value = assignments.group(2);
            for (Map.Entry<String, String> earlier : shell.entrySet()) {
                value = value.replace("$" + earlier.getKey(), earlier.getValue());
            }
            shell.put(assignments.group(1), value);
        }
        assertThat(Pattern.compile("\\s+").splitAsStream(shell.get("RUN_FLAGS").strip()).distinct().sorted().toList())
                .as("deploy/bench/lib/jvm.sh's RUN_FLAGS").isEqualTo(measured);
        String runSh = Files.readString(Path.of("deploy", "bench", "run.sh"));
        assertThat(runSh).contains("KEPT_JAVA_OPTS=\"-XX:AOTCache=$AOT_CACHE $RUN_FLAGS\"")
                .contains("MALLOC_ARENA_MAX=" + imageEnv.get("MALLOC_ARENA_MAX"));
    }

    @Test
    void imageDefaultsToTheChartAppVersionAndPrefersADigest() {
        assertThat(proxyContainer(deployment(renderMinimum(UnaryOperator.identity()))).get("image").asText())
                .isEqualTo("domo-migration-proxy:1.0.0");

        String digest = "sha256:" + "a".repeat(64);
        assertThat(proxyContainer(deployment(renderMinimum(template -> template.set("image.digest", digest)))).get("image").asText())
                .isEqualTo("domo-migration-proxy@" + digest);
    }

    @Test
    void jwtKeyFromAConfigMapIsMountedAndReferencedAsAFile() {
        JsonNode deployment = deployment(renderMinimum(template -> template
                .set("jwt.issuer", "https://sso.example.com")
                .set("jwt.publicKey.existingConfigMap", "jwt-keys")
                .set("jwt.publicKey.key", "jwks.json")));
        JsonNode container = proxyContainer(deployment);

        assertThat(volume(deployment, "jwt-public-key").at("/configMap/name").asText()).isEqualTo("jwt-keys");
        assertThat(envValue(container, "MP_JWT_VERIFY_PUBLICKEY_LOCATION"))
                .isEqualTo("file:" + mount(container, "jwt-public-key").get("mountPath").asText() + "/jwks.json");
    }

    @Test
    void nothingRenderedHoldsASecret() {
        for (List<JsonNode> documents : List.of(renderMinimum(UnaryOperator.identity()), renderProduction(UnaryOperator.identity()))) {
            assertThat(documents).extracting(document -> document.path("kind").asText()).doesNotContain("Secret");

            List<String> secretLikeNames = new ArrayList<>();
            for (JsonNode variable : proxyContainer(deployment(documents)).path("env")) {
                String name = variable.get("name").asText();
                if (!SECRET_LIKE_NAME.matcher(name).matches()) {
                    continue;
                }
                secretLikeNames.add(name);
                if (!variable.has("value")) {
                    assertThat(variable.at("/valueFrom/secretKeyRef/name").asText()).as(name).isNotBlank();
                } else if (name.endsWith("_FILE") || name.endsWith("_DIR")) {
                    assertThat(variable.get("value").asText()).as("%s is a path into a mounted volume", name)
                            .startsWith("/var/run/secrets/");
                } else if (name.equals("PROXY_API_KEY_EXPIRY_WARNING")) {
                    assertThat(variable.get("value").asText()).as("%s is a duration, not a key", name)
                            .matches("[0-9]+(ms|s|m|h|d)|P.+");
                } else {
                    assertThat(name).as("only the public key's location may be a literal").isEqualTo("MP_JWT_VERIFY_PUBLICKEY_LOCATION");
                    assertThat(variable.get("value").asText()).as(name).matches("(https://|file:/).+");
                }
            }
            assertThat(secretLikeNames).as("the check saw the credentials it guards")
                    .contains("DOMO_DEVELOPER_TOKEN_FILE", "QUARKUS_DATASOURCE_PASSWORD", "PROXY_API_KEYS_FILE");
        }
    }

    @Test
    void checkpointKeysDirectoryAndSyslogReachThePodByReference() {
        JsonNode deployment = deployment(renderProduction(UnaryOperator.identity()));
        JsonNode container = proxyContainer(deployment);

        assertThat(volume(deployment, "checkpoint-signing-key").at("/secret/secretName").asText())
                .isEqualTo("domo-migration-proxy-checkpoint-key");
        assertThat(mount(container, "checkpoint-signing-key").get("readOnly").asBoolean()).isTrue();
        assertThat(envValue(container, "PROXY_AUDIT_SIGNING_KEY_FILE"))
                .isEqualTo(mount(container, "checkpoint-signing-key").get("mountPath").asText() + "/signing-key.pem");
        assertThat(volume(deployment, "checkpoint-verify-keys").at("/configMap/name").asText())
                .isEqualTo("domo-migration-proxy-checkpoint-public-keys");
        assertThat(envValue(container, "PROXY_AUDIT_VERIFY_KEYS_DIR"))
                .isEqualTo(mount(container, "checkpoint-verify-keys").get("mountPath").asText());
        assertThat(volume(deployment, "checkpoints").at("/persistentVolumeClaim/claimName").asText())
                .isEqualTo("domo-migration-proxy-checkpoints");
        assertThat(mount(container, "checkpoints").path("readOnly").asBoolean(false)).isFalse();
        assertThat(envValue(container, "PROXY_AUDIT_CHECKPOINT_DIR"))
                .isEqualTo(mount(container, "checkpoints").get("mountPath").asText());
        assertThat(envValue(container, "PROXY_AUDIT_CHECKPOINT_INTERVAL")).isEqualTo("1m");
        assertThat(envValue(container, "PROXY_AUDIT_SYSLOG_URL"))
                .isEqualTo("tls://siem-collector.security.svc.cluster.local:6514");
        assertThat(volume(deployment, "syslog-ca").at("/configMap/name").asText()).isEqualTo("siem-collector-ca");
        assertThat(envValue(container, "PROXY_AUDIT_SYSLOG_CA_FILE"))
                .isEqualTo(mount(container, "syslog-ca").get("mountPath").asText() + "/ca.pem");
        assertThat(envValue(container, "PROXY_AUDIT_STREAM_MAX_LAG")).isEqualTo("15m");
    }

    @Test
    void withoutEvidenceValuesNoKeyNoDirectoryAndNoSyslogRuleAreRendered() {
        List<JsonNode> documents = renderMinimum(UnaryOperator.identity());
        JsonNode container = proxyContainer(deployment(documents));

        assertThat(env(container, "PROXY_AUDIT_SIGNING_KEY_FILE")).isNull();
        assertThat(env(container, "PROXY_AUDIT_CHECKPOINT_DIR")).isNull();
        assertThat(env(container, "PROXY_AUDIT_SYSLOG_URL")).isNull();
        assertThat(deployment(documents).at("/spec/template/spec/volumes").toString())
                .doesNotContain("checkpoint", "syslog-ca");
        List<Integer> egressPorts = new ArrayList<>();
        only(documents, "NetworkPolicy").at("/spec/egress")
                .forEach(rule -> rule.get("ports").forEach(port -> egressPorts.add(port.get("port").asInt())));
        assertThat(egressPorts).containsExactlyInAnyOrder(53, 53, 5432, 443);

        JsonNode policy = only(renderMinimum(template -> template.set("audit.syslog.url", "tcp://siem.example:1514")
                .set("audit.syslog.allowPlainTcp", "true")), "NetworkPolicy");
        assertThat(egressRule(policy, 1514).has("to")).as("any destination on the receiver's port").isFalse();
        JsonNode ipv6 = only(renderMinimum(template -> template.set("audit.syslog.url", "tls://[2001:db8::5]:6514")),
                "NetworkPolicy");
        assertThat(egressRule(ipv6, 6514).has("to")).as("an IPv6 receiver's port").isFalse();
    }

    /**
     * Secret and ConfigMap names, keys and paths that YAML would read as a boolean or a number (the
     * schema allows "true", "on", "2024") render as strings: unquoted, the API server refused the
     * manifest at install, past every render-time check (deploy review).
     */
    @Test
    void namesAndKeysThatLookLikeBooleansOrNumbersRenderAsStrings() throws IOException {
        Path values = Files.createTempFile("string-keys", ".yaml");
        Files.writeString(values, "database:\n  usernameKey: \"true\"\n  passwordKey: \"1.0\"\n"
                + "domo:\n  existingSecretKey: \"2024\"\napiKeys:\n  existingSecretKey: \"on\"\n");
        JsonNode deployment = deployment(renderMinimum(template -> template.withValuesFile(values)));
        JsonNode container = proxyContainer(deployment);
        JsonNode user = env(container, "QUARKUS_DATASOURCE_USERNAME").at("/valueFrom/secretKeyRef/key");
        assertThat(user.isTextual()).as(user.toString()).isTrue();
        assertThat(user.asText()).isEqualTo("true");
        JsonNode password = env(container, "QUARKUS_DATASOURCE_PASSWORD").at("/valueFrom/secretKeyRef/key");
        assertThat(password.isTextual()).as(password.toString()).isTrue();
        assertThat(password.asText()).isEqualTo("1.0");
        for (String[] item : new String[][] { { "domo-token", "2024" }, { "api-keys", "on" } }) {
            JsonNode key = volume(deployment, item[0]).at("/secret/items/0/key");
            JsonNode path = volume(deployment, item[0]).at("/secret/items/0/path");
            assertThat(key.isTextual() && path.isTextual()).as(key + " " + path).isTrue();
            assertThat(key.asText()).isEqualTo(item[1]);
        }
    }

    /** A renamed trail's former origins reach the proxy as one list, a comma within a name escaped. */
    @Test
    void formerOriginsReachTheProxyAsOneList() throws IOException {
        Path values = Files.createTempFile("former-origins", ".yaml");
        Files.writeString(values, "audit:\n  origin: acme-prod\n  formerOrigins: [domo-migration-proxy, \"acme,eu\", \"acme\\\\west\"]\n");
        JsonNode container = proxyContainer(deployment(renderMinimum(template -> template.withValuesFile(values))));
        assertThat(envValue(container, "PROXY_AUDIT_FORMER_ORIGINS")).isEqualTo("domo-migration-proxy,acme\\,eu,acme\\\\west");
        assertThat(env(proxyContainer(deployment(renderMinimum(template -> template))), "PROXY_AUDIT_FORMER_ORIGINS"))
                .isNull();
        // As the proxy refuses to start with it: a space at either end of one.
        Files.writeString(values, "audit:\n  formerOrigins: [\"acme \"]\n");
        assertThatThrownBy(() -> renderMinimum(template -> template.withValuesFile(values)))
                .hasMessageContaining("formerOrigins");
    }

    @Test
    void schemaRejectsASyslogUrlThatIsNotTcpOrTls() {
        for (String url : List.of("udp://siem.example:514", "tcp://::1:514", "tls://[siem.example]:6514")) {
            assertThatThrownBy(() -> renderMinimum(template -> template.set("audit.syslog.url", url))).as(url)
                    .hasMessageContaining("schema")
                    .hasMessageContaining("url");
        }
    }

    /** As the proxy refuses to start on it (JwtIssuerCheck): the keys that vouch for every JWT, fetched in clear. */
    @Test
    void schemaRejectsAJwtKeyLocationOverPlainHttp() {
        assertThatThrownBy(() -> renderMinimum(template -> template.set("jwt.issuer", "https://sso.example.com")
                .set("jwt.publicKey.location", "http://keycloak.auth.svc:8080/realms/acme/protocol/openid-connect/certs")))
                .hasMessageContaining("schema").hasMessageContaining("location");
    }

    /** As the proxy refuses to start: the trail in clear to another host only when the values say so. */
    @Test
    void aPlainTcpReceiverOnAnotherHostNeedsTheOptIn() {
        assertThatThrownBy(() -> renderMinimum(template -> template.set("audit.syslog.url", "tcp://siem.example:1514")))
                .hasMessageContaining("audit.syslog.url is tcp:// to siem.example")
                .hasMessageContaining("audit.syslog.allowPlainTcp=true");
        JsonNode allowed = proxyContainer(deployment(renderMinimum(template -> template
                .set("audit.syslog.url", "tcp://siem.example:1514").set("audit.syslog.allowPlainTcp", "true"))));
        assertThat(envValue(allowed, "PROXY_AUDIT_SYSLOG_ALLOW_PLAIN_TCP")).isEqualTo("true");
        assertThatThrownBy(() -> renderMinimum(template -> template.set("audit.syslog.url", "tcp://[2001:db8::5]:1514")))
                .hasMessageContaining("audit.syslog.url is tcp:// to [2001:db8::5]");
        for (String url : List.of("tcp://127.0.0.1:1514", "tcp://localhost:1514", "tls://siem.example:6514",
                "tcp://[::1]:1514", "tls://[2001:db8::5]:6514")) {
            JsonNode container = proxyContainer(deployment(renderMinimum(template -> template.set("audit.syslog.url", url))));
            assertThat(envValue(container, "PROXY_AUDIT_SYSLOG_URL")).isEqualTo(url);
            assertThat(env(container, "PROXY_AUDIT_SYSLOG_ALLOW_PLAIN_TCP")).as(url).isNull();
        }
    }

    @Test
    void aSyslogCaWithoutATlsReceiverIsRefused() {
        for (String url : List.of("tcp://siem.example:1514", "")) {
            assertThatThrownBy(() -> renderMinimum(template -> template.set("audit.syslog.url", url)
                    .set("audit.syslog.ca.existingConfigMap", "siem-ca")))
                    .as(url).hasMessageContaining("audit.syslog.ca.existingConfigMap is for a tls:// receiver");
        }
    }

    /** A budget that lets no pod be evicted makes every node drain and cluster upgrade wait for ever. */
    @Test
    void aPodDisruptionBudgetThatAllowsNoEvictionIsRefused() {
        for (UnaryOperator<TemplateCommand> values : List.<UnaryOperator<TemplateCommand>>of(
                template -> template.set("pdb.minAvailable", "3"), template -> template.set("pdb.minAvailable", "100%"),
                template -> template.set("pdb.minAvailable", "67%"), template -> template.set("pdb.maxUnavailable", "0"))) {
            assertThatThrownBy(() -> renderProduction(values)).hasMessageContaining("no pod");
        }
        // 66% of the 3 replicas rounds up to 2: one may go.
        assertThat(only(renderProduction(template -> template.set("pdb.minAvailable", "66%")), "PodDisruptionBudget")
                .at("/spec/minAvailable").asText()).isEqualTo("66%");
        assertThat(only(renderProduction(template -> template.set("pdb.maxUnavailable", "1")), "PodDisruptionBudget")
                .at("/spec/maxUnavailable").asInt()).isEqualTo(1);
    }

    // ---- rendering: optional objects ---------------------------------------------------------

    @Test
    void productionRendersNetworkPolicyPdbHpaAndServiceMonitor() {
        List<JsonNode> documents = renderProduction(UnaryOperator.identity());

        JsonNode pdb = only(documents, "PodDisruptionBudget");
        assertThat(pdb.at("/spec/minAvailable").asInt()).isEqualTo(2);
        assertThat(pdb.at("/spec/selector/matchLabels")).isEqualTo(deployment(documents).at("/spec/selector/matchLabels"));

        JsonNode hpa = only(documents, "HorizontalPodAutoscaler");
        assertThat(hpa.get("apiVersion").asText()).isEqualTo("autoscaling/v2");
        assertThat(hpa.at("/spec/minReplicas").asInt()).isEqualTo(3);
        assertThat(hpa.at("/spec/metrics/0/resource/name").asText()).isEqualTo("cpu");
        assertThat(deployment(documents).at("/spec/replicas").isMissingNode()).as("the HPA owns the replica count").isTrue();

        JsonNode serviceMonitor = only(documents, "ServiceMonitor");
        assertThat(serviceMonitor.at("/spec/endpoints/0/port").asText()).isEqualTo("management");
        assertThat(serviceMonitor.at("/spec/endpoints/0/path").asText()).isEqualTo("/q/metrics");
        assertThat(serviceMonitor.at("/metadata/labels/release").asText()).isEqualTo("kube-prometheus-stack");

        JsonNode ingress = only(documents, "Ingress");
        assertThat(ingress.at("/spec/rules/0/http/paths/0/backend/service/port/name").asText()).isEqualTo("http");
        assertThat(ingress.at("/metadata/annotations/nginx.ingress.kubernetes.io~1proxy-body-size").asText())
                .as("a plan may be 8 MiB; ingress-nginx refuses bodies over 1m by default").isEqualTo("8m");
        // Behind the Ingress the audit records the caller's address, taken from X-Forwarded-For only
        // when the ingress controller sent it, so callers inside the cluster cannot forge it.
        JsonNode container = proxyContainer(deployment(documents));
        assertThat(envValue(container, "QUARKUS_HTTP_PROXY_PROXY_ADDRESS_FORWARDING")).isEqualTo("true");
        assertThat(envValue(container, "QUARKUS_HTTP_PROXY_TRUSTED_PROXIES")).isNotBlank();

        assertProductionNetworkPolicy(only(documents, "NetworkPolicy"), deployment(documents));
    }

    private static void assertProductionNetworkPolicy(JsonNode policy, JsonNode deployment) {
        assertThat(policy.at("/spec/podSelector/matchLabels")).isEqualTo(deployment.at("/spec/selector/matchLabels"));
        assertThat(texts(policy.at("/spec/policyTypes"))).containsExactlyInAnyOrder("Ingress", "Egress");

        List<Integer> ingressPorts = new ArrayList<>();
        policy.at("/spec/ingress").forEach(rule -> {
            assertThat(rule.has("from")).as("every ingress rule names its sources: %s", rule).isTrue();
            rule.get("ports").forEach(port -> ingressPorts.add(port.get("port").asInt()));
        });
        assertThat(ingressPorts).containsExactlyInAnyOrder(8080, 9000);
        JsonNode management = ingressRule(policy, 9000);
        assertThat(management.toString()).contains("monitoring", "\"app.kubernetes.io/component\":\"test\"");

        List<String> egressPorts = new ArrayList<>();
        policy.at("/spec/egress").forEach(rule -> rule.get("ports")
                .forEach(port -> egressPorts.add(port.get("protocol").asText() + "/" + port.get("port").asInt())));
        assertThat(egressPorts).containsExactlyInAnyOrder("UDP/53", "TCP/53", "TCP/5432", "TCP/443", "TCP/6514");
        assertThat(egressRule(policy, 6514).at("/to/0/namespaceSelector/matchLabels/kubernetes.io~1metadata.name").asText())
                .isEqualTo("security");
        assertThat(egressRule(policy, 5432).at("/to/0/namespaceSelector/matchLabels/kubernetes.io~1metadata.name").asText())
                .isEqualTo("databases");
        assertThat(egressRule(policy, 53).at("/to/0/podSelector/matchLabels/k8s-app").asText()).isEqualTo("kube-dns");
        assertThat(texts(egressRule(policy, 443).at("/to/0/ipBlock/except"))).contains("10.0.0.0/8");
    }

    /**
     * Domo's addresses listed next to the catch-all, for both families: each except goes only to the
     * catch-all of its family, since Kubernetes refuses an except outside its ipBlock's CIDR.
     */
    @Test
    void domoExceptCidrsGoOnlyToTheCatchAllOfTheirFamily() {
        JsonNode policy = only(renderMinimum(template -> template
                .set("networkPolicy.egress.domo.cidrs[0]", "203.0.113.0/24")
                .set("networkPolicy.egress.domo.cidrs[1]", "0.0.0.0/0")
                .set("networkPolicy.egress.domo.cidrs[2]", "::/0")
                .set("networkPolicy.egress.domo.exceptCidrs[0]", "10.0.0.0/8")
                .set("networkPolicy.egress.domo.exceptCidrs[1]", "fd00::/8")), "NetworkPolicy");
        JsonNode to = egressRule(policy, 443).get("to");
        assertThat(to.get(0).at("/ipBlock/cidr").asText()).isEqualTo("203.0.113.0/24");
        assertThat(to.get(0).at("/ipBlock/except").isMissingNode()).isTrue();
        assertThat(texts(to.get(1).at("/ipBlock/except"))).containsExactly("10.0.0.0/8");
        assertThat(to.get(2).at("/ipBlock/cidr").asText()).isEqualTo("::/0");
        assertThat(texts(to.get(2).at("/ipBlock/except"))).containsExactly("fd00::/8");
    }

    @Test
    void defaultsRenderNetworkPolicyAndPdbButNoOptionalExtras() {
        List<JsonNode> documents = renderMinimum(UnaryOperator.identity());

        assertThat(kinds(documents)).contains("Deployment", "Service", "ServiceAccount", "NetworkPolicy", "PodDisruptionBudget")
                .doesNotContain("ServiceMonitor", "Ingress", "HorizontalPodAutoscaler");
        assertThat(deployment(documents).at("/spec/replicas").asInt()).isEqualTo(2);
        assertThat(only(documents, "PodDisruptionBudget").at("/spec/minAvailable").asInt()).isEqualTo(1);
    }

    @Test
    void serviceMonitorIsRenderedOnlyWhenEnabled() {
        assertThat(kinds(renderMinimum(UnaryOperator.identity()))).doesNotContain("ServiceMonitor");

        JsonNode serviceMonitor = only(renderMinimum(template -> template.set("metrics.serviceMonitor.enabled", "true")), "ServiceMonitor");
        assertThat(serviceMonitor.get("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(serviceMonitor.at("/spec/endpoints/0/path").asText()).isEqualTo("/q/metrics");
        assertThat(serviceMonitor.at("/spec/endpoints/0/port").asText()).isEqualTo("management");

        assertThat(kinds(renderProduction(template -> template.set("metrics.serviceMonitor.enabled", "false"))))
                .doesNotContain("ServiceMonitor");
    }

    @Test
    void noPdbForASingleReplica() {
        assertThat(kinds(renderMinimum(template -> template.set("replicaCount", "1")))).doesNotContain("PodDisruptionBudget");
    }

    @Test
    void networkPolicyCanBeDisabled() {
        assertThat(kinds(renderMinimum(template -> template.set("networkPolicy.enabled", "false")))).doesNotContain("NetworkPolicy");
    }

    @Test
    void helmTestPodIsHardenedAndProbesReadinessOnTheManagementPort(@TempDir Path work) throws IOException {
        JsonNode pod = testHookPod(work);

        assertThat(pod.at("/metadata/annotations/" + UNHOOKED_PREFIX + "helm.sh~1hook").asText()).isEqualTo("test");
        assertThat(pod.at("/metadata/labels/app.kubernetes.io~1component").asText())
                .as("kept out of the Service selector").isEqualTo("test");
        assertThat(pod.at("/spec/restartPolicy").asText()).isEqualTo("Never");
        assertThat(pod.at("/spec/automountServiceAccountToken").asBoolean(true)).isFalse();
        assertThat(pod.at("/spec/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.at("/spec/securityContext/runAsUser").asInt()).isPositive();
        assertThat(pod.at("/spec/securityContext/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
        JsonNode container = pod.at("/spec/containers/0");
        assertThat(container.at("/securityContext/allowPrivilegeEscalation").isBoolean()).isTrue();
        assertThat(container.at("/securityContext/allowPrivilegeEscalation").asBoolean()).isFalse();
        assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(texts(container.at("/securityContext/capabilities/drop"))).containsExactly("ALL");
        List<String> command = new ArrayList<>(texts(container.get("command")));
        command.addAll(texts(container.get("args")));
        assertThat(command).contains("http://" + FULLNAME + "-management:9000/q/health/ready");
    }

    /**
     * OpenShift's restricted SCC assigns the user and group: none of the chart's pods may fix them
     * once the values null them (values.yaml, docs/deploying.md), the test pod included.
     */
    @Test
    void onOpenShiftNoPodFixesItsUserOrGroup(@TempDir Path work) throws IOException {
        ObjectNode openShift = (ObjectNode) YAML.readTree(PRODUCTION_VALUES.toFile());
        openShift.putObject("podSecurityContext").putNull("runAsUser").putNull("runAsGroup").putNull("fsGroup");
        openShift.putObject("containerSecurityContext").putNull("runAsUser").putNull("runAsGroup");
        openShift.putObject("tests").putObject("podSecurityContext").putNull("runAsUser").putNull("runAsGroup");
        Path values = work.resolve("openshift.yaml");
        YAML.writeValue(values.toFile(), openShift);

        List<JsonNode> documents = renderUnhooked(work.resolve("chart"), values);
        JsonNode pod = testHookPod(work.resolve("test-pod"), template -> template.withValuesFile(values));
        for (JsonNode workload : List.of(deployment(documents), only(documents, "Job"))) {
            JsonNode spec = workload.at("/spec/template/spec");
            assertThat(spec.at("/securityContext").toString()).as(workload.get("kind").asText())
                    .doesNotContain("runAsUser", "runAsGroup", "fsGroup");
            assertThat(spec.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
            assertThat(proxyContainer(workload).at("/securityContext").toString()).as(workload.get("kind").asText())
                    .doesNotContain("runAsUser", "runAsGroup");
            assertThat(proxyContainer(workload).at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
        }
        assertThat(pod.at("/spec/securityContext").toString()).doesNotContain("runAsUser", "runAsGroup");
        assertThat(pod.at("/spec/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.at("/spec/containers/0/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();

        JsonNode defaults = testHookPod(work.resolve("defaults"), UnaryOperator.identity()).at("/spec/securityContext");
        assertThat(defaults.at("/runAsUser").asInt()).isEqualTo(65534);
        assertThat(defaults.at("/runAsGroup").asInt()).isEqualTo(65534);
    }

    /** OpenShift's DNS pods listen on 5353, and a NetworkPolicy matches the pod's port, not the Service's. */
    @Test
    void dnsPortsCanBeChangedInBothNetworkPolicies(@TempDir Path work) throws IOException {
        ObjectNode production = (ObjectNode) YAML.readTree(PRODUCTION_VALUES.toFile());
        var dnsPorts = ((ObjectNode) production.at("/networkPolicy/egress")).putObject("dns").putArray("ports");
        dnsPorts.addObject().put("port", 5353).put("protocol", "UDP");
        dnsPorts.addObject().put("port", 5353).put("protocol", "TCP");
        Path values = work.resolve("dns.yaml");
        YAML.writeValue(values.toFile(), production);

        List<JsonNode> documents = renderUnhooked(work, values);
        assertThat(egressPorts(only(documents.stream().filter(document -> !isMigrationPolicy(document)).toList(),
                "NetworkPolicy"))).containsExactlyInAnyOrder("UDP/5353", "TCP/5353", "TCP/5432", "TCP/443", "TCP/6514");
        assertThat(egressPorts(migrationPolicy(documents))).containsExactlyInAnyOrder("UDP/5353", "TCP/5353", "TCP/5432");
        assertThat(egressRule(migrationPolicy(documents), 5353).at("/to/0/podSelector/matchLabels/k8s-app").asText())
                .as("the default peers stay").isEqualTo("kube-dns");
    }

    @Test
    void networkPolicyLetsTheHelmTestPodReachTheManagementPort(@TempDir Path work) throws IOException {
        JsonNode testPodLabels = testHookPod(work).at("/metadata/labels");
        JsonNode allowed = ingressRule(only(renderMinimum(UnaryOperator.identity()), "NetworkPolicy"), 9000)
                .at("/from/0/podSelector/matchLabels");

        assertThat(allowed.size()).isPositive();
        allowed.fields().forEachRemaining(label ->
                assertThat(testPodLabels.path(label.getKey()).asText()).as(label.getKey()).isEqualTo(label.getValue().asText()));
    }

    // ---- values validation ------------------------------------------------------------------

    @Test
    void failsClearlyWithoutTheDomoTokenSecret() {
        assertThatThrownBy(() -> renderWith(template -> template
                .set("domo.baseUrl", "https://acme.domo.com")
                .set("database.host", "postgres")
                .set("database.existingSecret", "proxy-db-app")
                .set("apiKeys.existingSecret", "proxy-api-keys")))
                .hasMessageContaining("domo.existingSecret is required: name an existing Secret holding the Domo developer token");
    }

    @Test
    void sandboxRendersWithoutTheDomoTokenSecret() {
        JsonNode container = proxyContainer(deployment(renderWith(template -> template
                .set("domo.sandbox.enabled", "true")
                .set("database.host", "postgres")
                .set("database.existingSecret", "proxy-db-app")
                .set("apiKeys.existingSecret", "proxy-api-keys"))));

        assertThat(envValue(container, "DOMO_SANDBOX_ENABLED")).isEqualTo("true");
        assertThat(env(container, "DOMO_DEVELOPER_TOKEN_FILE")).isNull();
    }

    @Test
    void failsWithoutAnyCallerAuthentication() {
        assertThatThrownBy(() -> renderMinimum(template -> template.set("apiKeys.existingSecret", "")))
                .hasMessageContaining("no caller authentication configured");
    }

    /**
     * A rollout or a scale-down must let a migration in flight end and record its outcome: the
     * shutdown wait covers the Domo deadline plus the 5 s the outcome may wait for a connection, and
     * the grace period covers the pre-stop sleep plus that wait (in any of the schema's units).
     */
    @Test
    void shutdownTimingsThatWouldCutOffAMigrationAreRefused() {
        assertThat(envValue(proxyContainer(deployment(renderMinimum(UnaryOperator.identity()))),
                "QUARKUS_SHUTDOWN_TIMEOUT")).isEqualTo("130s");
        assertThatThrownBy(() -> renderMinimum(template -> template.set("shutdownTimeout", "129s")))
                .hasMessageContaining("shutdownTimeout (129s) must be at least domo.migrationTimeout (120s) plus 10s");
        assertThatThrownBy(() -> renderMinimum(template -> template.set("domo.migrationTimeout", "3m")))
                .hasMessageContaining("shutdownTimeout (130s) must be at least domo.migrationTimeout (3m) plus 10s");
        // Leading zeros are decimal (Helm's int64 would read "0130s" as octal, 88 s).
        assertThat(deployment(renderMinimum(template -> template.set("shutdownTimeout", "0130s")))).isNotNull();
        assertThatThrownBy(() -> renderMinimum(template -> template.set("terminationGracePeriodSeconds", "135")))
                .hasMessageContaining("terminationGracePeriodSeconds (135) must exceed preStopSleepSeconds (5) plus"
                        + " shutdownTimeout (130s)");
        JsonNode deployment = deployment(renderMinimum(template -> template.set("domo.migrationTimeout", "2m")
                .set("shutdownTimeout", "130000ms").set("preStopSleepSeconds", "0")
                .set("terminationGracePeriodSeconds", "131")));
        assertThat(deployment.at("/spec/template/spec/terminationGracePeriodSeconds").asInt()).isEqualTo(131);
    }

    /**
     * Domo on a port of its own is reachable: the Domo rule opens the port domo.baseUrl names too,
     * and keeps networkPolicy.egress.domo.port (a JWKS on 443). An address's last digits are no port.
     */
    @Test
    void theDomoRuleOpensThePortTheBaseUrlNames() {
        JsonNode policy = only(renderMinimum(template -> template.set("domo.baseUrl", "https://acme.domo.com:8443")),
                "NetworkPolicy");
        assertThat(egressRule(policy, 8443).isMissingNode()).isFalse();
        assertThat(egressRule(policy, 443)).isEqualTo(egressRule(policy, 8443));
        for (String url : List.of("https://10.20.30.40", "https://domo-stub-2", "https://acme.domo.com:443/")) {
            JsonNode plain = only(renderMinimum(template -> template.set("domo.baseUrl", url)), "NetworkPolicy");
            assertThat(egressPorts(plain)).as(url).containsOnlyOnce("TCP/443").doesNotContain("TCP/40", "TCP/2");
        }
    }

    /**
     * As the service takes it: Domo behind a gateway's path, on the default port or its own; never
     * credentials, a query or a fragment, nor plain http (which the service allows only with
     * DOMO_ALLOW_PLAIN_HTTP, for a proxy on a trusted network, and the chart not at all).
     */
    @Test
    void theBaseUrlMayNameAPathButNoCredentialsQueryOrFragment() {
        assertThat(egressPorts(only(renderMinimum(template -> template.set("domo.baseUrl", "https://gw.example/domo/")),
                "NetworkPolicy"))).containsOnlyOnce("TCP/443");
        assertThat(egressRule(only(renderMinimum(template -> template.set("domo.baseUrl", "https://gw.example:8443/domo")),
                "NetworkPolicy"), 8443).isMissingNode()).isFalse();
        assertThat(deployment(renderMinimum(template -> template.set("domo.baseUrl", "https://gw.example/domo")))
                .at("/spec/template/spec/containers/0/env").findValuesAsText("value")).contains("https://gw.example/domo");
        for (String url : List.of("https://user:secret@acme.domo.com", "https://acme.domo.com/?x=1",
                "https://acme.domo.com/#top", "http://acme.domo.com", "https://acme.domo.com/a b")) {
            assertThatThrownBy(() -> renderMinimum(template -> template.set("domo.baseUrl", url))).as(url)
                    .hasMessageContaining("schema").hasMessageContaining("baseUrl");
        }
    }

    /** The database's password comes from its Secret: one written into the JDBC URL would sit in the Deployment. */
    @Test
    void schemaRejectsAPasswordInTheJdbcUrlOrItsParameters() {
        assertThatThrownBy(() -> renderMinimum(template -> template
                .set("database.jdbcUrl", "jdbc:postgresql://db:5432/audit?user=app&password=not-a-real-one")))
                .hasMessageContaining("schema").hasMessageContaining("jdbcUrl");
        assertThatThrownBy(() -> renderMinimum(template -> template
                .set("database.parameters", "sslmode=verify-full&sslpassword=not-a-real-one")))
                .hasMessageContaining("schema").hasMessageContaining("parameters");
        assertThat(envValue(proxyContainer(deployment(renderMinimum(template -> template
                .set("database.parameters", "sslmode=verify-full&passwordless=true")))), "QUARKUS_DATASOURCE_JDBC_URL"))
                .endsWith("?sslmode=verify-full&passwordless=true");
    }

    @Test
    void schemaRejectsAnUnknownTopLevelKey() {
        assertThatThrownBy(() -> renderMinimum(template -> template.set("replicaCout", "3")))
                .hasMessageContaining("schema")
                .hasMessageContaining("replicaCout");
    }

    @Test
    void schemaRejectsAWrongType() {
        assertThatThrownBy(() -> renderMinimum(template -> template.set("replicaCount", "two")))
                .hasMessageContaining("schema")
                .hasMessageContaining("replicaCount");
    }

    @Test
    void schemaRejectsALiteralSecretInExtraEnv() {
        assertThatThrownBy(() -> renderMinimum(template -> template
                .set("extraEnv[0].name", "DOMO_DEVELOPER_TOKEN")
                .set("extraEnv[0].value", "not-a-real-token")))
                .hasMessageContaining("schema")
                .hasMessageContaining("extraEnv");
        // The property's own name reads as a setting too (SmallRye Config maps it), in any letter case.
        assertThatThrownBy(() -> renderMinimum(template -> template
                .set("extraEnv[0].name", "domo.developer-token")
                .set("extraEnv[0].value", "not-a-real-token")))
                .hasMessageContaining("extraEnv");
        // A path to a secret is not a secret, nor is a setting about tokens (console.md sets this one).
        assertThat(proxyContainer(deployment(renderMinimum(template -> template
                .set("extraEnv[0].name", "quarkus.oidc.credentials.secret-file")
                .set("extraEnv[0].value", "/var/run/secrets/oidc/secret"))))).isNotNull();
        assertThat(envValue(proxyContainer(deployment(renderMinimum(template -> template
                .set("extraEnv[0].name", "QUARKUS_OIDC_TOKEN_PRINCIPAL_CLAIM")
                .set("extraEnv[0].value", "email")))), "QUARKUS_OIDC_TOKEN_PRINCIPAL_CLAIM")).isEqualTo("email");
        // A JVM option that carries a secret, through the variables the JVM reads.
        assertThatThrownBy(() -> renderMinimum(template -> template
                .set("extraEnv[0].name", "JAVA_TOOL_OPTIONS")
                .set("extraEnv[0].value", "-Ddomo.developer-token=not-a-real-token")))
                .hasMessageContaining("extraEnv");
        // The token as a variable at all, even from a Secret: the chart mounts it as a file, re-read on rotation.
        assertThatThrownBy(() -> renderMinimum(template -> template
                .set("extraEnv[0].name", "Domo_Developer_Token")
                .set("extraEnv[0].valueFrom.secretKeyRef.name", "domo")
                .set("extraEnv[0].valueFrom.secretKeyRef.key", "token")))
                .hasMessageContaining("extraEnv");
        // Nor for one profile (Quarkus reads _PROD_DOMO_DEVELOPER_TOKEN as %prod.domo.developer-token).
        assertThatThrownBy(() -> renderMinimum(template -> template
                .set("extraEnv[0].name", "_PROD_DOMO_DEVELOPER_TOKEN")
                .set("extraEnv[0].valueFrom.secretKeyRef.name", "domo")
                .set("extraEnv[0].valueFrom.secretKeyRef.key", "token")))
                .hasMessageContaining("extraEnv");
    }

    /** Documented settings whose names hold KEY, TOKEN or CREDENTIAL but whose values are durations, paths or bean names. */
    @Test
    void schemaAcceptsSettingsThatOnlyNameSecrets(@TempDir Path work) throws IOException {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("PROXY_API_KEYS_RELOAD_INTERVAL", "5s");
        settings.put("QUARKUS_DATASOURCE_CREDENTIALS_PROVIDER", "vault-credentials");
        settings.put("quarkus.oidc.token.lifespan-grace", "30");
        settings.put("PROXY_AUDIT_VERIFY_KEYS_DIR", "/etc/domo-migration-proxy/verify-keys");
        // An identity provider that signs with elliptic-curve keys, and the console's OIDC options.
        settings.put("MP_JWT_VERIFY_PUBLICKEY_ALGORITHM", "ES256");
        settings.put("MP_JWT_TOKEN_HEADER", "Authorization");
        settings.put("QUARKUS_OIDC_CREDENTIALS_CLIENT_SECRET_METHOD", "post");
        settings.put("QUARKUS_OIDC_TOKEN_STATE_MANAGER_SPLIT_TOKENS", "true");
        settings.put("QUARKUS_OIDC_TOKEN_REFRESH_EXPIRED", "true");
        ObjectNode values = YAML.createObjectNode();
        var env = values.putArray("extraEnv");
        settings.forEach((name, value) -> env.addObject().put("name", name).put("value", value));
        Path file = work.resolve("settings.yaml");
        YAML.writeValue(file.toFile(), values);
        JsonNode container = proxyContainer(deployment(renderMinimum(template -> template.withValuesFile(file))));
        settings.forEach((name, value) -> assertThat(envValue(container, name)).isEqualTo(value));
        // Only as the name's last word: a secret named after one of them is still refused.
        for (String name : List.of("QUARKUS_OIDC_TOKEN_LIFESPAN_GRACE_TOKEN", "PROXY_DIR_PASSWORD",
                "QUARKUS_DATASOURCE_CREDENTIALS_PROVIDER_SECRET", "PROXY_INTERVAL_KEY")) {
            assertThatThrownBy(() -> renderMinimum(template -> template
                    .set("extraEnv[0].name", name).set("extraEnv[0].value", "not-a-real-secret")))
                    .as(name).hasMessageContaining("extraEnv");
        }
    }

    @Test
    void schemaRejectsASecretSetAsASystemProperty() {
        assertThatThrownBy(() -> renderMinimum(template -> template
                .set("jvm.extraOptions", "-XX:+TieredCompilation -Ddomo.developer-token=not-a-real-token")))
                .hasMessageContaining("schema")
                .hasMessageContaining("extraOptions");
        assertThatThrownBy(() -> renderMinimum(template -> template
                .set("jvm.extraOptions", "-Djavax.net.ssl.trustStorePassword=changeit")))
                .hasMessageContaining("extraOptions");
        assertThat(proxyContainer(deployment(renderMinimum(template -> template
                .set("jvm.extraOptions", "-XX:+TieredCompilation -Dquarkus.log.level=DEBUG"))))).isNotNull();
        // The GC options reach the same command line.
        assertThatThrownBy(() -> renderMinimum(template -> template
                .set("jvm.gcOptions", "-XX:+UseSerialGC -Ddomo.developer-token=not-a-real-token")))
                .hasMessageContaining("gcOptions");
    }

    /** The console is turned on through extraEnv (deploying.md), its client secret from a Secret. */
    @Test
    void theConsoleIsTurnedOnThroughExtraEnvWithItsSecretByReference(@TempDir Path work) throws IOException {
        ObjectNode production = (ObjectNode) YAML.readTree(PRODUCTION_VALUES.toFile());
        var env = production.putArray("extraEnv");
        env.addObject().put("name", "PROXY_CONSOLE_ENABLED").put("value", "true");
        env.addObject().put("name", "QUARKUS_OIDC_AUTH_SERVER_URL").put("value", "https://login.example.com/realms/acme");
        env.addObject().put("name", "QUARKUS_OIDC_CLIENT_ID").put("value", "domo-migration-console");
        env.addObject().put("name", "QUARKUS_OIDC_CREDENTIALS_SECRET").putObject("valueFrom").putObject("secretKeyRef")
                .put("name", "domo-migration-console-oidc").put("key", "client-secret");
        env.addObject().put("name", "QUARKUS_OIDC_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET").putObject("valueFrom")
                .putObject("secretKeyRef").put("name", "domo-migration-console-oidc").put("key", "session-key");
        Path values = work.resolve("console.yaml");
        YAML.writeValue(values.toFile(), production);
        JsonNode container = proxyContainer(deployment(renderWith(template -> template.withValuesFile(values))));
        assertThat(envValue(container, "PROXY_CONSOLE_ENABLED")).isEqualTo("true");
        assertThat(envValue(container, "QUARKUS_OIDC_CLIENT_ID")).isEqualTo("domo-migration-console");
        assertSecretKeyRef(container, "QUARKUS_OIDC_CREDENTIALS_SECRET", "domo-migration-console-oidc", "client-secret");
        assertSecretKeyRef(container, "QUARKUS_OIDC_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET", "domo-migration-console-oidc",
                "session-key");
        for (String secret : List.of("QUARKUS_OIDC_CREDENTIALS_SECRET", "QUARKUS_OIDC_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET")) {
            assertThatThrownBy(() -> renderMinimum(template -> template
                    .set("extraEnv[0].name", secret).set("extraEnv[0].value", "literal")))
                    .hasMessageContaining("extraEnv");
        }

        // The migration pod, which holds the schema owner's credentials, gets none of the console's
        // secrets: extraEnv and extraEnvFrom without what they take from Secrets; and its own.
        var envFrom = production.putArray("extraEnvFrom");
        envFrom.addObject().putObject("secretRef").put("name", "proxy-extra-secrets");
        envFrom.addObject().putObject("configMapRef").put("name", "proxy-database-tls");
        env.addObject().put("name", "PGSSLROOTCERT").putObject("valueFrom").putObject("configMapKeyRef")
                .put("name", "proxy-database-tls").put("key", "root-cert-path");
        ObjectNode database = (ObjectNode) production.get("database");
        ObjectNode migrationValues = database.has("migration") ? (ObjectNode) database.get("migration")
                : database.putObject("migration");
        ObjectNode jobValues = migrationValues.has("job") ? (ObjectNode) migrationValues.get("job")
                : migrationValues.putObject("job");
        jobValues.putArray("extraEnv").addObject()
                .put("name", "QUARKUS_FLYWAY_CONNECT_RETRIES").put("value", "5");
        YAML.writeValue(values.toFile(), production);
        JsonNode migration = only(renderUnhooked(work, values), "Job").at("/spec/template/spec/containers/0");
        assertThat(envValue(migration, "QUARKUS_OIDC_CLIENT_ID")).isEqualTo("domo-migration-console");
        assertThat(envValue(migration, "QUARKUS_FLYWAY_CONNECT_RETRIES")).isEqualTo("5");
        assertThat(env(migration, "QUARKUS_OIDC_CREDENTIALS_SECRET")).isNull();
        assertThat(env(migration, "QUARKUS_OIDC_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET")).isNull();
        assertThat(migration.at("/envFrom/0/configMapRef/name").asText()).isEqualTo("proxy-database-tls");
        assertThat(migration.at("/envFrom")).hasSize(1);
        assertThat(env(migration, "PGSSLROOTCERT").at("/valueFrom/configMapKeyRef/key").asText()).isEqualTo("root-cert-path");
        assertThat(proxyContainer(deployment(renderWith(template -> template.withValuesFile(values)))).at("/envFrom/0/secretRef/name")
                .asText()).isEqualTo("proxy-extra-secrets");
        assertThatThrownBy(() -> renderMinimum(template -> template
                .set("database.migration.job.extraEnv[0].name", "QUARKUS_DATASOURCE_PASSWORD")
                .set("database.migration.job.extraEnv[0].value", "literal")))
                .hasMessageContaining("extraEnv");
    }

    /**
     * Volumes as environment variables: the migration pod, which holds the schema owner's
     * credentials, gets extraVolumes without those that hold secrets (a Secret, a projection of one,
     * a CSI driver's), and only the mounts of what it got; its own come on top (the database's
     * client certificate from a Secret).
     */
    @Test
    void theMigrationPodGetsNoSecretVolumeOfTheProxys(@TempDir Path work) throws IOException {
        ObjectNode production = (ObjectNode) YAML.readTree(PRODUCTION_VALUES.toFile());
        var volumes = (ArrayNode) production.get("extraVolumes");
        var mounts = (ArrayNode) production.get("extraVolumeMounts");
        volumes.addObject().put("name", "console-keys").putObject("secret").put("secretName", "console-keys");
        volumes.addObject().put("name", "bundle").putObject("projected").putArray("sources").addObject()
                .putObject("secret").put("name", "console-keys");
        volumes.addObject().put("name", "vault").putObject("csi").put("driver", "secrets-store.csi.k8s.io");
        volumes.addObject().put("name", "labels").putObject("downwardAPI").putArray("items");
        volumes.addObject().put("name", "audience-token").putObject("projected").putArray("sources").addObject()
                .putObject("serviceAccountToken").put("audience", "vault").put("path", "token");
        volumes.addObject().put("name", "scratch").putObject("emptyDir");
        volumes.addObject().put("name", "shared").putObject("persistentVolumeClaim").put("claimName", "shared");
        var settings = volumes.addObject().put("name", "settings").putObject("projected").putArray("sources");
        settings.addObject().putObject("configMap").put("name", "proxy-settings");
        settings.addObject().putObject("downwardAPI").putArray("items");
        List<String> extra = List.of("console-keys", "bundle", "vault", "labels", "audience-token", "scratch", "shared",
                "settings");
        for (String name : extra) {
            mounts.addObject().put("name", name).put("mountPath", "/etc/extra/" + name).put("readOnly", true);
        }
        ObjectNode job = ((ObjectNode) production.get("database")).withObject("/migration/job");
        job.putArray("extraVolumes").addObject().put("name", "db-client").putObject("secret").put("secretName",
                "audit-db-client");
        job.putArray("extraVolumeMounts").addObject().put("name", "db-client").put("mountPath", "/etc/db-client");
        Path values = work.resolve("volumes.yaml");
        YAML.writeValue(values.toFile(), production);

        JsonNode proxyPod = deployment(renderWith(template -> template.withValuesFile(values))).at("/spec/template/spec");
        assertThat(names(proxyPod.at("/volumes"))).containsAll(extra).contains("db-ca").doesNotContain("db-client");
        JsonNode pod = only(renderUnhooked(work, values), "Job").at("/spec/template/spec");
        List<String> plain = List.of("tmp", "db-ca", "labels", "scratch", "settings", "db-client");
        assertThat(names(pod.at("/volumes"))).containsExactlyElementsOf(plain);
        assertThat(names(pod.at("/containers/0/volumeMounts"))).containsExactlyElementsOf(plain);

        // The database's CA kept in a Secret for the proxy pods: left out of the Job, whose migrations
        // would then fail at every upgrade, so the render says where it goes instead; given there, it passes.
        ((ObjectNode) volumes.get(0)).remove("configMap");
        ((ObjectNode) volumes.get(0)).putObject("secret").put("secretName", "audit-db-ca");
        YAML.writeValue(values.toFile(), production);
        Path secretCa = Files.createDirectories(work.resolve("secret-ca"));
        assertThatThrownBy(() -> renderUnhooked(secretCa, values)).hasMessageContaining("extraVolumes db-ca")
                .hasMessageContaining("database.migration.job.extraVolumes");
        job.withArray("extraVolumes").add(volumes.get(0).deepCopy());
        job.withArray("extraVolumeMounts").add(mounts.get(0).deepCopy());
        YAML.writeValue(values.toFile(), production);
        JsonNode moved = only(renderUnhooked(Files.createDirectories(work.resolve("moved")), values), "Job")
                .at("/spec/template/spec");
        assertThat(names(moved.at("/volumes"))).containsExactly("tmp", "labels", "scratch", "settings", "db-client", "db-ca");
    }

    private static List<String> names(JsonNode items) {
        List<String> names = new ArrayList<>();
        items.forEach(item -> names.add(item.path("name").asText()));
        return names;
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static List<JsonNode> renderMinimum(UnaryOperator<TemplateCommand> customize) {
        return renderWith(template -> {
            MINIMUM_VALUES.forEach(template::set);
            return customize.apply(template);
        });
    }

    private static List<JsonNode> renderProduction(UnaryOperator<TemplateCommand> customize) {
        return renderWith(template -> customize.apply(template.withValuesFile(PRODUCTION_VALUES)));
    }

    private static List<JsonNode> renderWith(UnaryOperator<TemplateCommand> customize) {
        TemplateCommand template = new Helm(CHART).template().withName(RELEASE).withNamespace(NAMESPACE).withKubeVersion(KUBE_VERSION);
        return parseDocuments(customize.apply(template).call());
    }

    /**
     * helm-java 0.0.21 renders no hooks (neither template nor a dry-run install lists them), so the
     * test pod is rendered from a chart copy in which its hook annotations are renamed.
     */
    private static JsonNode testHookPod(Path work) throws IOException {
        return testHookPod(work, UnaryOperator.identity());
    }

    private static JsonNode testHookPod(Path work, UnaryOperator<TemplateCommand> customize) throws IOException {
        Path chart = chartCopy(work);
        assertThat(Files.readString(chart.resolve("templates/tests/test-connection.yaml"))).contains("helm.sh/hook: test");
        ChartCopy.unhook(chart, "templates/tests/test-connection.yaml");

        TemplateCommand template = new Helm(chart).template().withName(RELEASE).withNamespace(NAMESPACE).withKubeVersion(KUBE_VERSION);
        MINIMUM_VALUES.forEach(template::set);
        List<JsonNode> pods = parseDocuments(customize.apply(template).call()).stream()
                .filter(document -> document.path("kind").asText().equals("Pod"))
                .toList();
        assertThat(pods).as("rendered Pods").hasSize(1);
        return pods.get(0);
    }

    /**
     * The chart rendered with the values file, from a copy in which {@code hookTemplate}'s hook
     * annotations are renamed (helm-java renders no hooks).
     */
    /** The chart with the migration's hooks (its Job and that Job's NetworkPolicy) rendered as plain manifests. */
    private static List<JsonNode> renderUnhooked(Path work, Path valuesFile) throws IOException {
        Path chart = chartCopy(work);
        ChartCopy.unhook(chart, "templates/migration-job.yaml");
        ChartCopy.unhook(chart, "templates/migration-networkpolicy.yaml");
        return parseDocuments(new Helm(chart).template().withName(RELEASE).withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION).withValuesFile(valuesFile).call());
    }

    private static List<JsonNode> parseDocuments(String yaml) {
        List<JsonNode> documents = ChartCopy.documents(yaml);
        assertThat(documents).as("rendered documents").isNotEmpty();
        return documents;
    }

    private static List<String> kinds(List<JsonNode> documents) {
        return documents.stream().map(document -> document.path("kind").asText()).toList();
    }

    private static JsonNode only(List<JsonNode> documents, String kind) {
        List<JsonNode> matching = documents.stream().filter(document -> document.path("kind").asText().equals(kind)).toList();
        assertThat(matching).as("rendered %s objects", kind).hasSize(1);
        return matching.get(0);
    }

    private static JsonNode deployment(List<JsonNode> documents) {
        return only(documents, "Deployment");
    }

    private static JsonNode proxyContainer(JsonNode deployment) {
        JsonNode containers = deployment.at("/spec/template/spec/containers");
        assertThat(containers.size()).isEqualTo(1);
        return containers.get(0);
    }

    private static JsonNode volume(JsonNode deployment, String name) {
        return named(deployment.at("/spec/template/spec/volumes"), name, "volume");
    }

    private static JsonNode mount(JsonNode container, String name) {
        return named(container.path("volumeMounts"), name, "volume mount");
    }

    private static int containerPort(JsonNode container, String name) {
        return named(container.path("ports"), name, "port").get("containerPort").asInt();
    }

    private static JsonNode named(JsonNode list, String name, String what) {
        for (JsonNode item : list) {
            if (name.equals(item.path("name").asText())) {
                return item;
            }
        }
        throw new AssertionError("no " + what + " named " + name + " in " + list);
    }

    private static JsonNode env(JsonNode container, String name) {
        for (JsonNode variable : container.path("env")) {
            if (name.equals(variable.path("name").asText())) {
                return variable;
            }
        }
        return null;
    }

    private static String envValue(JsonNode container, String name) {
        JsonNode variable = env(container, name);
        assertThat(variable).as("env %s", name).isNotNull();
        assertThat(variable.has("value")).as("env %s has a literal value", name).isTrue();
        return variable.get("value").asText();
    }

    private static void assertSecretKeyRef(JsonNode container, String name, String secret, String key) {
        JsonNode variable = env(container, name);
        assertThat(variable).as("env %s", name).isNotNull();
        assertThat(variable.has("value")).as("%s must not be a literal", name).isFalse();
        assertThat(variable.at("/valueFrom/secretKeyRef/name").asText()).as(name).isEqualTo(secret);
        assertThat(variable.at("/valueFrom/secretKeyRef/key").asText()).as(name).isEqualTo(key);
    }

    private static JsonNode ingressRule(JsonNode policy, int port) {
        return ruleWithPort(policy.at("/spec/ingress"), port);
    }

    private static JsonNode egressRule(JsonNode policy, int port) {
        return ruleWithPort(policy.at("/spec/egress"), port);
    }

    private static JsonNode ruleWithPort(JsonNode rules, int port) {
        for (JsonNode rule : rules) {
            for (JsonNode rulePort : rule.path("ports")) {
                if (rulePort.path("port").asInt() == port) {
                    return rule;
                }
            }
        }
        throw new AssertionError("no rule for port " + port + " in " + rules);
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(item -> texts.add(item.asText()));
        return texts;
    }

    private static ObjectNode chartValues() throws IOException {
        return (ObjectNode) YAML.readTree(CHART.resolve("values.yaml").toFile());
    }

    private static void setPath(ObjectNode root, String dottedPath, String value) {
        String[] keys = dottedPath.split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < keys.length - 1; i++) {
            node = (ObjectNode) node.get(keys[i]);
        }
        node.put(keys[keys.length - 1], value);
    }

    private static void deepMerge(ObjectNode target, ObjectNode overrides) {
        Iterator<Map.Entry<String, JsonNode>> fields = overrides.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode existing = target.get(field.getKey());
            if (existing instanceof ObjectNode existingObject && field.getValue() instanceof ObjectNode overrideObject) {
                deepMerge(existingObject, overrideObject);
            } else {
                target.set(field.getKey(), field.getValue());
            }
        }
    }

    private static Path chartCopyWithValues(Path work, ObjectNode values) throws IOException {
        Path copy = chartCopy(work);
        YAML.writeValue(copy.resolve("values.yaml").toFile(), values);
        return copy;
    }

    private static Path chartCopy(Path work) throws IOException {
        return ChartCopy.of(work);
    }
}
