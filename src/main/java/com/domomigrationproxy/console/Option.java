package com.domomigrationproxy.console;

import java.util.ArrayList;
import java.util.List;

/** One choice of a select: its value, its label, and whether it is the one chosen. */
public record Option(String value, String label, boolean selected) {

    /** "Any" (the empty value) followed by the constants, the current value selected. */
    static <E extends Enum<E>> List<Option> anyOr(Class<E> constants, String current) {
        List<Option> options = new ArrayList<>();
        options.add(new Option("", "Any", current == null || current.isEmpty()));
        for (E constant : constants.getEnumConstants()) {
            options.add(new Option(constant.name(), constant.name(), constant.name().equals(current)));
        }
        return options;
    }
}
