package com.domomigrationproxy.domo;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import javax.net.ssl.SSLHandshakeException;

import org.jboss.resteasy.reactive.client.api.LoggingScope;
import org.jboss.resteasy.reactive.client.api.QuarkusRestClientProperties;

import io.quarkus.arc.lookup.LookupUnlessProperty;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import io.smallrye.config.Secret;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.AsyncResult;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ProxyOptions;
import io.vertx.core.net.ProxyType;

/**
 * Domo over HTTP. Every call refuses redirects (Domo answers a blocked IP with a redirect to a web
 * page), reads at most DOMO_MAX_RESPONSE_SIZE of an answer and no more of it once its deadline has
 * passed, and sends only the token header: nothing of the caller's request is forwarded.
 *
 * <p>The two writes go through the REST client ({@link DomoApi}) on the caller's blocked thread,
 * whose streamed body {@link BoundedBody} bounds. The three reads go through Vert.x's HTTP client
 * directly, without blocking any thread: the REST client can bound a body only by streaming it to a
 * blocked thread (a third of a GET's CPU went to that hand-over), and buffers it unbounded otherwise.
 * Both clients trust DOMO_CA_FILE's CAs instead of the JVM's when it is set, and both go through
 * DOMO_PROXY_URL's CONNECT tunnel when that is.
 */
@ApplicationScoped
@LookupUnlessProperty(name = "domo.sandbox.enabled", stringValue = "true")
class HttpDomoUpstream implements DomoUpstream {

    /** What DOMO_PROXY_URL must look like; never the value itself, which may hold credentials. */
    static final String PROXY_URL_FORM = "DOMO_PROXY_URL must be http://host:port, e.g. http://proxy.example.com:3128"
            + " (credentials go in DOMO_PROXY_USERNAME and DOMO_PROXY_PASSWORD)";

    private static final byte[] EMPTY = new byte[0];
    /** Connections kept to Domo for the reads, as the REST client's default pool. */
    private static final int READ_CONNECTIONS = 50;
    private static final int READ_KEEP_ALIVE_SECONDS = 30;
    /** At most this many migrations and reversals on their way to Domo at once (see client()). */
    private static final int WRITE_CONNECTIONS = 1024;
    private static final String USER_AGENT = "domo-migration-proxy";

    private final DomoApi migrations;
    private final DomoTokenProvider tokens;
    private final HttpClient reads;
    private final String readUrl;
    private final long connectMillis;
    private final long readDeadlineNanos;
    private final long maxBytes;

