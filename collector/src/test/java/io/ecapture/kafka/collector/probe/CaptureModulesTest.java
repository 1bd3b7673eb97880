package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Module selection and the struct offsets decoded from accessor functions' machine code. */
class CaptureModulesTest {
  @TempDir Path dir;

  @Test
  void gnutlsTransportOffsetIsDecodedFromTheAccessor() {
    // mov 0x600(%rdi),%eax; ret  (Debian's libgnutls.so.30 3.7/3.8)
    assertEquals(0x600, CaptureModules.gnutlsTransportOffset(new byte[] {(byte) 0x8b, (byte) 0x87, 0, 6, 0, 0, (byte) 0xc3}));
    // endbr64 first, then a disp8 form
    assertEquals(0x48, CaptureModules.gnutlsTransportOffset(new byte[] {(byte) 0xf3, 0x0f, 0x1e, (byte) 0xfa,
        (byte) 0x8b, 0x47, 0x48, (byte) 0xc3}));
    assertEquals(-1, CaptureModules.gnutlsTransportOffset(new byte[] {0x55, 0x48, (byte) 0x89, (byte) 0xe5}));
  }

  @Test
  void nsprOsfdOffsetsAreDecodedFromTheAccessor() {
    // ... call PR_GetIdentitiesLayer; test %rax,%rax; je; mov 0x8(%rax),%rax; mov 0x1c(%rax),%eax
    byte[] code = {(byte) 0xe8, 0, 0, 0, 0, 0x48, (byte) 0x85, (byte) 0xc0, 0x74, 0x13, 0x48, (byte) 0x8b, 0x40, 0x08,
        (byte) 0x8b, 0x40, 0x1c, 0x48, (byte) 0x83, (byte) 0xc4, 0x08, (byte) 0xc3};
    assertArrayEquals(new int[] {8, 0x1c}, CaptureModules.nsprOsfdOffsets(code));
    assertNull(CaptureModules.nsprOsfdOffsets(new byte[] {0x55, (byte) 0xc3}));
  }

  @Test
  void theInstalledLibrariesDecode() {
    Path gnutls = Path.of("/usr/lib/x86_64-linux-gnu/libgnutls.so.30");
    if (Files.exists(gnutls)) {
      UprobeModule.Offsets offsets = CaptureModules.gnutlsOffsets(gnutls);
      assertNull(offsets.error());
      assertTrue(offsets.fdOffset() > 0 && offsets.fdOffset() < 0x10000, "fd offset " + offsets.fdOffset());
    }
    Path nspr = Path.of("/usr/lib/x86_64-linux-gnu/libnspr4.so");
    if (Files.exists(nspr)) {
      UprobeModule.Offsets offsets = CaptureModules.nsprOffsets(nspr);
      assertNull(offsets.error());
      assertEquals(8, offsets.secretOffset());
    }
  }

  @Test
  void selectionDefaultsToWhatIsPresentAndRefusesUnknownNames() {
    ModulesConfig all = ModulesConfig.defaults();
    assertTrue(all.wants("bash", true));
    assertTrue(!all.wants("bash", false));
    ModulesConfig some = ModulesConfig.only(List.of("bash"));
    assertTrue(some.wants("bash", false));
    assertTrue(!some.wants("tls", true));
    assertThrows(IllegalArgumentException.class, () -> ModulesConfig.only(List.of("perl")));
  }

  @Test
  void globsExpandToTheFilesThatExist() throws Exception {
    Files.createDirectories(dir.resolve("a/15/bin"));
    Files.createDirectories(dir.resolve("a/16/bin"));
    Files.writeString(dir.resolve("a/16/bin/postgres"), "x");
    assertEquals(List.of(dir.resolve("a/16/bin/postgres")), UprobeModule.expand(dir + "/a/*/bin/postgres"));
    assertEquals(List.of(), UprobeModule.expand(dir + "/b/*/bin/postgres"));
    assertEquals(Set.of(), Set.copyOf(UprobeModule.expand(dir + "/a/15/bin/postgres")));
  }
}
