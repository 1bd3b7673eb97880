package io.ecapture.kafka.collector.probe;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Reads which functions an ELF64 little-endian file defines (.dynsym and .symtab), to tell a
 * binary that carries OpenSSL (a private libssl, a statically linked program exporting the SSL
 * symbols) from one that merely imports them, where they are (the file offsets uprobes attach at)
 * and their first bytes of code. The capture modules look functions up by pattern ({@link
 * #matchingOffsets}) and decode struct offsets from small accessor functions ({@link #bytesAt}).
 * The file is memory-mapped: only the symbol tables' pages are read, even for a 100 MB executable.
 */
final class ElfSymbols {
  private static final int SHT_SYMTAB = 2;
  private static final int SHT_DYNSYM = 11;
  private static final int STT_FUNC = 2;
  private static final int PT_LOAD = 1;
  private static final int SYMBOL_SIZE = 24;
  private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
  private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
  private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

  private ElfSymbols() {}

  /**
   * Which of {@code wanted} the file defines as functions (in a section of its own); empty for
   * non-ELF, 32-bit or big-endian files and unreadable ones.
   */
  static Set<String> definedFunctions(Path file, Set<String> wanted) {
    return new HashSet<>(read(file, wanted, Set.of(), 0, false).keySet());
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
    return read(file, wanted, withCode, maxBytes, false);
  }

  /**
   * File offsets of those of {@code patterns} the file defines as functions, as the capture
   * modules look them up: a versioned symbol such as {@code f@@V_1} counts as {@code f}; a pattern
   * ending in {@code *} matches the first symbol starting with the rest (C++ mangled names: {@code
   * _Z16dispatch_command*}) and is the key it is found under; the offset comes from the symbol's
   * address through the PT_LOAD program headers. Empty for unreadable or non-ELF64 files.
   */
  static Map<String, Long> matchingOffsets(Path file, Set<String> patterns) {
    return offsets(read(file, patterns, Set.of(), 0, true));
  }

  /** {@code count} bytes of {@code file} from {@code offset} (fewer at its end; empty on error). */
  static byte[] bytesAt(Path file, long offset, int count) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocate(count);
      while (buffer.hasRemaining() && channel.read(buffer, offset + buffer.position()) > 0) {
        // reading
      }
      return Arrays.copyOf(buffer.array(), buffer.position());
    } catch (IOException e) {
      return new byte[0];
    }
  }

  /**
   * The one walk over the symbol tables behind {@link #functions} (exact names, section-based
   * offsets) and {@link #matchingOffsets} ({@code patterns}: versioned names and {@code *}
   * prefixes, offsets through the program headers).
   */
  private static Map<String, Function> read(Path file, Set<String> wanted, Set<String> withCode, int maxBytes,
      boolean patterns) {
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
      long programTable = elf.get(U64, 0x20);
      int programEntry = Short.toUnsignedInt(elf.get(U16, 0x36));
      int programs = Short.toUnsignedInt(elf.get(U16, 0x38));
      if (patterns && (programTable <= 0 || programTable + (long) programs * programEntry > size)) {
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
          // by address (patterns), a function in a special section (SHN_ABS) still has its place
          if ((info & 0xf) != STT_FUNC || section == 0 || (!patterns && section >= sections)) {
            continue;
          }
          long nameAt = Integer.toUnsignedLong(elf.get(U32, symbol));
          if (nameAt >= names.byteSize() || !firsts.contains((char) (names.get(ValueLayout.JAVA_BYTE, nameAt) & 0xff))) {
            continue; // most symbols: no String made
          }
          // C++ mangled and versioned names are long: read those further when matching patterns
          String name = name(names, nameAt, patterns ? 256 : 64);
          String key = name == null ? null : patterns ? patternKey(wanted, name) : wanted.contains(name) ? name : null;
          if (key == null) {
            continue;
          }
          boolean isGlobal = ((info & 0xff) >> 4) != 0; // STB_GLOBAL or STB_WEAK
          Map<String, Function> into = isGlobal ? global : local;
          if (into.containsKey(key)) {
            continue;
          }
          long address = elf.get(U64, symbol + 8);
          if (patterns) {
            long fileOffset = loadedFileOffset(elf, programTable, programEntry, programs, address);
            if (fileOffset >= 0) {
              into.put(key, new Function(fileOffset, null));
            }
            continue;
          }
          long home = sectionTable + (long) section * entrySize;
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

  /** The pattern {@code name} matches (its version suffix dropped): itself, or a {@code prefix*} one; else null. */
  private static String patternKey(Set<String> patterns, String name) {
    int at = name.indexOf('@');
    String plain = at > 0 ? name.substring(0, at) : name;
    if (patterns.contains(plain)) {
      return plain;
    }
    for (String pattern : patterns) {
      if (pattern.endsWith("*") && plain.startsWith(pattern.substring(0, pattern.length() - 1))) {
        return pattern;
      }
    }
    return null;
  }

  /** The file offset of virtual address {@code vaddr} through the PT_LOAD segments, or -1. */
  private static long loadedFileOffset(MemorySegment elf, long table, int entry, int count, long vaddr) {
    for (int i = 0; i < count; i++) {
      long header = table + (long) i * entry;
      if (elf.get(U32, header) != PT_LOAD) {
        continue;
      }
      long fileOffset = elf.get(U64, header + 0x08);
      long segmentVaddr = elf.get(U64, header + 0x10);
      long fileSize = elf.get(U64, header + 0x20);
      if (vaddr >= segmentVaddr && vaddr < segmentVaddr + fileSize) {
        return vaddr - segmentVaddr + fileOffset;
      }
    }
    return -1;
  }

  private static String name(MemorySegment names, long start, int maxLength) {
    if (start >= names.byteSize()) {
      return null;
    }
    long end = start;
    // symbol names of interest are short: stop early on long ones
    while (end < names.byteSize() && end - start < maxLength && names.get(ValueLayout.JAVA_BYTE, end) != 0) {
      end++;
    }
    return new String(names.asSlice(start, end - start).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
  }
}
