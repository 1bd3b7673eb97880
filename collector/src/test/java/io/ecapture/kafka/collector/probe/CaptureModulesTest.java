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
  void gnutlsKeyLogMachineCodeDecodes() {
    // Debian 12's libgnutls 3.7.9: gnutls_session_get_random
    byte[] random = {0x48, (byte) 0x85, (byte) 0xf6, 0x74, 0x0e, 0x48, (byte) 0x8d, 0x47, 0x50, (byte) 0xc7, 0x46, 0x08};
    assertEquals(0x50, CaptureModules.gnutlsClientRandomOffset(random));
    assertEquals(-1, CaptureModules.gnutlsClientRandomOffset(new byte[] {0x55, 0x48, (byte) 0x89, (byte) 0xe5, 0, 0, 0, 0}));
    // gnutls_session_set_keylog_function (mov %rsi,0x660(%rdi); ret), nop padding, then the call
    // loading the same field (sub $0x28,%rsp; mov 0x660(%rdi),%r8)
    byte[] code = new byte[48];
    byte[] setter = {0x48, (byte) 0x89, (byte) 0xb7, 0x60, 0x06, 0, 0, (byte) 0xc3};
    System.arraycopy(setter, 0, code, 0, setter.length);
    for (int i = 8; i < 16; i++) {
      code[i] = (byte) 0x90;
    }
    byte[] call = {0x48, (byte) 0x83, (byte) 0xec, 0x28, 0x4c, (byte) 0x8b, (byte) 0x87, 0x60, 0x06, 0, 0};
    System.arraycopy(call, 0, code, 16, call.length);
    assertEquals(16, CaptureModules.gnutlsKeyLogCall(code));
    code[8] = 0x00; // still padding: the field test decides
    code[21] = 0x70; // another field: not the key-log call
    assertEquals(-1, CaptureModules.gnutlsKeyLogCall(code));
    assertEquals(-1, CaptureModules.gnutlsKeyLogCall(new byte[] {0x55, (byte) 0xc3, 0, 0, 0, 0, 0, 0, 0}));
  }

  @Test
  void theInstalledLibrariesDecode() {
    Path gnutls = Path.of("/usr/lib/x86_64-linux-gnu/libgnutls.so.30");
    if (Files.exists(gnutls)) {
      UprobeModule.Offsets offsets = CaptureModules.gnutlsOffsets(gnutls);
      assertNull(offsets.error());
      assertTrue(offsets.fdOffset() > 0 && offsets.fdOffset() < 0x10000, "fd offset " + offsets.fdOffset());
      // the key log: the client random's offset and the internal key-log call, located by code
      assertTrue(offsets.notes().isEmpty(), offsets.notes().toString());
      assertTrue(offsets.secretOffset() > 0, "client random offset " + offsets.secretOffset());
      assertTrue(offsets.located().containsKey(CaptureModules.GNUTLS_KEYLOG_CALL), offsets.toString());
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
