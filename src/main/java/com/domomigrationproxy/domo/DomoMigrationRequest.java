package com.domomigrationproxy.domo;

/** Body of Domo's migrate call; catalog, schema and table are case-sensitive, schema may be "NULL". */
public record DomoMigrationRequest(String catalog, String schema, String table) {
}
