package com.domomigrationproxy.migration;

import java.util.ArrayList;
import java.util.List;

import jakarta.ws.rs.NotAcceptableException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;

/**
 * The media types a caller accepts, for the resources that choose their answer's format
 * themselves (exports, reports, the public key's forms), most preferred first. An empty Accept
 * header accepts anything, as an absent one does; types given {@code q=0} are refused by the
 * caller and left out (406 when nothing is left); a header that is not a list of media types is a
 * 400, not the 500 that {@link HttpHeaders#getAcceptableMediaTypes()} throws for it.
 */
public final class AcceptHeader {

    private AcceptHeader() {
    }

    public static List<MediaType> acceptable(HttpHeaders headers) {
        List<String> fields = headers.getRequestHeader(HttpHeaders.ACCEPT);
        if (fields == null || fields.stream().allMatch(String::isBlank)) {
            return List.of(MediaType.WILDCARD_TYPE);
        }
        List<MediaType> types;
        try {
            types = headers.getAcceptableMediaTypes();
        } catch (IllegalArgumentException e) {
            throw new ProblemException(400, ProblemType.INVALID_REQUEST,
                    "The Accept header is not a list of media types");
        }
        List<MediaType> accepted = new ArrayList<>(types.size());
        for (MediaType type : types) {
            if (!refused(type)) {
                accepted.add(type);
            }
        }
        if (accepted.isEmpty()) {
            // Every type it names refused, and none other named: nothing is acceptable (the 406 problem).
            throw new NotAcceptableException();
        }
        return accepted;
    }

    private static boolean refused(MediaType type) {
        String quality = type.getParameters().get("q");
        if (quality == null) {
            return false;
        }
        try {
            return Double.parseDouble(quality) == 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