    @Inject
    HttpDomoUpstream(DomoConfig config, DomoTokenProvider tokens, Vertx vertx) {
        URI baseUrl = config.baseUrl().orElseThrow(() -> new IllegalStateException(
                "DOMO_BASE_URL is required unless DOMO_SANDBOX_ENABLED=true"));
        this.maxBytes = config.maxResponseSize().asLongValue();
        Optional<PemTrustOptions> ca = config.caFile().map(file -> new PemTrustOptions().addCertPath(file.toString()));
        Optional<ProxyOptions> proxy = proxy(config);
        this.migrations = client(config, baseUrl, ca.map(trust -> keyStore(trust, vertx)), proxy);
        this.tokens = tokens;
        this.connectMillis = config.connectTimeout().toMillis();
        this.readDeadlineNanos = config.readTimeout().toNanos();
        String base = baseUrl.toString();
        this.readUrl = (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + DomoApi.PATH;
        HttpClientOptions readOptions = new HttpClientOptions()
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectMillis))
                .setVerifyHost(true)
                .setDecompressionSupported(false)
                // Idle connections are let go before the far end's idle timeout is likely to close them
                // (Vert.x's default, 60 s, is an AWS load balancer's too, and the token check calls
                // every 60 s): a GET written just as one closes breaks and is tried again, with a WARN.
                .setKeepAliveTimeout(READ_KEEP_ALIVE_SECONDS)
                // A stalled TLS handshake lets its pooled slot go when the caller's wait for a connection
                // ends, not after Vert.x's default 10 s.
                .setSslHandshakeTimeout(connectMillis)
                .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
        ca.ifPresent(readOptions::setTrustOptions);
        proxy.ifPresent(readOptions::setProxyOptions);
        this.reads = vertx.createHttpClient(readOptions, new PoolOptions().setHttp1MaxSize(READ_CONNECTIONS));
    }

    @PreDestroy
    void close() {
        reads.close();
    }

    /** DOMO_CA_FILE's certificates as the REST client takes them; DomoStartupCheck has read the file. */
    private static KeyStore keyStore(PemTrustOptions ca, Vertx vertx) {
        try {
            return ca.loadKeyStore(vertx);
        } catch (Exception e) {
            throw new IllegalStateException("DOMO_CA_FILE cannot be read: " + e.getMessage(), e);
        }
    }

    /** DOMO_PROXY_URL as Vert.x takes it: an HTTP proxy, which tunnels https:// with CONNECT. */
    private static Optional<ProxyOptions> proxy(DomoConfig config) {
        return proxyUrl(config.proxy().url()).map(url -> new ProxyOptions().setType(ProxyType.HTTP)
                .setHost(url.getHost()).setPort(url.getPort())
                .setConnectTimeout(config.connectTimeout())
                .setUsername(proxyUsername(config).orElse(null))
                .setPassword(proxyPassword(config).orElse(null)));
    }

    /**
     * DOMO_PROXY_URL as a URI; empty when unset. A value that is no URI at all stops the start with
     * {@link #PROXY_URL_FORM} and without the value or the parser's message, which quotes it: a
     * malformed URL may hold the credentials someone wrote into it.
     */
    static Optional<URI> proxyUrl(Optional<String> text) {
        return text.map(String::strip).filter(url -> !url.isEmpty()).map(url -> {
            try {
                return new URI(url);
            } catch (URISyntaxException e) {
                throw new IllegalStateException(PROXY_URL_FORM);
            }
        });
    }

    /** Stripped, as the token is: a Secret made from a file often ends with a newline the proxy would refuse. */
    static Optional<String> proxyUsername(DomoConfig config) {
        return config.proxy().username().map(String::strip).filter(name -> !name.isEmpty());
    }

    /** The same; an unset Secret setting comes back as an Optional holding null. */
    static Optional<String> proxyPassword(DomoConfig config) {
        return config.proxy().password().map(Secret::get).map(String::strip).filter(password -> !password.isEmpty());
    }

    private static DomoApi client(DomoConfig config, URI baseUrl, Optional<KeyStore> ca, Optional<ProxyOptions> proxy) {
        Duration deadline = config.migrationTimeout();
        QuarkusRestClientBuilder builder = QuarkusRestClientBuilder.newBuilder();
        // Instead of the JVM's CAs, as for the reads: trustStore replaces the default trust managers.
        ca.ifPresent(builder::trustStore);
        // Only DOMO_PROXY_URL, which the start-up checks, routes Domo's calls: without it, "none" turns off
        // what quarkus.rest-client.proxy-address, quarkus.proxy.* or the JVM's https.proxyHost would say
        // (the reads' Vert.x client never reads those either).
        proxy.ifPresentOrElse(options -> {
            builder.proxyAddress(options.getHost(), options.getPort()).proxyConnectTimeout(options.getConnectTimeout());
            if (options.getUsername() != null) {
                builder.proxyUser(options.getUsername()).proxyPassword(options.getPassword());
            }
        }, () -> builder.proxyAddress("none", 0));
        return builder
                .baseUri(baseUrl)
                .connectTimeout(config.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .followRedirects(false)
                // Never the REST client's request logging, whatever quarkus.rest-client.logging.scope
                // says globally: it would print the token header and Domo's unredacted answer.
                .loggingScope(LoggingScope.NONE)
                .loggingMaskedHeaders(Set.of(DomoApi.TOKEN_HEADER))
                // Every status comes back as a Response; DomoClient translates it.
                .disableDefaultMapper(true)
                // A new connection for every migration and reversal: on a kept-alive one that Domo (or a
                // proxy) closes as idle just as the request is written, the request breaks after it may
                // have been sent, and its outcome is UNKNOWN until reconciled. A GET is simply retried.
                .property(QuarkusRestClientProperties.KEEP_ALIVE_ENABLED, false)
                // More than the threads that can send a write at once (Quarkus's 200 workers by default and
                // the plan workers): a write never waits for a connection, which would eat its deadline
                // and leave it UNKNOWN although it was never sent.
                .property(QuarkusRestClientProperties.CONNECTION_POOL_SIZE, WRITE_CONNECTIONS)
                // Last, over whatever quarkus.tls.*, quarkus.rest-client.* or quarkus.http.* say for every
                // client: Domo's certificate checked; HTTP/1.1 only (HTTP/2 would share a connection);
                // no compressed answers, which DOMO_MAX_RESPONSE_SIZE would count compressed; and a TLS
                // handshake bounded as the connection is, so that one that stalls fails as no connection
                // (FAILED: nothing was sent) instead of running into the deadline (UNKNOWN).
                .httpClientOptionsCustomizer(options -> options
                        .setTrustAll(false)
                        .setVerifyHost(true)
                        .setProtocolVersion(HttpVersion.HTTP_1_1)
                        .setUseAlpn(false)
                        .setDecompressionSupported(false)
                        .setSslHandshakeTimeout(config.connectTimeout().toMillis())
                        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS))
                .register(new BoundedBody(config.maxResponseSize().asLongValue(), deadline))
                .build(DomoApi.class);
    }

    @Override
    public Uni<DomoAnswer> types() {
        return get("/types");
    }

    @Override
    public Uni<DomoAnswer> accounts(String integrationType) {
        return get("/accounts/" + segment(integrationType));
    }

    @Override
    public Uni<DomoAnswer> candidates(String accountId) {
        return get("/candidates/" + segment(accountId));
    }

    @Override
    public DomoAnswer migrate(String datasourceId, String accountId, DomoMigrationRequest body) {
        return send(token -> migrations.migrate(token, datasourceId, accountId, body));
    }

    @Override
    public DomoAnswer reverse(String datasourceId) {
        return send(token -> migrations.reverse(token, datasourceId));
    }

    private Uni<DomoAnswer> get(String path) {
        return Uni.createFrom().emitter(emitter -> {
            String token = tokens.current().orElseThrow(DomoTokenUnavailableException::new);
            RequestOptions options = new RequestOptions()
                    .setMethod(HttpMethod.GET)
                    .setAbsoluteURI(readUrl + path)
                    .setConnectTimeout(connectMillis)
                    .setIdleTimeout(readDeadlineNanos / 1_000_000)
                    .setFollowRedirects(false)
                    .putHeader(DomoApi.TOKEN_HEADER, token)
                    .putHeader(HttpHeaders.ACCEPT, MediaType.APPLICATION_JSON)
                    .putHeader(HttpHeaders.USER_AGENT, USER_AGENT);
            Read read = new Read(emitter, System.nanoTime() + readDeadlineNanos);
            emitter.onTermination(read::cancel);
            reads.request(options).onComplete(read::requested);
        });
    }

    /**
     * One GET's exchange. Vert.x calls it on one event-loop thread; only a cancellation (the
     * caller's deadline passing first) may come from another, and resets the request.
     */
    private final class Read {
        private final UniEmitter<? super DomoAnswer> emitter;
        private final long deadline;
        private final Buffer body = Buffer.buffer();
        private volatile HttpClientRequest request;
        private volatile boolean settled;

        Read(UniEmitter<? super DomoAnswer> emitter, long deadline) {
            this.emitter = emitter;
            this.deadline = deadline;
        }

        void requested(AsyncResult<HttpClientRequest> created) {
            if (created.failed()) {
                // No connection came in time (none free in the pool, no TCP connection, no proxy tunnel,
                // no TLS session: Vert.x's connect timeout covers them all, and fails with a plain
                // TimeoutException). Nothing was written, so Domo never saw this request.
                fail(DomoTransportException.Kind.CONNECT_FAILED, created.cause());
                return;
            }
            request = created.result();
            if (settled) {
                request.reset();
                return;
            }
            request.send().onComplete(this::answered);
        }

        private void answered(AsyncResult<HttpClientResponse> sent) {
            if (sent.failed()) {
                fail(sent.cause());
                return;
            }
            HttpClientResponse response = sent.result();
            // Before anything can reset it: an answer without a handler logs its reset as an ERROR.
            response.exceptionHandler(this::fail);
            String length = response.getHeader(HttpHeaders.CONTENT_LENGTH);
            if (length != null && declaredTooLarge(length)) {
                abort(new BoundedBody.TooLarge(maxBytes));
                return;
            }
            response.handler(this::chunk);
            response.endHandler(end -> {
                if (!settled) {
                    settled = true;
                    emitter.complete(new DomoAnswer(response.statusCode(),
                            response.getHeader(HttpHeaders.RETRY_AFTER), body.getBytes()));
                }
            });
        }

        private boolean declaredTooLarge(String length) {
            try {
                return Long.parseLong(length.strip()) > maxBytes;
            } catch (NumberFormatException e) {
                return false;
            }
        }

        private void chunk(Buffer chunk) {
            if (settled) {
                return;
            }
            IOException exceeded = BoundedBody.exceeded((long) body.length() + chunk.length(), maxBytes, deadline);
            if (exceeded != null) {
                abort(exceeded);
            } else {
                body.appendBuffer(chunk);
            }
        }

        /** Nothing more of this answer is read: the connection is reset rather than drained. */
        private void abort(IOException why) {
            fail(why); // first: the reset fails the response too, with a less telling cause
            HttpClientRequest sent = request;
            if (sent != null) {
                sent.reset();
            }
        }

        private void fail(Throwable cause) {
            fail(kind(cause), cause);
        }

        private void fail(DomoTransportException.Kind kind, Throwable cause) {
            if (!settled) {
                settled = true;
                emitter.fail(new DomoTransportException(kind, cause));
            }
        }

        void cancel() {
            if (!settled) {
                settled = true;
                HttpClientRequest sent = request;
                if (sent != null) {
                    sent.reset();
                }
            }
        }
    }

    /** A path segment; identifiers are checked to be {@code [A-Za-z0-9_-]} before they get here. */
    private static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private DomoAnswer send(Function<String, Response> call) {
        String token = tokens.current().orElseThrow(DomoTokenUnavailableException::new);
        Integer status = null;
        try (Response response = call.apply(token)) {
            status = response.getStatus();
            byte[] body = response.hasEntity() ? response.readEntity(byte[].class) : EMPTY;
            // On a connection of its own, an answer may end where the connection does (no Content-Length,
            // not chunked): cut off, it would look whole.
            boolean delimited = response.getHeaderString(HttpHeaders.CONTENT_LENGTH) != null
                    || response.getHeaderString("Transfer-Encoding") != null
                    || response.getStatus() == 204 || response.getStatus() == 304;
            return new DomoAnswer(response.getStatus(), response.getHeaderString(HttpHeaders.RETRY_AFTER), body,
                    delimited);
        } catch (RuntimeException e) {
            // An answer cut off after its status line: the status is recorded, as Domo did answer.
            throw new DomoTransportException(kind(e), status, e);
        }
    }

    /**
     * How far the exchange got, from the failure's causes. The client's own read timeout equals the
     * deadline and may fire a moment before ours: that is the deadline passing too.
     */
    static DomoTransportException.Kind kind(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof BoundedBody.TooLarge) {
                return DomoTransportException.Kind.TOO_LARGE;
            }
            // Nothing of the request was written: no connection (refused, timed out, no route, no
            // local address, no such host) or no TLS session (the client writes only after the handshake).
            if (cause instanceof ConnectException || cause instanceof UnknownHostException
                    || cause instanceof NoRouteToHostException || cause instanceof BindException
                    || cause instanceof SSLHandshakeException) {
                return DomoTransportException.Kind.CONNECT_FAILED;
            }
            if (cause instanceof BoundedBody.TooSlow || cause instanceof java.util.concurrent.TimeoutException
                    || cause instanceof SocketTimeoutException || cause instanceof InterruptedException) {
                return DomoTransportException.Kind.DEADLINE;
            }
        }
        return DomoTransportException.Kind.BROKEN;
    }
}
