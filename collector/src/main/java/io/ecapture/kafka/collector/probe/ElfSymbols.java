package io.ecapture.kafka.collector.probe;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Reads which functions an ELF64 little-endian file defines (.dynsym and .symtab), to tell a
 * binary that carries OpenSSL (a private libssl, a statically linked program exporting the SSL
 * symbols) from one that merely imports them. The file is memory-mapped: only the symbol tables'
 * pages are read, even for a 100 MB executable.
 */
final class ElfSymbols {
  private static final int SHT_SYMTAB = 2;
  private static final int SHT_DYNSYM = 11;
  private static final int STT_FUNC = 2;
  private static final int SYMBOL_SIZE = 24;
  private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
  private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
  private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

  private ElfSymbols() {}

  /**
   * Which of {@code wanted} the file defines as functions; empty for non-ELF, 32-bit or big-endian
   * files and unreadable ones.
   */
  static Set<String> definedFunctions(Path file, Set<String> wanted) {
    Set<String> found = new HashSet<>();
    Set<Character> firsts = new HashSet<>();
    wanted.forEach(name -> firsts.add(name.isEmpty() ? 0 : name.charAt(0)));
    try (Arena arena = Arena.ofConfined();
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < 64) {
        return found;
      }
      MemorySegment elf = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
      if (elf.get(U32, 0) != 0x464c457f || elf.get(ValueLayout.JAVA_BYTE, 4) != 2 || elf.get(ValueLayout.JAVA_BYTE, 5) != 1) {
        return found; // not ELF64 little-endian
      }
      long sectionTable = elf.get(U64, 0x28);
      int entrySize = Short.toUnsignedInt(elf.get(U16, 0x3A));
      int sections = Short.toUnsignedInt(elf.get(U16, 0x3C));
      if (entrySize < 64 || sectionTable <= 0 || sectionTable + (long) sections * entrySize > size) {
        return found;
      }
      for (int i = 0; i < sections; i++) {
        long header = sectionTable + (long) i * entrySize;
        int type = elf.get(U32, header + 4);
        if (type != SHT_SYMTAB && type != SHT_DYNSYM) {
          continue;
        }
        long offset = elf.get(U64, header + 0x18);
        long length = elf.get(U64, header + 0x20);
        int link = elf.get(U32, header + 0x28);
        if (link >= sections || offset < 0 || length < 0 || offset + length > size) {
          continue;
        }
        long strings = sectionTable + (long) link * entrySize;
        long stringsOffset = elf.get(U64, strings + 0x18);
        long stringsLength = elf.get(U64, strings + 0x20);
        if (stringsOffset < 0 || stringsLength < 0 || stringsOffset + stringsLength > size) {
          continue;
        }
        MemorySegment names = elf.asSlice(stringsOffset, stringsLength);
        for (long symbol = offset; symbol + SYMBOL_SIZE <= offset + length; symbol += SYMBOL_SIZE) {
          int info = elf.get(ValueLayout.JAVA_BYTE, symbol + 4);
          short section = elf.get(U16, symbol + 6);
          if ((info & 0xf) != STT_FUNC || section == 0) {
            continue; // not a function, or undefined (imported)
          }
          long nameAt = Integer.toUnsignedLong(elf.get(U32, symbol));
          if (nameAt >= names.byteSize() || !firsts.contains((char) (names.get(ValueLayout.JAVA_BYTE, nameAt) & 0xff))) {
            continue; // most symbols: no String made
          }
          String name = name(names, nameAt);
          if (name != null && wanted.contains(name)) {
            found.add(name);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // unreadable or truncated: treat as defining nothing
    }
    return found;
  }

  /** A function's file offset (what a uprobe attaches at) and its first bytes of code (null: not read). */
  record Function(long fileOffset, byte[] code) {}

  /**
   * The file offsets of the functions of {@code wanted} the file defines (see {@link #functions}).
   */
  static Map<String, Long> functionOffsets(Path file, Set<String> wanted) {
    return offsets(functions(file, wanted, Set.of(), 0));
  }

  /**
   * The machine code of each of {@code wanted} the file defines as a function: its symbol's size,
   * at most {@code maxBytes}. Missing names are absent; empty for unreadable files.
   */
  static Map<String, byte[]> functionCode(Path file, Set<String> wanted, int maxBytes) {
    return code(functions(file, wanted, wanted, maxBytes));
  }

  /** The file offset and code (at most {@code maxBytes}) of each of {@code wanted} the file defines. */
  static Map<String, Function> functions(Path file, Set<String> wanted, int maxBytes) {
    return functions(file, wanted, wanted, maxBytes);
  }

  /** The file offsets of functions read by {@link #functions}. */
  static Map<String, Long> offsets(Map<String, Function> functions) {
    Map<String, Long> offsets = new HashMap<>();
    functions.forEach((name, function) -> offsets.put(name, function.fileOffset()));
    return offsets;
  }

  /** The code of functions read by {@link #functions}, where it was read. */
  static Map<String, byte[]> code(Map<String, Function> functions) {
    Map<String, byte[]> code = new HashMap<>();
    functions.forEach((name, function) -> {
      if (function.code() != null) {
        code.put(name, function.code());
      }
    });
    return code;
  }

  /**
   * One pass over the file's symbol tables: the file offset (what a uprobe is attached at) of each
   * function of {@code wanted} the file defines, {@code st_value - sh_addr + sh_offset} of the
   * symbol's section as libbpf computes it for a function name, and for those also in {@code
   * withCode} their first bytes of machine code (the symbol's size, at most {@code maxBytes}, not
   * past the section). Resolving every function in one pass spares libbpf a parse of the whole ELF
   * file per attached probe (a 100 MB executable such as node takes that parse 11 times), and
   * learning the BIO layout ({@link BioLayout}) a parse of its own. Global symbols win over local
   * ones of the same name; empty for unreadable files.
   */
  static Map<String, Function> functions(Path file, Set<String> wanted, Set<String> withCode, int maxBytes) {
    Map<String, Function> global = new HashMap<>();
    Map<String, Function> local = new HashMap<>();
    Set<Character> firsts = new HashSet<>();
    wanted.forEach(name -> firsts.add(name.isEmpty() ? 0 : name.charAt(0)));
    try (Arena arena = Arena.ofConfined();
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < 64) {
        return Map.of();
      }
      MemorySegment elf = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
      if (elf.get(U32, 0) != 0x464c457f || elf.get(ValueLayout.JAVA_BYTE, 4) != 2 || elf.get(ValueLayout.JAVA_BYTE, 5) != 1) {
        return Map.of();
      }
      long sectionTable = elf.get(U64, 0x28);
      int entrySize = Short.toUnsignedInt(elf.get(U16, 0x3A));
      int sections = Short.toUnsignedInt(elf.get(U16, 0x3C));
      if (entrySize < 64 || sectionTable <= 0 || sectionTable + (long) sections * entrySize > size) {
        return Map.of();
      }
      // .dynsym first (small, and it has every exported function): .symtab only for what it lacks
      for (int pass = 0; pass < 2 * sections; pass++) {
        int i = pass % sections;
        long header = sectionTable + (long) i * entrySize;
        int type = elf.get(U32, header + 4);
        if (type != (pass < sections ? SHT_DYNSYM : SHT_SYMTAB)) {
          continue;
        }
        if (type == SHT_SYMTAB && global.keySet().containsAll(wanted)) {
          break;
        }
        long offset = elf.get(U64, header + 0x18);
        long length = elf.get(U64, header + 0x20);
        int link = elf.get(U32, header + 0x28);
        if (link >= sections || offset < 0 || length < 0 || offset + length > size) {
          continue;
        }
        long strings = sectionTable + (long) link * entrySize;
        long stringsOffset = elf.get(U64, strings + 0x18);
        long stringsLength = elf.get(U64, strings + 0x20);
        if (stringsOffset < 0 || stringsLength < 0 || stringsOffset + stringsLength > size) {
          continue;
        }
        MemorySegment names = elf.asSlice(stringsOffset, stringsLength);
        for (long symbol = offset; symbol + SYMBOL_SIZE <= offset + length; symbol += SYMBOL_SIZE) {
          int info = elf.get(ValueLayout.JAVA_BYTE, symbol + 4);
          int section = Short.toUnsignedInt(elf.get(U16, symbol + 6));
          if ((info & 0xf) != STT_FUNC || section == 0 || section >= sections) {
            continue;
          }
          long nameAt = Integer.toUnsignedLong(elf.get(U32, symbol));
          if (nameAt >= names.byteSize() || !firsts.contains((char) (names.get(ValueLayout.JAVA_BYTE, nameAt) & 0xff))) {
            continue; // most symbols: no String made
          }
          String name = name(names, nameAt);
          if (name == null || !wanted.contains(name)) {
            continue;
          }
          boolean isGlobal = ((info & 0xff) >> 4) != 0; // STB_GLOBAL or STB_WEAK
          Map<String, Function> into = isGlobal ? global : local;
          if (into.containsKey(name)) {
            continue;
          }
          long home = sectionTable + (long) section * entrySize;
          long address = elf.get(U64, symbol + 8);
          long sectionAddress = elf.get(U64, home + 0x10);
          long sectionOffset = elf.get(U64, home + 0x18);
          long at = address - sectionAddress;
          byte[] code = null;
          if (withCode.contains(name)) {
            long sectionSize = elf.get(U64, home + 0x20);
            if (at >= 0 && at < sectionSize && sectionOffset >= 0 && sectionOffset + sectionSize <= size) {
              long symbolSize = elf.get(U64, symbol + 16);
              long take = Math.min(maxBytes, sectionSize - at);
              if (symbolSize > 0) {
                take = Math.min(take, symbolSize); // not into the next function
              }
              code = elf.asSlice(sectionOffset + at, take).toArray(ValueLayout.JAVA_BYTE);
            }
          }
          into.put(name, new Function(sectionOffset + at, code));
        }
      }
    } catch (IOException | RuntimeException e) {
      return Map.of();
    }
    local.forEach(global::putIfAbsent);
    return global;
  }

  private static String name(MemorySegment names, long start) {
    if (start >= names.byteSize()) {
      return null;
    }
    long end = start;
    // symbol names of interest are short: stop early on long ones
    while (end < names.byteSize() && end - start < 64 && names.get(ValueLayout.JAVA_BYTE, end) != 0) {
      end++;
    }
    return new String(names.asSlice(start, end - start).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
  }
}
