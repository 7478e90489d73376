package com.domomigrationproxy.domo;

/** No token to send: nothing was sent to Domo. */
class DomoTokenUnavailableException extends RuntimeException {

    DomoTokenUnavailableException() {
        super("The Domo developer token is not configured or cannot be read", null, false, false);
    }
}
