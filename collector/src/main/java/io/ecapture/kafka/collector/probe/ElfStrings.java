package io.ecapture.kafka.collector.probe;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@link TlsLibraryKind} and {@link OpenSslVersion} look for (the "BoringSSL" marker, the
 * "OpenSSL x.y.z dd Mon yyyy" version string), found in one pass over the read-only data sections
 * of an ELF file only (where compiled-in strings live) instead of the whole file: for a 100 MB
 * executable examined while its process is held at exec. Searched in 1 MiB windows with the JDK's
 * vectorised {@code String.indexOf}.
 */
final class ElfStrings {
  private static final int SHT_PROGBITS = 1;
  private static final long SHF_WRITE = 0x1;
  private static final long SHF_ALLOC = 0x2;
  private static final long SHF_EXECINSTR = 0x4;
  private static final int WINDOW = 1 << 20;
  private static final int OVERLAP = 64;
  private static final Pattern VERSION = Pattern.compile("OpenSSL (\\d+\\.\\d+\\.\\d+[a-z]?)\\s+\\d{1,2} \\w{3} \\d{4}");

  /** @param version the first OpenSSL version string, empty when none */
  record Found(TlsLibraryKind kind, Optional<String> version) {}

  private ElfStrings() {}

  /**
   * The kind and version of an ELF file; falls back to {@link TlsLibraryKind#of} and {@link
   * OpenSslVersion#of} (whole file) when it has no read-only data section.
   */
  static Found of(Path file) {
    List<long[]> ranges = new ArrayList<>();
    try (Arena arena = Arena.ofConfined();
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size >= 64) {
        MemorySegment elf = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        if (elf.get(ValueLayout.JAVA_INT_UNALIGNED, 0) == 0x464c457f && elf.get(ValueLayout.JAVA_BYTE, 4) == 2
            && elf.get(ValueLayout.JAVA_BYTE, 5) == 1) {
          long table = elf.get(ValueLayout.JAVA_LONG_UNALIGNED, 0x28);
          int entrySize = Short.toUnsignedInt(elf.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0x3A));
          int sections = Short.toUnsignedInt(elf.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0x3C));
          if (entrySize >= 64 && table > 0 && table + (long) sections * entrySize <= size) {
            for (int i = 0; i < sections; i++) {
              long header = table + (long) i * entrySize;
              int type = elf.get(ValueLayout.JAVA_INT_UNALIGNED, header + 4);
              long flags = elf.get(ValueLayout.JAVA_LONG_UNALIGNED, header + 8);
              long offset = elf.get(ValueLayout.JAVA_LONG_UNALIGNED, header + 0x18);
              long length = elf.get(ValueLayout.JAVA_LONG_UNALIGNED, header + 0x20);
              if (type == SHT_PROGBITS && (flags & SHF_ALLOC) != 0 && (flags & (SHF_WRITE | SHF_EXECINSTR)) == 0
                  && offset >= 0 && length > 0 && offset + length <= size) {
                ranges.add(new long[] {offset, length});
              }
            }
          }
        }
        if (!ranges.isEmpty()) {
          return search(elf, ranges);
        }
      }
    } catch (IOException | RuntimeException e) {
      // fall back to the whole-file readers below
    }
    return new Found(TlsLibraryKind.of(file), OpenSslVersion.of(file));
  }

  private static Found search(MemorySegment elf, List<long[]> ranges) {
    boolean boring = false;
    String version = null;
    byte[] buffer = new byte[WINDOW + OVERLAP];
    for (long[] range : ranges) {
      for (long at = range[0]; at < range[0] + range[1] && !(boring && version != null); at += WINDOW) {
        int length = (int) Math.min(WINDOW + OVERLAP, range[0] + range[1] - at);
        MemorySegment.copy(elf, ValueLayout.JAVA_BYTE, at, buffer, 0, length);
        String text = new String(buffer, 0, length, StandardCharsets.ISO_8859_1);
        if (!boring && text.contains("BoringSSL")) {
          boring = true;
        }
        if (version == null) {
          for (int hit = text.indexOf("OpenSSL "); hit >= 0; hit = text.indexOf("OpenSSL ", hit + 1)) {
            Matcher matcher = VERSION.matcher(text).region(hit, Math.min(text.length(), hit + OVERLAP));
            if (matcher.lookingAt()) {
              version = matcher.group(1);
              break;
            }
          }
        }
      }
    }
    return new Found(boring ? TlsLibraryKind.BORINGSSL : TlsLibraryKind.OPENSSL, Optional.ofNullable(version));
  }
}
