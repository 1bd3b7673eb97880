package io.ecapture.kafka.collector.probe.gotls;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The struct member offsets {@link GoTlsOffsets} needs, read from a Go binary's DWARF when it has
 * some (an unstripped build): a minimal .debug_info walk (DWARF 2 to 5, 32-bit units) that only
 * looks at {@code DW_TAG_structure_type} entries named {@code crypto/tls.Conn}, {@code
 * net.TCPConn}, {@code net.conn}, {@code net.netFD} and {@code internal/poll.FD} and the {@code
 * DW_AT_data_member_location} of their members. Sections compressed the ELF way ({@code
 * SHF_COMPRESSED}, zlib, as Go 1.19 writes them) or the older {@code .zdebug_*} way are inflated.
 */
public final class GoDwarf {
  private static final int DW_TAG_STRUCTURE_TYPE = 0x13;
  private static final int DW_TAG_MEMBER = 0x0d;
  private static final int DW_AT_NAME = 0x03;
  private static final int DW_AT_DATA_MEMBER_LOCATION = 0x38;
  private static final long SHF_COMPRESSED = 0x800;
  private static final long MAX_SECTION = 512L << 20;
  static final Set<String> STRUCTS =
      Set.of("crypto/tls.Conn", "net.TCPConn", "net.conn", "net.netFD", "internal/poll.FD");

  private GoDwarf() {}

