package io.ecapture.kafka.collector.control;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;

/**
 * Files and directories only their owner may read: what the collector writes holds captured
 * plaintext (spool segments), TLS secrets (key-log lines in the spool) or the control token.
 * Directories are created {@code 0700} and files {@code 0600} whatever the process umask: the
 * mode is given at creation (open(2) and mkdir(2) apply the umask, which can only remove bits),
 * so no file is ever readable by others, not even for a moment. Existing ones are tightened.
 */
public final class PrivateFiles {
  /** {@code rwx------}. */
  public static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
  /** {@code rw-------}. */
  public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

  private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY_MODE =
      PosixFilePermissions.asFileAttribute(DIRECTORY);
  private static final FileAttribute<Set<PosixFilePermission>> FILE_MODE =
      PosixFilePermissions.asFileAttribute(FILE);

  private PrivateFiles() {}

  /**
   * Creates {@code dir} and any missing parent as {@code 0700}; an existing {@code dir} (not its
   * parents, which may be shared such as /var/lib) is set to {@code 0700}.
   *
   * @throws IOException when it cannot be created or is not a directory
   */
  public static Path directory(Path dir) throws IOException {
    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      tighten(dir, DIRECTORY);
      return dir;
    }
    try {
      Files.createDirectories(dir, DIRECTORY_MODE);
    } catch (FileAlreadyExistsException e) {
      throw new IOException(dir + " exists and is not a directory", e);
    }
    tighten(dir, DIRECTORY);
    return dir;
  }

  /**
   * Opens {@code file} with {@code options}; when it is created, it is created {@code 0600}, and
   * an existing one is set to {@code 0600} first.
   */
  public static FileChannel open(Path file, OpenOption... options) throws IOException {
    Set<OpenOption> set = new HashSet<>(Set.of(options));
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      tighten(file, FILE);
    }
    return FileChannel.open(file, set, FILE_MODE);
  }

  /**
   * Replaces {@code file} with {@code text} atomically: written to a new {@code 0600} file next to
   * it, then renamed over it, so a reader sees the old or the new content, never a mix.
   */
  public static void writeAtomically(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp); // a leftover of a crash; CREATE_NEW below refuses a planted one
    try (FileChannel out = FileChannel.open(tmp,
        Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), FILE_MODE)) {
      out.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Sets {@code path}'s mode to {@code mode} unless it is already that (not following links). */
  public static void tighten(Path path, Set<PosixFilePermission> mode) throws IOException {
    if (!Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS).equals(mode)) {
      Files.setPosixFilePermissions(path, mode);
    }
  }
}
