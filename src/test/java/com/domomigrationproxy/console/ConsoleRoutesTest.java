package com.domomigrationproxy.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

class ConsoleRoutesTest {

    /** A page class left out of the list would get 404s where a 405 with Allow is due. */
    @Test
    void everyConsoleResourceIsListed() throws Exception {
        Path classes = Path.of(ConsoleRoutes.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve(ConsoleRoutes.class.getPackageName().replace('.', '/'));
        List<Class<?>> resources;
        try (Stream<Path> files = Files.list(classes)) {
            resources = files.map(file -> file.getFileName().toString()).filter(name -> name.endsWith(".class"))
                    .<Class<?>>map(name -> load(ConsoleRoutes.class.getPackageName() + "." + name.replace(".class", "")))
                    .filter(type -> type.isAnnotationPresent(jakarta.ws.rs.Path.class)).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        assertThat(resources).isNotEmpty();
        assertThat(ConsoleRoutes.RESOURCES).containsExactlyInAnyOrderElementsOf(resources);
    }

    @Test
    void templatesMatchTheirAddressesOnly() {
        assertThat(ConsoleRoutes.allowed("/console")).containsExactly("GET", "HEAD");
        assertThat(ConsoleRoutes.allowed("/console/plans")).containsExactly("GET", "HEAD", "POST");
        assertThat(ConsoleRoutes.allowed("/console/plans/new")).containsExactly("GET", "HEAD");
        assertThat(ConsoleRoutes.allowed("/console/plans/p-1/pause")).containsExactly("POST");
        assertThat(ConsoleRoutes.allowed("/console/plans/p-1/jump")).isEmpty();
        assertThat(ConsoleRoutes.allowed("/console/plans/p-1/items/7/retry")).containsExactly("POST");
        assertThat(ConsoleRoutes.allowed("/console/plans/p/1/items")).isEmpty();
        assertThat(ConsoleRoutes.allowed("/console/no-such-page")).isEmpty();
        assertThat(ConsoleRoutes.allowed("/api/v1/plans")).isEmpty();
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, ConsoleRoutes.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }
}
