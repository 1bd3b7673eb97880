package io.ecapture.kafka.launcher;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Set;

/**
 * The data directory of one running {@link Fleet} ({@code up}): broker storage, streams state,
 * spool. It belongs to one process at a time and to its owner only.
 *
 * <ul>
 *   <li><b>One owner.</b> {@link #open} takes an exclusive lock ({@link FileChannel#tryLock}) on
 *       {@value #LOCK_FILE} and writes its pid there; a second {@code up} on the same directory
 *       gets {@link InUseException} with one line naming the first, before it starts anything.
 *       The kernel drops the lock when its process ends, however it ends, so the lock of a
 *       process killed with SIGKILL never blocks a restart (the stale pid in the file is simply
 *       overwritten).
 *   <li><b>Private.</b> The directory is {@code 0700} (created so, or set so); what the broker
 *       child, the streams state and the spool create in it is private too (see {@link Fleet}).
 *   <li><b>Stable identity.</b> {@link #processorInstanceId} is created once and kept here, so
 *       the processor restarted on this directory is the same static group member (it takes its
 *       partitions back at once instead of waiting for the old member's session timeout).
 * </ul>
 */
final class DataDirectory implements AutoCloseable {
  /** Held locked by the running owner; holds its pid and start time. */
  static final String LOCK_FILE = "up.lock";
  /** The processor's static group membership id (Kafka Streams appends its thread index). */
  static final String INSTANCE_ID_FILE = "processor.instance-id";
  static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");

  private final Path dir;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private DataDirectory(Path dir, FileChannel lockChannel, FileLock lock) {
    this.dir = dir;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /** A second process (or fleet) found the directory owned; the message is one line for a user. */
  static final class InUseException extends IllegalStateException {
    InUseException(String message) {
      super(message);
    }
  }

  /**
   * Creates the directory {@code 0700} (an existing one is set to {@code 0700}) and takes it.
   *
   * @throws InUseException another live process (or another fleet of this JVM) holds it
   * @throws IOException it cannot be created or locked
   */
  static DataDirectory open(Path dir) throws IOException {
    privateDirectory(dir);
    Path lockFile = dir.resolve(LOCK_FILE);
    FileChannel channel = FileChannel.open(lockFile,
        Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
        PosixFilePermissions.asFileAttribute(PRIVATE_FILE));
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      channel.close();
      throw new InUseException(inUse(dir, "this process (pid " + ProcessHandle.current().pid()
          + ") already runs a fleet on it"));
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      String owner = describeOwner(lockFile);
      channel.close();
      throw new InUseException(inUse(dir, owner));
    }
    try {
      Files.setPosixFilePermissions(lockFile, PRIVATE_FILE);
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(("pid=" + ProcessHandle.current().pid() + "\nstarted="
          + Instant.now() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
      channel.force(false);
    } catch (IOException | RuntimeException e) {
      channel.close(); // releases the lock
      throw e;
    }
    return new DataDirectory(dir, channel, lock);
  }

  private static String inUse(Path dir, String owner) {
    return "data directory " + dir + " is in use by " + owner
        + ": stop that one first, or give this one another --data-dir";
  }

  /** "ecapture-kafka (pid N, started T: command...)" from the lock file and /proc. */
  private static String describeOwner(Path lockFile) {
    String pid = null;
    String started = null;
    try {
      for (String line : Files.readAllLines(lockFile, StandardCharsets.UTF_8)) {
        if (line.startsWith("pid=")) {
          pid = line.substring(4).strip();
        } else if (line.startsWith("started=")) {
          started = line.substring(8).strip();
        }
      }
    } catch (IOException e) {
      // the lock itself is the proof; the details are a courtesy
    }
    if (pid == null) {
      return "another process (pid unknown: " + lockFile + " is locked)";
    }
    StringBuilder owner = new StringBuilder("another ecapture-kafka (pid ").append(pid);
    if (started != null) {
      owner.append(", started ").append(started);
    }
    try {
      ProcessHandle.of(Long.parseLong(pid)).map(DataDirectory::command).ifPresent(cmd ->
          owner.append(": ").append(cmd.length() > 160 ? cmd.substring(0, 157) + "..." : cmd));
    } catch (NumberFormatException e) {
      // not a pid: leave it as written
    }
    return owner.append(')').toString();
  }

  /** "ecapture-kafka up --data-dir ..." when the process runs our launcher, else its command. */
  private static String command(ProcessHandle process) {
    String[] args;
    try {
      // all of it: the JDK leaves Info.arguments() empty for a long command line (a class path)
      args = new String(Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline")),
          StandardCharsets.UTF_8).split("\0");
    } catch (IOException | RuntimeException e) {
      args = process.info().arguments().orElse(new String[0]);
    }
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("up")) {
        return "ecapture-kafka " + String.join(" ", java.util.Arrays.copyOfRange(args, i, args.length));
      }
    }
    return process.info().commandLine().orElse("?");
  }

  Path path() {
    return dir;
  }

  /**
   * The processor's {@code group.instance.id} for this directory: {@code
   * ecapture-processor-HOSTID-RANDOM}, created on first use and kept in {@value
   * #INSTANCE_ID_FILE}. The host id makes it readable in group listings, the random part keeps
   * two data directories of hosts with the same name (or two fleets of one host) from fencing
   * each other on a shared cluster.
   */
  String processorInstanceId(String hostId) throws IOException {
    Path file = dir.resolve(INSTANCE_ID_FILE);
    if (Files.exists(file)) {
      String id = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (!id.isEmpty()) {
        return id;
      }
    }
    byte[] random = new byte[4];
    new SecureRandom().nextBytes(random);
    String id = "ecapture-processor-" + hostId.replaceAll("[^A-Za-z0-9._-]", "_") + "-"
        + HexFormat.of().formatHex(random);
    Path tmp = dir.resolve(INSTANCE_ID_FILE + ".tmp");
    Files.deleteIfExists(tmp);
    Files.writeString(Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PRIVATE_FILE)),
        id + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return id;
  }

  /** Creates {@code dir} (and missing parents) {@code 0700}; an existing one is set to 0700. */
  static void privateDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
    }
    Files.setPosixFilePermissions(dir, PRIVATE_DIR);
  }

  /** Sets {@code path} to {@code 0700} if it is a directory (no-op when missing). */
  static void tightenDirectory(Path path) throws IOException {
    if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
      Files.setPosixFilePermissions(path, PRIVATE_DIR);
    }
  }

  /** Releases the directory (the lock file stays; its content is stale from now on). */
  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException e) {
      // closing the channel releases it anyway
    }
    try {
      lockChannel.close();
    } catch (IOException e) {
      // nothing held any more
    }
  }
}
