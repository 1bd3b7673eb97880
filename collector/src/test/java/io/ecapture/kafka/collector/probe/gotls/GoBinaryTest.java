package io.ecapture.kafka.collector.probe.gotls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.ExternalCommand;
import io.ecapture.kafka.collector.GoPrograms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link GoBinary}, {@link X86Instructions} and {@link GoDwarf} on real Go binaries built here
 * with Debian's Go toolchain, unstripped and stripped; the decoder's instruction boundaries are
 * checked against binutils' {@code objdump -d} of the same binary.
 */
class GoBinaryTest {
  private static GoPrograms.Builds builds;

  @BeforeAll
  static void build() {
    builds = GoPrograms.build();
  }

  @Test
  void findsTheTlsFunctionsInStrippedAndUnstrippedBinaries() throws Exception {
    GoBinary full = GoBinary.read(builds.unstripped(), GoTlsModule.FUNCTIONS);
    GoBinary stripped = GoBinary.read(builds.stripped(), GoTlsModule.FUNCTIONS);
    assertFalse(full.stripped());
    assertTrue(stripped.stripped(), "-s -w leaves no .symtab");
    assertTrue(full.hasDwarf());
    assertFalse(stripped.hasDwarf());
    // the toolchain's own version line names the version the build information carries
    String versionLine = GoPrograms.goVersionLine();
    assertTrue(full.goVersion().startsWith("go1."), full.goVersion());
    assertTrue(versionLine.contains(" " + full.goVersion() + " "), versionLine + " vs " + full.goVersion());
    assertEquals(full.goVersion(), stripped.goVersion());
    for (String name : GoTlsModule.FUNCTIONS) {
      GoBinary.Function f = full.function(name).orElseThrow(() -> new AssertionError(name + " not found"));
      GoBinary.Function s = stripped.function(name).orElseThrow(() -> new AssertionError(name + " not found (stripped)"));
      assertEquals(f.size(), s.size(), name);
      assertTrue(f.size() > 16, name);
      // the unstripped binary's symbol table agrees with the pclntab's entry
      String nm = ExternalCommand.run(builds.unstripped().getParent(), List.of("nm", builds.unstripped().toString()));
      Matcher m = Pattern.compile("(?m)^([0-9a-f]+) [Tt] " + Pattern.quote(name) + "$").matcher(nm);
      assertTrue(m.find(), name + " in nm output");
      assertEquals(Long.parseLong(m.group(1), 16), f.address(), name);
    }
  }

  @Test
  void instructionBoundariesMatchObjdump() throws Exception {
    EbpfEnvironment.requireTool("objdump");
    Path binary = builds.unstripped();
    GoBinary all = GoBinary.read(binary, null);
    Map<Long, String> starts = new HashMap<>();
    List<GoBinary.Function> checked = new ArrayList<>();
    for (GoBinary.Function f : all.functions()) {
      String n = f.name();
      if (n.startsWith("crypto/internal/boring/sig.")) {
        continue; // marker bytes behind a jump: data in .text, objdump cannot decode them either
      }
      if (n.startsWith("crypto/") || n.startsWith("net/http.") || n.startsWith("runtime.") || n.startsWith("net.")) {
        checked.add(f);
      }
    }
    assertTrue(checked.size() > 2000, "functions checked: " + checked.size());
    Path listing = Files.createTempFile("objdump", ".txt");
    try {
      ExternalCommand.run(binary.getParent(),
          List.of("sh", "-c", "objdump -d --no-show-raw-insn -j .text '" + binary + "' > '" + listing + "'"));
      Pattern line = Pattern.compile("^\\s+([0-9a-f]+):\\t(.*)$");
      TreeSet<Long> objdump = new TreeSet<>();
      try (var lines = Files.lines(listing)) {
        lines.forEach(text -> {
          Matcher m = line.matcher(text);
          if (m.matches()) {
            objdump.add(Long.parseLong(m.group(1), 16));
          }
        });
      }
      int instructions = 0;
      int rets = 0;
      for (GoBinary.Function f : checked) {
        List<Integer> ours = X86Instructions.boundaries(f.code());
        List<Long> theirs = new ArrayList<>(objdump.subSet(f.address(), f.end()));
        List<Long> mine = ours.stream().map(o -> f.address() + o).toList();
        assertEquals(theirs, mine, "instruction boundaries of " + f.name());
        instructions += ours.size();
        rets += X86Instructions.returns(f.code()).size();
      }
      assertTrue(instructions > 100_000, "instructions compared: " + instructions);
      assertTrue(rets > 1000, "RETs: " + rets);
    } finally {
      Files.deleteIfExists(listing);
    }
  }

