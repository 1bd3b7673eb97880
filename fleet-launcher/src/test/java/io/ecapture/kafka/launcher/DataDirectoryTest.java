package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One owner per data directory, private modes, a stable processor instance id. */
class DataDirectoryTest {
  @TempDir Path dir;

  @Test
  void createdPrivateAndAnExistingOneIsTightened() throws Exception {
    Path fresh = dir.resolve("a").resolve("data");
    try (DataDirectory data = DataDirectory.open(fresh)) {
      assertEquals("rwx------", mode(fresh));
      assertEquals("rw-------", mode(fresh.resolve(DataDirectory.LOCK_FILE)));
      assertEquals("pid=" + ProcessHandle.current().pid(),
          Files.readAllLines(fresh.resolve(DataDirectory.LOCK_FILE)).getFirst());
    }
    Path wide = Files.createDirectory(dir.resolve("wide"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Files.setPosixFilePermissions(wide, PosixFilePermissions.fromString("rwxr-xr-x"));
    try (DataDirectory data = DataDirectory.open(wide)) {
      assertEquals("rwx------", mode(wide));
    }
  }

  @Test
  void aSecondOwnerIsRefusedWithOneLineAndTheDirectoryIsFreeAfterClose() throws Exception {
    Path data = dir.resolve("data");
    try (DataDirectory first = DataDirectory.open(data)) {
      DataDirectory.InUseException e =
          assertThrows(DataDirectory.InUseException.class, () -> DataDirectory.open(data));
      assertTrue(e.getMessage().startsWith("data directory " + data + " is in use by this process (pid "
          + ProcessHandle.current().pid() + ")"), e.getMessage());
      assertTrue(e.getMessage().contains("another --data-dir"), e.getMessage());
      assertEquals(1, e.getMessage().lines().count());
    }
    try (DataDirectory again = DataDirectory.open(data)) {
      assertEquals(data, again.path());
    }
  }

  @Test
  void aStaleLockFileOfADeadProcessDoesNotBlock() throws Exception {
    Path data = Files.createDirectory(dir.resolve("data"));
    // what a process killed with SIGKILL leaves: the file with its pid, but no lock
    Files.writeString(data.resolve(DataDirectory.LOCK_FILE), "pid=999999999\nstarted=then\n");
    try (DataDirectory taken = DataDirectory.open(data)) {
      assertEquals("pid=" + ProcessHandle.current().pid(),
          Files.readAllLines(data.resolve(DataDirectory.LOCK_FILE)).getFirst());
      assertEquals("rw-------", mode(data.resolve(DataDirectory.LOCK_FILE)));
    }
  }

  @Test
  void theProcessorInstanceIdIsKeptPerDirectory() throws Exception {
    String id;
    try (DataDirectory data = DataDirectory.open(dir.resolve("one"))) {
      id = data.processorInstanceId("web 01/x");
      assertTrue(id.matches("ecapture-processor-web_01_x-[0-9a-f]{8}"), id);
      assertEquals(id, data.processorInstanceId("web 01/x"));
      assertEquals("rw-------", mode(dir.resolve("one").resolve(DataDirectory.INSTANCE_ID_FILE)));
    }
    try (DataDirectory data = DataDirectory.open(dir.resolve("one"))) {
      assertEquals(id, data.processorInstanceId("renamed-host"), "stable across restarts");
    }
    try (DataDirectory other = DataDirectory.open(dir.resolve("two"))) {
      assertNotEquals(id, other.processorInstanceId("web 01/x"), "two directories never share one");
    }
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}
