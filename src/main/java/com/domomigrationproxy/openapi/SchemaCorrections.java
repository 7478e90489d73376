package com.domomigrationproxy.openapi;

import java.util.List;

import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.media.Schema;

import io.quarkus.smallrye.openapi.OpenApiFilter;

/**
 * Two corrections to what SmallRye writes, applied to the whole document at build time so that every
 * endpoint gets them without an annotation.
 * <ul>
 * <li>It copies a {@code type} next to a {@code $ref} or a nullable {@code anyOf}. The referenced
 * schema and the {@code anyOf} members already say what the value is, and the copy is sometimes wrong:
 * a nullable reference typed {@code object} alone forbids the null its own {@code anyOf} allows.</li>
 * <li>Its UUID pattern is unanchored, and OpenAPI patterns match anywhere unless anchored.</li>
 * </ul>
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class SchemaCorrections implements OASFilter {

    @Override
    public Schema filterSchema(Schema schema) {
        if (schema.getType() != null && (schema.getRef() != null || allowsNull(schema.getAnyOf()))) {
            schema.setType(null);
        }
        String pattern = schema.getPattern();
        if ("uuid".equals(schema.getFormat()) && pattern != null && !pattern.startsWith("^")) {
            schema.setPattern("^" + pattern + "$");
        }
        return schema;
    }

    private static boolean allowsNull(List<Schema> alternatives) {
        return alternatives != null && alternatives.stream()
                .anyMatch(alternative -> alternative.getType() != null
                        && alternative.getType().contains(Schema.SchemaType.NULL));
    }
}
