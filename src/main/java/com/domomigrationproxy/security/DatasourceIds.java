package com.domomigrationproxy.security;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Domo's datasource ids are UUIDs, whose letters are case-insensitive on input and written in lower
 * case (RFC 4122, and Domo's own lists). One id sent in either case is one data source: wherever two
 * ids meet (the lock on a data source, its trail, scopes, a plan's items, Domo's echo) they are
 * compared in one form, or a caller could start a second operation on a data source Domo is still
 * working on by writing its id in upper case. Rows and Domo's calls keep the id as it was sent; the
 * database compares through {@code datasource_key()} (V23), the same rule.
 */
public final class DatasourceIds {

    private static final Pattern UUID_FORM = Pattern.compile(
            "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}");

    private DatasourceIds() {
    }

    /** The form an id is compared in: a UUID in lower case, any other id as it is. */
    public static String canonical(String id) {
        return isUuid(id) ? id.toLowerCase(Locale.ROOT) : id;
    }

    /** Whether two ids name one data source: the same, or the same UUID in another letter case. */
    public static boolean same(String one, String other) {
        return one.equals(other) || isUuid(one) && isUuid(other) && one.equalsIgnoreCase(other);
    }

    /** Whether the id is a UUID, in either letter case. */
    public static boolean isUuid(String id) {
        return id != null && id.length() == 36 && UUID_FORM.matcher(id).matches();
    }
}
