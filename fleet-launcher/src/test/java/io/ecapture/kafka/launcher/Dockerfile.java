package io.ecapture.kafka.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parts of the project's Dockerfile the tests check: COPY sources and destinations (relative
 * destinations resolved against WORKDIR), USER, EXPOSE, ENTRYPOINT and CMD in exec (JSON) form,
 * RUN text. Continuation lines are joined; comments dropped.
 */
record Dockerfile(
    String from, Map<String, String> copies, String user, Set<Integer> exposed,
    List<String> entrypoint, List<String> cmd, List<String> runs) {

  static Dockerfile parse(Path file) throws IOException {
    List<String> instructions = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : Files.readAllLines(file)) {
      String trimmed = line.strip();
      if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.isEmpty())) {
        continue;
      }
      if (trimmed.endsWith("\\")) {
        current.append(trimmed, 0, trimmed.length() - 1).append(' ');
        continue;
      }
      current.append(trimmed);
      instructions.add(current.toString().strip());
      current.setLength(0);
    }
    String from = null;
    String workdir = "/";
    String user = "root";
    Map<String, String> copies = new LinkedHashMap<>();
    Set<Integer> exposed = new LinkedHashSet<>();
    List<String> entrypoint = List.of();
    List<String> cmd = List.of();
    List<String> runs = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String instruction : instructions) {
      String keyword = instruction.split("\\s+", 2)[0].toUpperCase();
      String rest = instruction.substring(keyword.length()).strip();
      switch (keyword) {
        case "FROM" -> from = rest;
        case "WORKDIR" -> workdir = rest;
        case "USER" -> user = rest;
        case "RUN" -> runs.add(rest);
        case "EXPOSE" -> {
          for (String port : rest.split("\\s+")) {
            exposed.add(Integer.parseInt(port.replace("/tcp", "")));
          }
        }
        case "COPY" -> {
          String[] parts = rest.split("\\s+");
          if (parts.length != 2 || parts[0].startsWith("--")) {
            throw new IllegalArgumentException("COPY SRC DEST expected: " + instruction);
          }
          String dest = parts[1].startsWith("/") ? parts[1] : workdir + "/" + parts[1];
          copies.put(dest.replaceAll("/+$", "").replace("//", "/"), parts[0].replaceAll("/+$", ""));
        }
        case "ENTRYPOINT" -> entrypoint = List.of(json.readValue(rest, String[].class));
        case "CMD" -> cmd = List.of(json.readValue(rest, String[].class));
        default -> { }
      }
    }
    return new Dockerfile(from, copies, user, exposed, entrypoint, cmd, runs);
  }

  /** The build-context path copied to this image path (or to a directory holding it); null if none. */
  String sourceOf(String imagePath) {
    for (Map.Entry<String, String> copy : copies.entrySet()) {
      if (imagePath.equals(copy.getKey())) {
        return copy.getValue();
      }
      if (imagePath.startsWith(copy.getKey() + "/")) {
        return copy.getValue() + imagePath.substring(copy.getKey().length());
      }
    }
    return null;
  }
}
