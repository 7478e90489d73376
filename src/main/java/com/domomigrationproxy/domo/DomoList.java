package com.domomigrationproxy.domo;

import java.io.IOException;
import java.io.UncheckedIOException;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

/**
 * A list Domo answered, already checked to be exactly one JSON array: its bytes go to the caller
 * as Domo sent them, and a tree is built only when something looks inside (a scope that filters
 * items, the console, plans). A list that had to be changed (the token redacted, items left out)
 * is held as its tree and written once when its bytes are asked for. Used by one request at a time.
 */
public final class DomoList {

    private final ObjectMapper json;
    private byte[] bytes;
    private ArrayNode tree;

    private DomoList(ObjectMapper json, byte[] bytes, ArrayNode tree) {
        this.json = json;
        this.bytes = bytes;
        this.tree = tree;
    }

    /** Bytes that are one UTF-8 JSON array (the caller checked). */
    static DomoList ofBytes(ObjectMapper json, byte[] bytes) {
        return new DomoList(json, bytes, null);
    }

    public static DomoList ofTree(ObjectMapper json, ArrayNode tree) {
        return new DomoList(json, null, tree);
    }

    /** The list as UTF-8 JSON. */
    public byte[] bytes() {
        if (bytes == null) {
            try {
                bytes = json.writeValueAsBytes(tree);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return bytes;
    }

    /** The list as a tree, parsed on first use. */
    public ArrayNode tree() {
        if (tree == null) {
            try {
                tree = (ArrayNode) json.readTree(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return tree;
    }
}
