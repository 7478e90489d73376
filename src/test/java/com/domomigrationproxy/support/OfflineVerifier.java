package com.domomigrationproxy.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs deploy/audit/verify_export.py as an auditor would, on a machine with Python 3 alone. */
public final class OfflineVerifier {

    /** What the verifier printed and its exit status. */
    public record Result(int status, String output) {
    }

    private OfflineVerifier() {
    }

    public static Result run(String... arguments) {
        List<String> command = new ArrayList<>(List.of("python3", Path.of("deploy", "audit", "verify_export.py").toString()));
        command.addAll(List.of(arguments));
        try {
            Process verifier = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(verifier.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            int status = verifier.waitFor();
            System.out.println("verify_export.py: " + output);
            return new Result(status, output);
        } catch (IOException e) {
            throw new IllegalStateException("python3 must be on the PATH to run the offline verifier", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
