package io.ecapture.kafka.collector;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the compiled BPF object and its shared header say about the structs and constants the
 * Java side mirrors: struct layouts from the object's BTF (bpftool), and tlscapture.h's text.
 */
public final class BpfLayout {
  private static final Pattern MEMBER = Pattern.compile("^\\s+'(\\w+)' type_id=\\d+ bits_offset=(\\d+)");

  private BpfLayout() {}

  /** A struct's size and member byte offsets (in declaration order) as the BTF records them. */
  public record Struct(int size, Map<String, Integer> offsets) {}

  public static Struct struct(Path dir, Path object, String name) throws Exception {
    String dump = ExternalCommand.run(dir, List.of("bpftool", "btf", "dump", "file", object.toString()));
    Pattern header = Pattern.compile("STRUCT '" + name + "' size=(\\d+) vlen=\\d+");
    int size = -1;
    Map<String, Integer> offsets = new LinkedHashMap<>();
    boolean inStruct = false;
    for (String line : dump.split("\n")) {
      Matcher struct = header.matcher(line);
      if (struct.find()) {
        size = Integer.parseInt(struct.group(1));
        inStruct = true;
        continue;
      }
      Matcher member = MEMBER.matcher(line);
      if (inStruct && member.find()) {
        offsets.put(member.group(1), Integer.parseInt(member.group(2)) / 8);
      } else if (inStruct) {
        inStruct = false;
      }
    }
    return new Struct(size, offsets);
  }

  /** tlscapture.h as packaged in the bpf jar. */
  public static String sharedHeader() throws IOException {
    try (InputStream in = BpfLayout.class.getResourceAsStream("/io/ecapture/kafka/bpf/tlscapture.h")) {
      assertTrue(in != null, "tlscapture.h packaged in the bpf jar");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
