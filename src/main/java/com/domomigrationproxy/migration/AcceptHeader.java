package com.domomigrationproxy.migration;

import java.util.List;

import jakarta.ws.rs.NotAcceptableException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

/**
 * Which of the types a resource offers to answer in, for the resources that choose their
 * answer's format themselves (exports, reports, the public key's forms), as RFC 9110 §12.5.1 has
 * it: each offered type takes the quality of the most specific range that names it, so
 * {@code application/json;q=0, *}{@code /*} refuses JSON and accepts the rest; the highest quality
 * wins, ties going to the order the resource offers. An empty Accept header accepts anything, as
 * an absent one does. A header that names only types the resource does not offer is looked past
 * (the first offered type it does not refuse); one that refuses everything it names, or every
 * offered type, is a 406; one that is not a list of media types (Quarkus REST answers most of those
 * 406 before a resource runs) is a 400, not the 500 that
 * {@link HttpHeaders#getAcceptableMediaTypes()} throws for it.
 */
public final class AcceptHeader {

    private AcceptHeader() {
    }

    /** One of {@code offered}, the resource's preferred first. */
    public static String choose(HttpHeaders headers, String... offered) {
        List<MediaType> ranges = ranges(headers);
        if (ranges.stream().allMatch(range -> quality(range) == 0)) {
            // Every type it names refused, and none other named: nothing is acceptable (the 406 problem).
            throw new NotAcceptableException();
        }
        String best = null;
        double bestQuality = 0;
        String unnamed = null;
        for (String candidate : offered) {
            MediaType type = MediaType.valueOf(candidate);
            int specificity = -1;
            double quality = 0;
            for (MediaType range : ranges) {
                if (!range.isCompatible(type)) {
                    continue;
                }
                int rangeSpecificity = range.isWildcardType() ? 0 : range.isWildcardSubtype() ? 1 : 2;
                if (rangeSpecificity > specificity) {
                    specificity = rangeSpecificity;
                    quality = quality(range);
                } else if (rangeSpecificity == specificity) {
                    quality = Math.max(quality, quality(range));
                }
            }
            if (specificity < 0) {
                unnamed = unnamed == null ? candidate : unnamed;
            } else if (quality > bestQuality) {
                best = candidate;
                bestQuality = quality;
            }
        }
        if (best != null) {
            return best;
        }
        if (unnamed != null) {
            return unnamed;
        }
        throw new NotAcceptableException();
    }

    private static List<MediaType> ranges(HttpHeaders headers) {
        List<String> fields = headers.getRequestHeader(HttpHeaders.ACCEPT);
        if (fields == null || fields.stream().allMatch(String::isBlank)) {
            return List.of(MediaType.WILDCARD_TYPE);
        }
        try {
            return headers.getAcceptableMediaTypes();
        } catch (IllegalArgumentException e) {
            throw new ProblemException(400, ProblemType.INVALID_REQUEST,
                    "The Accept header is not a list of media types");
        }
    }

    /** The range's q, from 0 to 1; one that does not parse counts as 1, as if it were absent. */
    private static double quality(MediaType range) {
        String quality = range.getParameters().get("q");
        if (quality == null) {
            return 1;
        }
        try {
            double value = Double.parseDouble(quality);
            return Double.isNaN(value) ? 1 : Math.max(0, Math.min(1, value));
        } catch (NumberFormatException e) {
            return 1;
        }
    }
}
