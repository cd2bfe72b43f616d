package org.dapstream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

/** Paths of transfers stay under the directory: what is refused, and where the rest lands. */
class FilePathsTest {
    static final Path ROOT = Path.of("/srv/files");

    @ParameterizedTest
    @ValueSource(strings = {"", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/", "./a", "..", ".", "a\\..\\b", "c:x",
        "a\0b"})
    void pathsThatCouldLeaveTheDirectoryAreRefused(String path) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FilePaths.resolve(ROOT, path));
        assertTrue(e.getMessage().startsWith("path '"), e.getMessage());
    }

    @Test
    void relativePathsLandUnderTheDirectory() {
        assertEquals(Path.of("/srv/files/a/b.txt"), FilePaths.resolve(ROOT, "a/b.txt"));
        assertEquals(Path.of("/srv/files/..hidden"), FilePaths.resolve(ROOT, "..hidden"), "a name that starts with dots is a name");
        assertEquals(Path.of("/srv/files/ünïcode/файл"), FilePaths.resolve(ROOT, "ünïcode/файл"));
    }
}