  @Test
  void readReturnsAreRetInstructionsObjdumpShows() throws Exception {
    GoBinary binary = GoBinary.read(builds.unstripped(), GoTlsModule.FUNCTIONS);
    GoBinary.Function read = binary.function(GoTlsModule.READ).orElseThrow();
    String listing = ExternalCommand.run(builds.unstripped().getParent(), List.of("objdump", "-d", "--no-show-raw-insn",
        "--start-address=0x" + Long.toHexString(read.address()), "--stop-address=0x" + Long.toHexString(read.end()),
        builds.unstripped().toString()));
    List<Long> expected = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\s+([0-9a-f]+):\\s+ret").matcher(listing);
    while (m.find()) {
      expected.add(Long.parseLong(m.group(1), 16));
    }
    assertFalse(expected.isEmpty(), listing);
    assertEquals(expected, X86Instructions.returns(read.code()).stream().map(o -> read.address() + o).toList());
  }

  @Test
  void positionIndependentBuildToo() throws Exception {
    GoBinary pie = GoBinary.read(builds.strippedPie(), GoTlsModule.FUNCTIONS);
    assertTrue(pie.stripped());
    GoBinary.Function read = pie.function(GoTlsModule.READ).orElseThrow();
    String listing = ExternalCommand.run(builds.strippedPie().getParent(), List.of("objdump", "-d",
        "--no-show-raw-insn", "--start-address=0x" + Long.toHexString(read.address()),
        "--stop-address=0x" + Long.toHexString(read.end()), builds.strippedPie().toString()));
    List<Long> expected = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\s+([0-9a-f]+):\\s+ret").matcher(listing);
    while (m.find()) {
      expected.add(Long.parseLong(m.group(1), 16));
    }
    assertFalse(expected.isEmpty(), listing);
    assertEquals(expected, X86Instructions.returns(read.code()).stream().map(o -> read.address() + o).toList());
    // the entry is a function start: objdump shows the stack-bound check Go puts first
    assertTrue(listing.contains("%r14"), listing);
  }

  @Test
  void dwarfOffsetsAgreeWithTheVersionTable() throws Exception {
    GoBinary binary = GoBinary.read(builds.unstripped(), GoTlsModule.FUNCTIONS);
    int[] v = binary.versionNumbers();
    GoTlsOffsets table = GoTlsOffsets.forVersion(v[0], v[1]).orElseThrow();
    GoTlsOffsets dwarf = GoDwarf.offsets(builds.unstripped()).orElseThrow(() -> new AssertionError("no DWARF offsets"));
    assertEquals("dwarf", dwarf.source());
    assertEquals(List.of(table.connConnData(), table.connIsClient(), table.tcpConnFd(), table.netFdSysfd(),
            table.connVers()),
        List.of(dwarf.connConnData(), dwarf.connIsClient(), dwarf.tcpConnFd(), dwarf.netFdSysfd(), dwarf.connVers()));
    assertTrue(GoDwarf.offsets(builds.stripped()).isEmpty(), "a stripped binary has no DWARF");
  }

  @Test
  void versionTable() {
    assertTrue(GoTlsOffsets.forVersion(1, 16).isEmpty(), "stack ABI");
    assertEquals(16, GoTlsOffsets.forVersion(1, 19).orElseThrow().netFdSysfd());
    assertTrue(GoTlsOffsets.forVersion(1, 30).orElseThrow().source().contains("assumed"));
    assertEquals(0, GoTlsOffsets.forVersion(1, 21).orElseThrow().connVers(), "vers unknown where not checked");
  }
}
