package com.domomigrationproxy.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * A cursor fetches 100 small rows at a time, and about 4 MiB of large ones (rows that repeat a long
 * grant): 1,000 rows of a 64 KiB grant a fetch were more than a pod's heap. A large row makes the
 * next fetches small at once; they grow again once a fetch's worth of small rows came.
 */
class FetchSizeTest {

    @Test
    void theFetchSizeFollowsTheLargestRowSoFar() throws Exception {
        List<Integer> set = new ArrayList<>();
        ResultSet rows = (ResultSet) Proxy.newProxyInstance(ResultSet.class.getClassLoader(),
                new Class<?>[] { ResultSet.class }, (proxy, method, arguments) -> {
                    if (method.getName().equals("setFetchSize")) {
                        set.add((Integer) arguments[0]);
                        return null;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        FetchSize fetch = new FetchSize(rows);
        readSmall(fetch, FetchSize.FIRST);
        assertThat(set).containsExactly(100);
        fetch.read(64 * 1024);
        assertThat(set).containsExactly(100, 63);
        fetch.read(48 * 1024);
        readSmall(fetch, 62);
        assertThat(set).as("a fetch's worth of rows, the largest of them 48 KiB").containsExactly(100, 63, 83);
        fetch.read(8 * 1024 * 1024);
        assertThat(set).containsExactly(100, 63, 83, 1);
        readSmall(fetch, 1);
        assertThat(set).containsExactly(100, 63, 83, 1, 100);
    }

    private static void readSmall(FetchSize fetch, int rows) throws Exception {
        for (int i = 0; i < rows; i++) {
            fetch.read(200);
        }
    }
}
