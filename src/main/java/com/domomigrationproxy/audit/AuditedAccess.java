package com.domomigrationproxy.audit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an audit-API resource (class or method) whose every request is recorded as an
 * {@code AUDIT_ACCESS} event in the hash chain by {@link AuditAccessRecorder}: who, from where,
 * which operation and query, the status and how many rows were returned or exported. A new audit
 * endpoint gets this by carrying the annotation (or living in an annotated class); an answer that
 * holds several records implements {@link AuditAnswer}, and a streamed export is an
 * {@link AuditedExport}.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ ElementType.TYPE, ElementType.METHOD })
public @interface AuditedAccess {
}
