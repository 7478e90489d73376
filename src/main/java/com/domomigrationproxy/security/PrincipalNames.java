package com.domomigrationproxy.security;

import java.text.Normalizer;
import java.util.Locale;

/** How the service tells principals apart where one person must not pass for another. */
public final class PrincipalNames {

    private PrincipalNames() {
    }

    /**
     * One principal's name as the four-eyes rule and the API keys' reserved names compare it: in any
     * letter case and Unicode compatibility form ("Alice", "alice" and "ａｌｉｃｅ" are one person).
     */
    public static String folded(String principal) {
        return Normalizer.normalize(principal, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    }
}
