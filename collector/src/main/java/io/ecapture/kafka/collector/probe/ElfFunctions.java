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
import java.util.Map;
import java.util.Set;

/**
 * Functions of an ELF64 little-endian file by name ({@code .symtab} and {@code .dynsym}), with the
 * file offset of their first instruction (through the PT_LOAD segments), and the bytes there: the
 * capture modules decode struct offsets from small accessor functions (GnuTLS {@code
 * gnutls_transport_get_int}, NSPR {@code PR_FileDesc2NativeHandle}) instead of hard-coding them.
 */
final class ElfFunctions {
  private static final int SHT_SYMTAB = 2;
  private static final int SHT_DYNSYM = 11;
  private static final int STT_FUNC = 2;
  private static final int PT_LOAD = 1;
  private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
  private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
  private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

  private ElfFunctions() {}

  /**
   * File offsets of those of {@code wanted} the file defines as functions (a versioned dynamic
   * symbol such as {@code f@@V_1} counts as {@code f}); a wanted name ending in {@code *} matches
   * the first symbol starting with the rest (C++ mangled names: {@code _Z16dispatch_command*});
   * empty for unreadable or non-ELF64 files.
   */
  static Map<String, Long> fileOffsets(Path file, Set<String> wanted) {
    Map<String, Long> found = new HashMap<>();
    try (Arena arena = Arena.ofConfined(); FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < 64) {
        return found;
      }
      MemorySegment elf = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
      if (elf.get(U32, 0) != 0x464c457f || elf.get(ValueLayout.JAVA_BYTE, 4) != 2
          || elf.get(ValueLayout.JAVA_BYTE, 5) != 1) {
        return found;
      }
      long programTable = elf.get(U64, 0x20);
      int programEntry = Short.toUnsignedInt(elf.get(U16, 0x36));
      int programs = Short.toUnsignedInt(elf.get(U16, 0x38));
      long sectionTable = elf.get(U64, 0x28);
      int entrySize = Short.toUnsignedInt(elf.get(U16, 0x3A));
      int sections = Short.toUnsignedInt(elf.get(U16, 0x3C));
      if (entrySize < 64 || sectionTable <= 0 || sectionTable + (long) sections * entrySize > size
          || programTable <= 0 || programTable + (long) programs * programEntry > size) {
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
        for (long symbol = offset; symbol + 24 <= offset + length; symbol += 24) {
          int info = elf.get(ValueLayout.JAVA_BYTE, symbol + 4);
          short section = elf.get(U16, symbol + 6);
          if ((info & 0xf) != STT_FUNC || section == 0) {
            continue;
          }
          String name = name(names, Integer.toUnsignedLong(elf.get(U32, symbol)));
          if (name == null) {
            continue;
          }
          int at = name.indexOf('@');
          String plain = at > 0 ? name.substring(0, at) : name;
          String key = wanted.contains(plain) ? plain : prefixMatch(wanted, plain);
          if (key != null && !found.containsKey(key)) {
            long fileOffset = toFileOffset(elf, programTable, programEntry, programs, elf.get(U64, symbol + 8));
            if (fileOffset >= 0) {
              found.put(key, fileOffset);
            }
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // unreadable or truncated: defines nothing
    }
    return found;
  }

  /** {@code count} bytes of {@code file} from {@code offset} (fewer at its end; empty on error). */
  static byte[] bytesAt(Path file, long offset, int count) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(count);
      while (buffer.hasRemaining() && channel.read(buffer, offset + buffer.position()) > 0) {
        // reading
      }
      return java.util.Arrays.copyOf(buffer.array(), buffer.position());
    } catch (IOException e) {
      return new byte[0];
    }
  }

  private static String prefixMatch(Set<String> wanted, String name) {
    for (String w : wanted) {
      if (w.endsWith("*") && name.startsWith(w.substring(0, w.length() - 1))) {
        return w;
      }
    }
    return null;
  }

  private static long toFileOffset(MemorySegment elf, long table, int entry, int count, long vaddr) {
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

  private static String name(MemorySegment names, long start) {
    if (start >= names.byteSize()) {
      return null;
    }
    long end = start;
    while (end < names.byteSize() && end - start < 256 && names.get(ValueLayout.JAVA_BYTE, end) != 0) {
      end++;
    }
    return new String(names.asSlice(start, end - start).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
  }
}
