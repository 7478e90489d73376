package com.domomigrationproxy.security;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Whether a URL's host is this machine's loopback, by its literal name ({@code localhost},
 * {@code 127.x.x.x}, {@code ::1}): nothing is resolved, so a name that a resolver might point
 * elsewhere is never taken for loopback. Plain-text connections are allowed there without an opt-in.
 */
public final class LoopbackHosts {

    /** 127.0.0.0/8 written as an address (a host name that merely starts with "127." is not loopback). */
    private static final Pattern IPV4_LOOPBACK = Pattern.compile("127(\\.[0-9]{1,3}){3}");

    private LoopbackHosts() {
    }

    public static boolean loopback(String host) {
        String name = host.toLowerCase(Locale.ROOT);
        return name.equals("localhost") || IPV4_LOOPBACK.matcher(name).matches() || name.equals("[::1]")
                || name.equals("::1");
    }
}
