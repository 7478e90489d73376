package com.domomigrationproxy.ledger;

/** Which way an Operation moves a datasource; Domo's own names. */
public enum Direction {
    V1_TO_V2,
    V2_TO_V1
}
