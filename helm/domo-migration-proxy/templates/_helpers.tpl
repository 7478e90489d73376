{{/*
Chart name, truncated to 63 characters (the DNS label limit of Kubernetes names).
*/}}
{{- define "domo-migration-proxy.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: the release name, plus the chart name unless the release name
already contains it.
*/}}
{{/*
The management Service's name: the full name, cut to leave room for its suffix within 63 characters.
*/}}
{{- define "domo-migration-proxy.managementServiceName" -}}
{{- printf "%s-management" (include "domo-migration-proxy.fullname" . | trunc 52 | trimSuffix "-") }}
{{- end }}

{{- define "domo-migration-proxy.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "domo-migration-proxy.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels shared by every resource, without the component.
*/}}
{{- define "domo-migration-proxy.commonLabels" -}}
helm.sh/chart: {{ include "domo-migration-proxy.chart" . }}
app.kubernetes.io/name: {{ include "domo-migration-proxy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ (.Values.image.tag | default .Chart.AppVersion) | toString | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Labels of the proxy's resources.
*/}}
{{- define "domo-migration-proxy.labels" -}}
{{ include "domo-migration-proxy.commonLabels" . }}
app.kubernetes.io/component: proxy
{{- end }}

{{/*
Selector labels of the proxy's pods. The component keeps the helm test pod out of the
Service, the PodDisruptionBudget and the NetworkPolicy.
*/}}
{{- define "domo-migration-proxy.selectorLabels" -}}
app.kubernetes.io/name: {{ include "domo-migration-proxy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: proxy
{{- end }}

{{/*
Selector labels of the helm test pod (allowed by the NetworkPolicy to reach the management port).
*/}}
{{- define "domo-migration-proxy.testSelectorLabels" -}}
app.kubernetes.io/name: {{ include "domo-migration-proxy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: test
{{- end }}

{{/*
Name of the ServiceAccount the pods run as.
*/}}
{{- define "domo-migration-proxy.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "domo-migration-proxy.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
An image reference from {registry, repository, tag, digest}; the digest wins over the tag.
Usage: include "domo-migration-proxy.imageReference" (dict "image" .Values.image "defaultTag" .Chart.AppVersion)
*/}}
{{- define "domo-migration-proxy.imageReference" -}}
{{- $repository := .image.repository }}
{{- if .image.registry }}
{{- $repository = printf "%s/%s" .image.registry .image.repository }}
{{- end }}
{{- if .image.digest }}
{{- printf "%s@%s" $repository .image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (.image.tag | default .defaultTag | toString) }}
{{- end }}
{{- end }}

{{/*
Where the mounted secrets and keys live inside the container.
*/}}
{{- define "domo-migration-proxy.domoTokenDir" -}}/var/run/secrets/domo-migration-proxy/domo-token{{- end }}
{{- define "domo-migration-proxy.apiKeysDir" -}}/var/run/secrets/domo-migration-proxy/api-keys{{- end }}
{{- define "domo-migration-proxy.jwtKeyDir" -}}/var/run/secrets/domo-migration-proxy/jwt-public-key{{- end }}
{{- define "domo-migration-proxy.signingKeyDir" -}}/var/run/secrets/domo-migration-proxy/checkpoint-signing-key{{- end }}
{{- define "domo-migration-proxy.verifyKeysDir" -}}/var/run/secrets/domo-migration-proxy/checkpoint-verify-keys{{- end }}
{{- define "domo-migration-proxy.domoCaDir" -}}/var/run/secrets/domo-migration-proxy/domo-ca{{- end }}
{{- define "domo-migration-proxy.syslogCaDir" -}}/var/run/secrets/domo-migration-proxy/syslog-ca{{- end }}
{{- define "domo-migration-proxy.checkpointDir" -}}/var/lib/domo-migration-proxy/checkpoints{{- end }}

{{/*
True (non-empty) when checkpoints are also written to a volume.
*/}}
{{- define "domo-migration-proxy.checkpointDirConfigured" -}}
{{- with .Values.audit.checkpoints.directory }}
{{- if or .existingClaim .volume }}true{{ end }}
{{- end }}
{{- end }}

{{/*
The port a URL names (scheme://host:port), empty when it names none; only a ":port" suffix counts
(https://10.20.30.40 names no port). For the NetworkPolicy: the Domo rule opens domo.baseUrl's too,
and the egress proxy's and the syslog receiver's rules open theirs (the schema requires one), the
ports the pods connect to, so a Service in front of either must expose it as its targetPort.
*/}}
{{- define "domo-migration-proxy.urlPort" -}}
{{- regexFind ":[0-9]+$" (urlParse .).host | trimPrefix ":" }}
{{- end }}

{{/*
A duration of the schema's form (digits, then ms, s, m or h) in milliseconds.
*/}}
{{- define "domo-migration-proxy.millis" -}}
{{- $text := toString . }}
{{- /* Leading zeros dropped: int64 reads "010" as octal. */}}
{{- $amount := regexReplaceAll "^0+([0-9])" (regexFind "^[0-9]+" $text) "${1}" | int64 }}
{{- $unit := regexFind "(ms|s|m|h)$" $text }}
{{- if eq $unit "ms" }}{{ $amount }}
{{- else if eq $unit "s" }}{{ mul $amount 1000 }}
{{- else if eq $unit "m" }}{{ mul $amount 60000 }}
{{- else }}{{ mul $amount 3600000 }}
{{- end }}
{{- end }}

{{/*
True (non-empty) when a JWT verification key source is configured.
*/}}
{{- define "domo-migration-proxy.jwtConfigured" -}}
{{- with .Values.jwt.publicKey }}
{{- if or .location .existingConfigMap .existingSecret }}true{{ end }}
{{- end }}
{{- end }}

{{/*
MP_JWT_VERIFY_PUBLICKEY_LOCATION: the URL as given, or the mounted ConfigMap/Secret key.
*/}}
{{- define "domo-migration-proxy.jwtPublicKeyLocation" -}}
{{- if .Values.jwt.publicKey.location }}
{{- .Values.jwt.publicKey.location }}
{{- else }}
{{- printf "file:%s/%s" (include "domo-migration-proxy.jwtKeyDir" .) .Values.jwt.publicKey.key }}
{{- end }}
{{- end }}

{{/*
QUARKUS_DATASOURCE_JDBC_URL: given whole, or built from host, port, name and parameters.
*/}}
{{- define "domo-migration-proxy.jdbcUrl" -}}
{{- with .Values.database }}
{{- if .jdbcUrl }}
{{- .jdbcUrl }}
{{- else }}
{{- printf "jdbc:postgresql://%s:%d/%s" .host (int .port) .name }}
{{- if .parameters }}?{{ .parameters }}{{ end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The PostgreSQL ports the NetworkPolicies open, comma-separated: those of the hosts in
database.jdbcUrl when it is set (host:port, a host without a port meaning 5432, each port once),
else database.port.
*/}}
{{- define "domo-migration-proxy.databasePorts" -}}
{{- $ports := list }}
{{- if .Values.database.jdbcUrl }}
{{- $hosts := regexReplaceAll "^jdbc:postgresql://([^/?]*).*$" .Values.database.jdbcUrl "${1}" }}
{{- range splitList "," $hosts }}
{{- $ports = append $ports (regexFind ":[0-9]+$" . | trimPrefix ":" | default "5432") }}
{{- end }}
{{- else }}
{{- $ports = append $ports (printf "%d" (int .Values.database.port)) }}
{{- end }}
{{- join "," (uniq $ports) }}
{{- end }}

{{/*
Number of replicas that run at the least: decides whether a PodDisruptionBudget makes sense.
*/}}
{{- define "domo-migration-proxy.minReplicas" -}}
{{- if .Values.autoscaling.enabled }}
{{- .Values.autoscaling.minReplicas | int }}
{{- else }}
{{- .Values.replicaCount | int }}
{{- end }}
{{- end }}

{{/*
Checks the values that must be set, or must be set together, and fails with every problem at once.
The JSON schema checks names and types; these rules depend on several values.
*/}}
{{- define "domo-migration-proxy.validateValues" -}}
{{- $errors := list }}
{{- if not .Values.domo.sandbox.enabled }}
{{- if not .Values.domo.existingSecret }}
{{- $errors = append $errors "domo.existingSecret is required: name an existing Secret holding the Domo developer token (kubectl create secret generic domo-token --from-file=token=./domo-token), or set domo.sandbox.enabled=true to try the proxy without Domo" }}
{{- end }}
{{- if not .Values.domo.baseUrl }}
{{- $errors = append $errors "domo.baseUrl is required: the Domo instance to proxy, e.g. https://acme.domo.com" }}
{{- end }}
{{- end }}
{{- if not (or .Values.database.jdbcUrl .Values.database.host) }}
{{- $errors = append $errors "database.host (or database.jdbcUrl) is required: the PostgreSQL server holding the audit trail" }}
{{- end }}
{{- if not .Values.database.existingSecret }}
{{- $errors = append $errors "database.existingSecret is required: name an existing Secret with the keys username and password of the application's database role" }}
{{- end }}
{{- $keySources := 0 }}
{{- range $source := list .Values.jwt.publicKey.location .Values.jwt.publicKey.existingConfigMap .Values.jwt.publicKey.existingSecret }}
{{- if $source }}{{ $keySources = add1 $keySources }}{{ end }}
{{- end }}
{{- if gt $keySources 1 }}
{{- $errors = append $errors "jwt.publicKey: set only one of location, existingConfigMap and existingSecret" }}
{{- end }}
{{- if and (include "domo-migration-proxy.jwtConfigured" .) (not .Values.jwt.issuer) }}
{{- $errors = append $errors "jwt.issuer is required when a JWT verification key is configured: the expected iss claim" }}
{{- end }}
{{- if not (or (include "domo-migration-proxy.jwtConfigured" .) .Values.apiKeys.existingSecret) }}
{{- $errors = append $errors "no caller authentication configured: set apiKeys.existingSecret and/or jwt.publicKey.location (or jwt.publicKey.existingConfigMap / jwt.publicKey.existingSecret)" }}
{{- end }}
{{- $syslogHost := regexReplaceAll "^[a-zA-Z]+://(.*):[0-9]+$" .Values.audit.syslog.url "${1}" | lower }}
{{- if and (hasPrefix "tcp://" (lower .Values.audit.syslog.url)) (not .Values.audit.syslog.allowPlainTcp) (not (or (eq $syslogHost "localhost") (eq $syslogHost "[::1]") (regexMatch "^127(\\.[0-9]{1,3}){3}$" $syslogHost))) }}
{{- $errors = append $errors (printf "audit.syslog.url is tcp:// to %s: the audit trail would cross the network in clear. Use tls://, or set audit.syslog.allowPlainTcp=true for a receiver on a trusted network (the proxy refuses to start otherwise)" $syslogHost) }}
{{- end }}
{{- if and .Values.audit.syslog.ca.existingConfigMap (not (hasPrefix "tls://" (lower .Values.audit.syslog.url))) }}
{{- $errors = append $errors "audit.syslog.ca.existingConfigMap is for a tls:// receiver: set audit.syslog.url to tls://host:port (the proxy refuses to start with a CA file and a tcp:// receiver, which would send the chain unencrypted)" }}
{{- end }}
{{- if and (.Values.domo.proxy | default dict).existingSecret (not (.Values.domo.proxy | default dict).url) }}
{{- $errors = append $errors "domo.proxy.existingSecret holds the credentials of a proxy: set domo.proxy.url too (the proxy refuses to start with proxy credentials and no proxy)" }}
{{- end }}
{{- $migrationMillis := include "domo-migration-proxy.millis" .Values.domo.migrationTimeout | int64 }}
{{- $shutdownMillis := include "domo-migration-proxy.millis" .Values.shutdownTimeout | int64 }}
{{- if lt $shutdownMillis (add $migrationMillis 10000) }}
{{- $errors = append $errors (printf "shutdownTimeout (%s) must be at least domo.migrationTimeout (%s) plus 10s, the pool's wait for a database connection before Domo is called and again for the outcome: a migration in flight at a rollout or scale-down would be cut off before Domo answers and stay PENDING, its data source locked, until reconciliation" .Values.shutdownTimeout .Values.domo.migrationTimeout) }}
{{- end }}
{{- if ge (add (mul (int64 .Values.preStopSleepSeconds) 1000) $shutdownMillis) (mul (int64 .Values.terminationGracePeriodSeconds) 1000) }}
{{- $errors = append $errors (printf "terminationGracePeriodSeconds (%d) must exceed preStopSleepSeconds (%d) plus shutdownTimeout (%s): Kubernetes would kill the pod while it still waits for its migrations" (int64 .Values.terminationGracePeriodSeconds) (int64 .Values.preStopSleepSeconds) .Values.shutdownTimeout) }}
{{- end }}
{{- $replicas := include "domo-migration-proxy.minReplicas" . | int }}
{{- if and .Values.pdb.create (gt $replicas 1) }}
{{- $maxUnavailable := ternary "" (toString .Values.pdb.maxUnavailable) (kindIs "invalid" .Values.pdb.maxUnavailable) }}
{{- $minAvailable := toString .Values.pdb.minAvailable }}
{{- if ne $maxUnavailable "" }}
{{- if or (eq $maxUnavailable "0") (eq $maxUnavailable "0%") }}
{{- $errors = append $errors "pdb.maxUnavailable 0 lets no pod be evicted: node drains and cluster upgrades would wait for ever; allow at least 1" }}
{{- end }}
{{- else if or (and (regexMatch "^[0-9]+%$" $minAvailable) (ge (div (add (mul (atoi (trimSuffix "%" $minAvailable)) $replicas) 99) 100) $replicas)) (and (regexMatch "^[0-9]+$" $minAvailable) (ge (atoi $minAvailable) $replicas)) }}
{{- /* A percentage is rounded up (Kubernetes does): 60% of 2 pods is both. */}}
{{- $errors = append $errors (printf "pdb.minAvailable (%s) must be below the replicas (%d, replicaCount or autoscaling.minReplicas): otherwise no pod may be evicted, and node drains and cluster upgrades would wait for ever" $minAvailable $replicas) }}
{{- end }}
{{- end }}
{{- if $errors }}
{{- fail (printf "\n%s" (join "\n" $errors)) }}
{{- end }}
{{- end }}

{{/*
True when a hook Job runs the owner's migrations, so that the proxy pods only validate the schema
and never hold the owner's credentials.
*/}}
{{- define "domo-migration-proxy.migrationInJob" -}}
{{- if and .Values.database.migration.existingSecret (eq (.Values.database.migration.runIn | default "job") "job") }}true{{- end }}
{{- end }}

{{/*
Name of the migration Job (and its NetworkPolicy): the full name, cut to leave room for its suffix, so
that a long full name never gives the hook's policy, deleted before each upgrade, the proxy's name.
*/}}
{{- define "domo-migration-proxy.migrationJobName" -}}
{{- printf "%s-migrate" (include "domo-migration-proxy.fullname" . | trunc 55 | trimSuffix "-") }}
{{- end }}

{{/*
Labels of the migration Job and its pod: the component keeps it out of the proxy's Service,
PodDisruptionBudget and NetworkPolicy.
*/}}
{{- define "domo-migration-proxy.migrationLabels" -}}
{{ include "domo-migration-proxy.commonLabels" . }}
app.kubernetes.io/component: migration
{{- end }}

{{/*
Selector labels of the migration Job's pod (its NetworkPolicy).
*/}}
{{- define "domo-migration-proxy.migrationSelectorLabels" -}}
app.kubernetes.io/name: {{ include "domo-migration-proxy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: migration
{{- end }}

{{/*
The JVM settings the image was measured with (docs/performance.md), for every container that runs it.
*/}}
{{- define "domo-migration-proxy.jvmEnv" -}}
- name: JAVA_MAX_MEM_RATIO
  value: {{ .Values.jvm.maxRamPercentage | quote }}
- name: GC_CONTAINER_OPTIONS
  value: {{ .Values.jvm.gcOptions | quote }}
- name: GC_MIN_HEAP_FREE_RATIO
  value: "40"
- name: GC_MAX_HEAP_FREE_RATIO
  value: "70"
- name: MALLOC_ARENA_MAX
  value: "2"
- name: JAVA_OPTS_APPEND
  value: {{ trim (printf "%s-XX:InitialRAMPercentage=%v -XX:+UseCompactObjectHeaders -XX:-TieredCompilation -XX:ReservedCodeCacheSize=32m -XX:TrimNativeHeapInterval=5000 -XX:+ExitOnOutOfMemoryError -Dquarkus.http.host=0.0.0.0 -Djava.util.logging.manager=org.jboss.logmanager.LogManager %s" (ternary "-XX:AOTCache=/deployments/app.aot " "" .Values.jvm.aotCache) .Values.jvm.maxRamPercentage .Values.jvm.extraOptions) | quote }}
{{- end }}
