package org.dapstream.files;

import java.nio.file.Path;

/**
 * Where a transfer's relative path lands under a directory, checked so nothing lands
 * outside it: '/'-separated segments, none empty, "." or "..", no backslash, no NUL, not
 * absolute. What the path names may not exist yet.
 */
public final class FilePaths {
    private FilePaths() {
    }

    /**
     * @return {@code root}/{@code path}, or throws with what is wrong with {@code path}
     * @throws IllegalArgumentException when the path could leave {@code root}
     */
    public static Path resolve(Path root, String path) {
        if (path.isEmpty() || path.startsWith("/")) {
            throw new IllegalArgumentException("path '" + path + "' must be relative to the directory (no leading '/')");
        }
        if (path.indexOf('\\') >= 0 || path.indexOf('\0') >= 0 || path.indexOf(':') >= 0) {
            throw new IllegalArgumentException("path '" + printable(path) + "' has a backslash, NUL or ':'; segments are separated by '/'");
        }
        Path target = root;
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("path '" + path + "' has an empty, '.' or '..' segment");
            }
            target = target.resolve(segment);
        }
        Path normal = target.normalize();
        if (!normal.startsWith(root.normalize())) {
            throw new IllegalArgumentException("path '" + path + "' leaves the directory");
        }
        return normal;
    }

    private static String printable(String s) {
        return s.replace("\0", "\\0");
    }
}
