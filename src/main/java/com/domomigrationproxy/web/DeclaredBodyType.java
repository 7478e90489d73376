package com.domomigrationproxy.web;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

/**
 * A body is read only when its Content-Type names a type the resource consumes (415 otherwise,
 * before anything is recorded or sent to Domo). Quarkus REST matches a request without a
 * Content-Type, or with a wildcard such as {@code application/*}, to any {@code @Consumes}, and
 * reads a JSON body as UTF-8 whatever charset it announces; JSON is UTF-8 (RFC 8259), so another
 * charset is refused rather than misread.
 */
public class DeclaredBodyType {

    @ServerRequestFilter
    public void requireDeclaredType(ContainerRequestContext request, ResourceInfo resource) {
        // Only the API's POSTs take a body: a GET returns at once.
        Method method = "GET".equals(request.getMethod()) ? null : resource.getResourceMethod();
        Consumes consumes = method == null ? null : method.isAnnotationPresent(Consumes.class)
                ? method.getAnnotation(Consumes.class) : resource.getResourceClass().getAnnotation(Consumes.class);
        if (consumes == null) {
            return;
        }
        MediaType sent = mediaType(request.getHeaderString(HttpHeaders.CONTENT_TYPE));
        if (sent != null && !sent.isWildcardType() && !sent.isWildcardSubtype()) {
            for (String consumed : consumes.value()) {
                if (MediaType.valueOf(consumed).isCompatible(sent) && readable(sent)) {
                    return;
                }
            }
        }
        throw new ProblemException(415, ProblemType.UNSUPPORTED_MEDIA_TYPE, "Send the body as "
                + String.join(" or as ", consumes.value()) + (consumes.value().length == 1
                        && MediaType.APPLICATION_JSON.equals(consumes.value()[0]) ? " (UTF-8)" : "")
                + ", named in Content-Type");
    }

    private static MediaType mediaType(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        try {
            return MediaType.valueOf(header);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** JSON only in UTF-8 (or US-ASCII); other types check their own charset (a plan's CSV). */
    private static boolean readable(MediaType sent) {
        String charset = sent.getParameters().get(MediaType.CHARSET_PARAMETER);
        // US-ASCII is UTF-8's subset: its bytes read the same.
        return charset == null || !sent.isCompatible(MediaType.APPLICATION_JSON_TYPE)
                || StandardCharsets.UTF_8.name().equalsIgnoreCase(charset) || "utf8".equalsIgnoreCase(charset)
                || StandardCharsets.US_ASCII.name().equalsIgnoreCase(charset);
    }
}
