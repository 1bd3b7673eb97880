package io.ecapture.kafka.collector.probe.gotls;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the Go module needs from a Go executable (ELF64 little-endian, amd64), read without the
 * symbol table so that stripped binaries ({@code -ldflags=-s -w}) work too:
 *
 * <ul>
 *   <li>functions from the runtime's own function table, {@code .gopclntab}: header magic
 *       0xfffffffa (Go 1.16/1.17), 0xfffffff0 (1.18/1.19), 0xfffffff1 (1.20 and later); the
 *       function table gives each function's entry (relative to the start of {@code .text} since
 *       1.18) and the offset of its name; a function ends where the next one starts;
 *   <li>the Go version from the build information blob ({@code "\xff Go buildinf:"} in {@code
 *       .go.buildinfo}): inline varint-prefixed strings (flag bit 2, Go 1.18+) or, before, a
 *       pointer to the version's string header;
 *   <li>each function's machine code and the file offset of an address (what a uprobe needs).
 * </ul>
 *
 * <p>Only the functions asked for are kept. The file is mapped while it is read, then closed.
 */
public final class GoBinary {
  static final int MAGIC_116 = 0xfffffffa;
  static final int MAGIC_118 = 0xfffffff0;
  static final int MAGIC_120 = 0xfffffff1;
  private static final byte[] BUILDINFO_MAGIC = "\u00ff Go buildinf:".getBytes(StandardCharsets.ISO_8859_1);
  private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
  private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
  private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
  private static final int SHT_NOBITS = 8;
  private static final short EM_X86_64 = 62;

  /** A function found in the pclntab: its address range and file offset; code kept on demand. */
  public record Function(String name, long address, long end, long fileOffset, byte[] code) {
    public long size() {
      return end - address;
    }
  }

  /** An ELF section (name, address, file offset, size). */
  record Section(String name, int type, long flags, long address, long offset, long size) {}

  private final Path path;
  private final String goVersion;
  private final int pclntabMagic;
  private final boolean hasSymtab;
  private final boolean hasDwarf;
  private final Map<String, Function> functions;

  private GoBinary(Path path, String goVersion, int pclntabMagic, boolean hasSymtab, boolean hasDwarf,
      Map<String, Function> functions) {
    this.path = path;
    this.goVersion = goVersion;
    this.pclntabMagic = pclntabMagic;
    this.hasSymtab = hasSymtab;
    this.hasDwarf = hasDwarf;
    this.functions = functions;
  }

  /** Whether {@code file} looks like a Go executable (ELF with Go build information); cheap. */
  public static boolean isGoExecutable(Path file) {
    try (Arena arena = Arena.ofConfined(); FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < 64) {
        return false;
      }
      MemorySegment elf = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
      if (!isElf64(elf)) {
        return false;
      }
      return sections(elf).containsKey(".go.buildinfo");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Reads {@code file}, keeping the functions named in {@code wanted} (with their machine code;
   * null: every function).
   *
   * @throws IOException when the file is not an amd64 ELF64 Go executable or its tables are bad
   */
  public static GoBinary read(Path file, Set<String> wanted) throws IOException {
    try (Arena arena = Arena.ofConfined(); FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < 64) {
        throw new IOException(file + ": too small for ELF");
      }
      MemorySegment elf = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
      if (!isElf64(elf)) {
        throw new IOException(file + ": not an ELF64 little-endian file");
      }
      if (elf.get(U16, 0x12) != EM_X86_64) {
        throw new IOException(file + ": not an x86-64 executable (machine " + elf.get(U16, 0x12) + ")");
      }
      Map<String, Section> sections = sections(elf);
      Section text = sections.get(".text");
      Section pclntab = sections.get(".gopclntab");
      if (pclntab == null) {
        pclntab = sections.get(".data.rel.ro.gopclntab"); // -buildmode=pie
      }
      if (text == null) {
        throw new IOException(file + ": no .text section");
      }
      if (pclntab == null) {
        // internal or PIE link: the table sits in .data.rel.ro; find its header by its magic
        pclntab = findPclntab(elf, sections.get(".data.rel.ro"));
        if (pclntab == null) {
          throw new IOException(file + ": no .gopclntab (not a Go executable, or a layout this reader does not know)");
        }
      }
      String version = buildVersion(elf, sections).orElse("");
      List<Section> all = new ArrayList<>(sections.values());
      Map<String, Function> found = functions(elf, pclntab, text, wanted, all);
      boolean dwarf = sections.containsKey(".debug_info") || sections.containsKey(".zdebug_info");
      return new GoBinary(file, version, elf.get(U32, pclntab.offset()), sections.containsKey(".symtab"),
          dwarf, found);
    }
  }

