package dev.t4j.cli;

import java.nio.file.Path;

/** The t4j installation folder (where bundled data lives): -Dt4j.home, set by the launcher, else the working dir. */
final class Home {
    private Home() {}

    static Path path(String relative) {
        String home = System.getProperty("t4j.home");
        return (home == null ? Path.of("") : Path.of(home)).resolve(relative);
    }
}
