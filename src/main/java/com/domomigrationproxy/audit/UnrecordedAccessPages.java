package com.domomigrationproxy.audit;

/**
 * How a read of the trail that cannot be recorded is answered where answers are not the API's
 * problem JSON: the console's pages. Implemented above this package (the console depends on it, not
 * the other way round); without an implementation every such answer is problem JSON.
 */
public interface UnrecordedAccessPages {

    /** True when the request at this path is answered with a page of this kind. */
    boolean answers(String path);

    /** The page's HTML for this status and detail, rendered. */
    String page(int status, String detail);
}