  public Path path() {
    return path;
  }

  /** The Go release that built it ("go1.19.8"), or "" when the build information is missing. */
  public String goVersion() {
    return goVersion;
  }

  /** The pclntab header's magic (see {@link #MAGIC_118}). */
  public int pclntabMagic() {
    return pclntabMagic;
  }

  /** True when there is no {@code .symtab}: the functions came from the pclntab alone. */
  public boolean stripped() {
    return !hasSymtab;
  }

  /** Whether DWARF ({@code .debug_info}) is present. */
  public boolean hasDwarf() {
    return hasDwarf;
  }

  public Optional<Function> function(String name) {
    return Optional.ofNullable(functions.get(name));
  }

  public Collection<Function> functions() {
    return functions.values();
  }

  /** The (major, minor) of {@link #goVersion}, e.g. {1, 19}; {0, 0} when unknown. */
  public int[] versionNumbers() {
    return parseVersion(goVersion);
  }

  static int[] parseVersion(String version) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^go(\\d+)\\.(\\d+)").matcher(version);
    return m.find() ? new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))} : new int[] {0, 0};
  }

  static boolean isElf64(MemorySegment elf) {
    return elf.get(U32, 0) == 0x464c457f && elf.get(ValueLayout.JAVA_BYTE, 4) == 2
        && elf.get(ValueLayout.JAVA_BYTE, 5) == 1;
  }

  static Map<String, Section> sections(MemorySegment elf) throws IOException {
    long size = elf.byteSize();
    long table = elf.get(U64, 0x28);
    int entrySize = Short.toUnsignedInt(elf.get(U16, 0x3A));
    int count = Short.toUnsignedInt(elf.get(U16, 0x3C));
    int namesIndex = Short.toUnsignedInt(elf.get(U16, 0x3E));
    if (entrySize < 64 || table <= 0 || table + (long) count * entrySize > size || namesIndex >= count) {
      throw new IOException("bad ELF section table");
    }
    long namesOffset = elf.get(U64, table + (long) namesIndex * entrySize + 0x18);
    Map<String, Section> sections = new HashMap<>();
    for (int i = 0; i < count; i++) {
      long header = table + (long) i * entrySize;
      String name = cString(elf, namesOffset + Integer.toUnsignedLong(elf.get(U32, header)), 64);
      Section section = new Section(name, elf.get(U32, header + 4), elf.get(U64, header + 8), elf.get(U64, header + 0x10),
          elf.get(U64, header + 0x18), elf.get(U64, header + 0x20));
      if (section.type() != SHT_NOBITS && (section.offset() < 0 || section.offset() + section.size() > size)) {
        continue;
      }
      sections.putIfAbsent(name, section);
    }
    return sections;
  }

  private static Section findPclntab(MemorySegment elf, Section in) {
    if (in == null) {
      return null;
    }
    for (long at = in.offset(); at + 64 <= in.offset() + in.size(); at += 8) {
      int magic = elf.get(U32, at);
      if ((magic == MAGIC_118 || magic == MAGIC_120 || magic == MAGIC_116)
          && elf.get(U16, at + 4) == 0 && elf.get(ValueLayout.JAVA_BYTE, at + 6) == 1
          && elf.get(ValueLayout.JAVA_BYTE, at + 7) == 8) {
        long delta = at - in.offset();
        return new Section(".gopclntab", 1, 0, in.address() + delta, at, in.size() - delta);
      }
    }
    return null;
  }

  private static Map<String, Function> functions(MemorySegment elf, Section pclntab, Section text,
      Set<String> wanted, List<Section> all) throws IOException {
    long base = pclntab.offset();
    int magic = elf.get(U32, base);
    if (elf.get(U16, base + 4) != 0 || elf.get(ValueLayout.JAVA_BYTE, base + 7) != 8) {
      throw new IOException("pclntab header: not a 64-bit Go table");
    }
    boolean v118 = magic == MAGIC_118 || magic == MAGIC_120;
    if (!v118 && magic != MAGIC_116) {
      throw new IOException(String.format("pclntab magic 0x%08x: Go before 1.16 is not supported", magic));
    }
    long nfunc = elf.get(U64, base + 8);
    // header words after magic/pad/quantum/ptrsize: nfunc, nfiles, [textStart,] funcnameOffset,
    // cuOffset, filetabOffset, pctabOffset, pclnOffset
    int first = v118 ? 3 : 2;
    long funcnameOffset = elf.get(U64, base + 8 + 8L * first);
    long pclnOffset = elf.get(U64, base + 8 + 8L * (first + 4));
    if (nfunc <= 0 || nfunc > 10_000_000 || pclnOffset <= 0 || pclnOffset >= pclntab.size()
        || funcnameOffset <= 0 || funcnameOffset >= pclntab.size()) {
      throw new IOException("pclntab header out of range");
    }
    long functab = base + pclnOffset;
    int field = v118 ? 4 : 8;
    long textStart = text.address();
    Map<String, Function> found = new HashMap<>();
    for (long i = 0; i < nfunc && (wanted == null || found.size() < wanted.size()); i++) {
      long entryField = functab + i * 2 * field;
      long funcOff = v118 ? Integer.toUnsignedLong(elf.get(U32, entryField + 4)) : elf.get(U64, entryField + 8);
      long func = functab + funcOff;
      int nameOff = elf.get(U32, func + field);
      String name = cString(elf, base + funcnameOffset + Integer.toUnsignedLong(nameOff), 256);
      if (wanted != null && !wanted.contains(name)) {
        continue;
      }
      long entry = v118 ? textStart + Integer.toUnsignedLong(elf.get(U32, entryField)) : elf.get(U64, entryField);
      long nextField = entryField + 2 * field;
      long end = v118 ? textStart + Integer.toUnsignedLong(elf.get(U32, nextField)) : elf.get(U64, nextField);
      long fileOffset = fileOffset(all, entry);
      if (fileOffset < 0 || end <= entry || end - entry > 1 << 20) {
        throw new IOException("function " + name + " at 0x" + Long.toHexString(entry) + " outside the file");
      }
      byte[] code = elf.asSlice(fileOffset, end - entry).toArray(ValueLayout.JAVA_BYTE);
      found.put(name, new Function(name, entry, end, fileOffset, code));
    }
    return found;
  }

  /** The file offset of virtual address {@code address}, -1 when no section with contents holds it. */
  static long fileOffset(List<Section> sections, long address) {
    for (Section s : sections) {
      if (s.type() != SHT_NOBITS && s.address() != 0 && address >= s.address() && address < s.address() + s.size()) {
        return s.offset() + (address - s.address());
      }
    }
    return -1;
  }

  private static Optional<String> buildVersion(MemorySegment elf, Map<String, Section> sections) {
    Section info = sections.get(".go.buildinfo");
    if (info == null || info.size() < 32) {
      return Optional.empty();
    }
    long at = info.offset();
    for (int i = 0; i < BUILDINFO_MAGIC.length; i++) {
      if (elf.get(ValueLayout.JAVA_BYTE, at + i) != BUILDINFO_MAGIC[i]) {
        return Optional.empty();
      }
    }
    int ptrSize = elf.get(ValueLayout.JAVA_BYTE, at + 14);
    int flags = elf.get(ValueLayout.JAVA_BYTE, at + 15);
    if ((flags & 2) != 0) {
      // varint length, then the bytes
      long pos = at + 32;
      long length = 0;
      int shift = 0;
      while (shift < 35) {
        int b = Byte.toUnsignedInt(elf.get(ValueLayout.JAVA_BYTE, pos++));
        length |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          break;
        }
        shift += 7;
      }
      if (length <= 0 || length > 128 || pos + length > info.offset() + info.size()) {
        return Optional.empty();
      }
      return Optional.of(new String(elf.asSlice(pos, length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
    }
    if (ptrSize != 8 || flags != 0) {
      return Optional.empty();
    }
    // a pointer to a string header {ptr, len}
    List<Section> all = new ArrayList<>(sections.values());
    long header = fileOffset(all, elf.get(U64, at + 16));
    if (header < 0) {
      return Optional.empty();
    }
    long data = fileOffset(all, elf.get(U64, header));
    long length = elf.get(U64, header + 8);
    if (data < 0 || length <= 0 || length > 128) {
      return Optional.empty();
    }
    return Optional.of(new String(elf.asSlice(data, length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
  }

  private static String cString(MemorySegment elf, long start, int max) {
    long end = start;
    while (end < elf.byteSize() && end - start < max && elf.get(ValueLayout.JAVA_BYTE, end) != 0) {
      end++;
    }
    return new String(elf.asSlice(start, end - start).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
  }
}