  /** The offsets from {@code file}'s DWARF, or empty when it has none or lacks one of them. */
  public static Optional<GoTlsOffsets> offsets(Path file) {
    try {
      Map<String, Map<String, Long>> members = members(file);
      Long conn = member(members, "crypto/tls.Conn", "conn");
      Long isClient = member(members, "crypto/tls.Conn", "isClient");
      Long embedded = member(members, "net.TCPConn", "conn");
      Long fd = member(members, "net.conn", "fd");
      Long pfd = member(members, "net.netFD", "pfd");
      Long sysfd = member(members, "internal/poll.FD", "Sysfd");
      Long vers = member(members, "crypto/tls.Conn", "vers");
      if (conn == null || isClient == null || embedded == null || fd == null || pfd == null || sysfd == null) {
        return Optional.empty();
      }
      return Optional.of(new GoTlsOffsets((int) (conn + 8), isClient.intValue(), (int) (embedded + fd),
          (int) (pfd + sysfd), vers == null ? 0 : vers.intValue(), "dwarf"));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static Long member(Map<String, Map<String, Long>> members, String struct, String name) {
    Map<String, Long> fields = members.get(struct);
    return fields == null ? null : fields.get(name);
  }

  /** struct name -> member name -> offset, for the {@link #STRUCTS}. */
  static Map<String, Map<String, Long>> members(Path file) throws IOException {
    ByteBuffer info;
    ByteBuffer abbrev;
    ByteBuffer str;
    try (Arena arena = Arena.ofConfined(); FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      MemorySegment elf = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
      if (!GoBinary.isElf64(elf)) {
        throw new IOException("not ELF64");
      }
      Map<String, GoBinary.Section> sections = GoBinary.sections(elf);
      info = section(elf, sections, "info");
      abbrev = section(elf, sections, "abbrev");
      str = sections.containsKey(".debug_str") || sections.containsKey(".zdebug_str")
          ? section(elf, sections, "str") : ByteBuffer.allocate(0);
    }
    Map<String, Map<String, Long>> result = new HashMap<>();
    Map<Long, Map<Long, Abbrev>> abbrevTables = new HashMap<>();
    while (info.remaining() >= 11 && result.size() < STRUCTS.size()) {
      int unitStart = info.position();
      long length = Integer.toUnsignedLong(info.getInt());
      if (length >= 0xfffffff0L) {
        throw new IOException("64-bit DWARF unit");
      }
      int unitEnd = (int) (unitStart + 4 + length);
      int version = Short.toUnsignedInt(info.getShort());
      long abbrevOffset;
      int addressSize;
      if (version >= 5) {
        info.get(); // unit type
        addressSize = info.get();
        abbrevOffset = Integer.toUnsignedLong(info.getInt());
      } else {
        abbrevOffset = Integer.toUnsignedLong(info.getInt());
        addressSize = info.get();
      }
      Map<Long, Abbrev> table = abbrevTables.computeIfAbsent(abbrevOffset, o -> parseAbbrevs(abbrev, o));
      walkUnit(info, unitEnd, table, str, version, addressSize, result);
      info.position(unitEnd);
    }
    return result;
  }

  private static void walkUnit(ByteBuffer info, int end, Map<Long, Abbrev> table, ByteBuffer str, int version,
      int addressSize, Map<String, Map<String, Long>> result) throws IOException {
    int depth = 0;
    int structDepth = -1;
    Map<String, Long> current = null;
    while (info.position() < end) {
      long code = uleb(info);
      if (code == 0) {
        depth--;
        if (depth < structDepth) {
          structDepth = -1;
          current = null;
        }
        continue;
      }
      Abbrev abbrev = table.get(code);
      if (abbrev == null) {
        throw new IOException("unknown abbreviation " + code + " at 0x" + Integer.toHexString(info.position()));
      }
      String name = null;
      Long location = null;
      for (int i = 0; i < abbrev.attributes.length; i++) {
        int attribute = abbrev.attributes[i];
        int form = abbrev.forms[i];
        if (attribute == DW_AT_NAME && (abbrev.tag == DW_TAG_STRUCTURE_TYPE || abbrev.tag == DW_TAG_MEMBER)) {
          name = string(info, str, form);
        } else if (attribute == DW_AT_DATA_MEMBER_LOCATION && abbrev.tag == DW_TAG_MEMBER) {
          location = constant(info, form);
        } else {
          skip(info, form, version, addressSize);
        }
      }
      if (abbrev.tag == DW_TAG_STRUCTURE_TYPE && name != null && STRUCTS.contains(name) && !result.containsKey(name)) {
        current = new HashMap<>();
        result.put(name, current);
        structDepth = depth + 1;
      } else if (current != null && abbrev.tag == DW_TAG_MEMBER && depth == structDepth && name != null
          && location != null) {
        current.put(name, location);
      }
      if (abbrev.children) {
        depth++;
      }
    }
  }

  private record Abbrev(int tag, boolean children, int[] attributes, int[] forms) {}

  private static Map<Long, Abbrev> parseAbbrevs(ByteBuffer abbrev, long offset) {
    ByteBuffer in = abbrev.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    in.position((int) offset);
    Map<Long, Abbrev> table = new HashMap<>();
    while (true) {
      long code = uleb(in);
      if (code == 0) {
        return table;
      }
      int tag = (int) uleb(in);
      boolean children = in.get() != 0;
      java.util.List<int[]> specs = new java.util.ArrayList<>();
      while (true) {
        int attribute = (int) uleb(in);
        int form = (int) uleb(in);
        if (attribute == 0 && form == 0) {
          break;
        }
        if (form == 0x21) { // DW_FORM_implicit_const: the value lives here
          sleb(in);
        }
        specs.add(new int[] {attribute, form});
      }
      table.put(code, new Abbrev(tag, children, specs.stream().mapToInt(a -> a[0]).toArray(),
          specs.stream().mapToInt(a -> a[1]).toArray()));
    }
  }

  private static String string(ByteBuffer info, ByteBuffer str, int form) throws IOException {
    if (form == 0x08) { // DW_FORM_string
      int start = info.position();
      while (info.get() != 0) {
        // scan
      }
      byte[] bytes = new byte[info.position() - start - 1];
      info.get(start, bytes);
      return new String(bytes, StandardCharsets.UTF_8);
    }
    if (form == 0x0e) { // DW_FORM_strp
      int at = info.getInt();
      int end = at;
      while (end < str.limit() && str.get(end) != 0) {
        end++;
      }
      byte[] bytes = new byte[end - at];
      str.get(at, bytes);
      return new String(bytes, StandardCharsets.UTF_8);
    }
    throw new IOException("name in form 0x" + Integer.toHexString(form));
  }

  private static Long constant(ByteBuffer info, int form) throws IOException {
    return switch (form) {
      case 0x0b -> (long) Byte.toUnsignedInt(info.get());
      case 0x05 -> (long) Short.toUnsignedInt(info.getShort());
      case 0x06 -> Integer.toUnsignedLong(info.getInt());
      case 0x07 -> info.getLong();
      case 0x0f -> uleb(info);
      case 0x0d -> sleb(info);
      default -> {
        skip(info, form, 4, 8);
        yield null; // a location expression: not what Go writes for members
      }
    };
  }

  private static void skip(ByteBuffer in, int form, int version, int addressSize) throws IOException {
    switch (form) {
      case 0x01 -> in.position(in.position() + addressSize); // addr
      case 0x0b, 0x11, 0x0c, 0x25, 0x29 -> in.position(in.position() + 1); // data1 ref1 flag strx1 addrx1
      case 0x05, 0x12, 0x26, 0x2a -> in.position(in.position() + 2); // data2 ref2 strx2 addrx2
      case 0x27, 0x2b -> in.position(in.position() + 3); // strx3 addrx3
      case 0x06, 0x13, 0x17, 0x0e, 0x1f, 0x1d, 0x28, 0x2c, 0x1c -> in.position(in.position() + 4);
      // data4 ref4 sec_offset strp line_strp strp_sup strx4 addrx4 ref_sup4
      case 0x10 -> in.position(in.position() + (version <= 2 ? addressSize : 4)); // ref_addr
      case 0x07, 0x14, 0x20, 0x24 -> in.position(in.position() + 8); // data8 ref8 ref_sig8 ref_sup8
      case 0x1e -> in.position(in.position() + 16); // data16
      case 0x0d -> sleb(in);
      case 0x0f, 0x15, 0x1a, 0x1b, 0x22, 0x23 -> uleb(in); // udata ref_udata strx addrx loclistx rnglistx
      case 0x08 -> {
        while (in.get() != 0) {
          // skip the string
        }
      }
      case 0x0a -> advance(in, Byte.toUnsignedInt(in.get())); // block1
      case 0x03 -> advance(in, Short.toUnsignedInt(in.getShort())); // block2
      case 0x04 -> advance(in, in.getInt()); // block4
      case 0x09, 0x18 -> advance(in, (int) uleb(in)); // block exprloc
      case 0x19, 0x21 -> {
        // flag_present, implicit_const: no data
      }
      case 0x16 -> skip(in, (int) uleb(in), version, addressSize); // indirect
      default -> throw new IOException("DWARF form 0x" + Integer.toHexString(form));
    }
  }

  /** Skips {@code length} bytes after a length field (read first: the position moved past it). */
  private static void advance(ByteBuffer in, int length) {
    in.position(in.position() + length);
  }

  private static long uleb(ByteBuffer in) {
    long value = 0;
    int shift = 0;
    while (true) {
      int b = Byte.toUnsignedInt(in.get());
      value |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
      shift += 7;
    }
  }

  private static long sleb(ByteBuffer in) {
    long value = 0;
    int shift = 0;
    int b;
    do {
      b = Byte.toUnsignedInt(in.get());
      value |= (long) (b & 0x7f) << shift;
      shift += 7;
    } while ((b & 0x80) != 0);
    if (shift < 64 && (b & 0x40) != 0) {
      value |= -1L << shift;
    }
    return value;
  }

  /** .debug_NAME (inflated when SHF_COMPRESSED) or .zdebug_NAME, little-endian. */
  private static ByteBuffer section(MemorySegment elf, Map<String, GoBinary.Section> sections, String name)
      throws IOException {
    GoBinary.Section plain = sections.get(".debug_" + name);
    GoBinary.Section legacy = sections.get(".zdebug_" + name);
    GoBinary.Section s = plain != null ? plain : legacy;
    if (s == null || s.size() > MAX_SECTION) {
      throw new IOException("no .debug_" + name);
    }
    byte[] raw = elf.asSlice(s.offset(), s.size()).toArray(ValueLayout.JAVA_BYTE);
    byte[] data;
    if (plain != null && (plain.flags() & SHF_COMPRESSED) != 0) {
      ByteBuffer header = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
      if (header.getInt(0) != 1) { // ELFCOMPRESS_ZLIB
        throw new IOException("compression type " + header.getInt(0));
      }
      data = inflate(raw, 24, header.getLong(8));
    } else if (plain == null && raw.length >= 12 && new String(raw, 0, 4, StandardCharsets.US_ASCII).equals("ZLIB")) {
      data = inflate(raw, 12, ByteBuffer.wrap(raw, 4, 8).order(ByteOrder.BIG_ENDIAN).getLong());
    } else {
      data = raw;
    }
    return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static byte[] inflate(byte[] raw, int from, long size) throws IOException {
    if (size < 0 || size > MAX_SECTION) {
      throw new IOException("compressed section of " + size + " bytes");
    }
    Inflater inflater = new Inflater();
    try {
      inflater.setInput(raw, from, raw.length - from);
      byte[] out = new byte[(int) size];
      int done = 0;
      while (done < out.length && !inflater.finished()) {
        int n = inflater.inflate(out, done, out.length - done);
        if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          break;
        }
        done += n;
      }
      if (done != out.length) {
        throw new IOException("inflated " + done + " of " + size + " bytes");
      }
      return out;
    } catch (DataFormatException e) {
      throw new IOException("bad zlib data: " + e.getMessage(), e);
    } finally {
      inflater.end();
    }
  }
}
