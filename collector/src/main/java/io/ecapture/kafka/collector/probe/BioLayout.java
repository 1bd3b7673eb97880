package io.ecapture.kafka.collector.probe;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where a TLS library keeps the fd of an SSL object's socket BIO (tlscapture.h struct bio_layout),
 * learned at attach time from the machine code of the library's own exported accessors (x86-64,
 * {@link AccessorCode}), not from a table:
 *
 * <ul>
 *   <li>{@code SSL_get_rbio} returns {@code SSL->rbio}; {@code SSL_get_wbio} returns {@code
 *       SSL->wbio} (past the handshake's buffering BIO). Both must decode to one field each; a
 *       32-bit field the accessor tests first is the 3.2+ object type (0 = TLS connection).
 *   <li>{@code BIO_method_type} returns {@code BIO->method->type}; {@code BIO_next} returns
 *       {@code BIO->next_bio}.
 *   <li>{@code BIO->num} follows {@code flags} and {@code retry_reason} and precedes {@code ptr}
 *       in every OpenSSL since 1.1.0 and in BoringSSL: {@code BIO_test_flags} (flags + 8) and
 *       {@code BIO_get_data} (ptr - 8) must agree.
 * </ul>
 *
 * The BIO functions live in libcrypto: for a shared libssl the libcrypto next to it is read
 * ({@code libcrypto.so.3} for {@code libssl.so.3}); a statically linked program carries both.
 * Anything that does not decode cleanly leaves the library on the socket tracepoints.
 */
record BioLayout(int sslRbio, int sslWbio, int bioMethod, int methodType, int bioNum, int bioNext, int sslType, String learnedFrom) {
  /** SSL_NO_TYPE of tlscapture.h: the SSL object has no type field (before 3.2). */
  static final int NO_TYPE = 0xffffffff;

  /** Fields of struct bio_layout after {@code supported}. */
  static final int FIELDS = 7;

  static final Set<String> SSL_ACCESSORS = Set.of("SSL_get_rbio", "SSL_get_wbio");
  static final Set<String> BIO_ACCESSORS = Set.of("BIO_method_type", "BIO_next", "BIO_test_flags", "BIO_get_data");

  /** The accessors whose code {@link #learn} decodes. */
  static final Set<String> ACCESSORS =
      Set.copyOf(java.util.stream.Stream.concat(SSL_ACCESSORS.stream(), BIO_ACCESSORS.stream()).toList());

  /** Accessors are a few instructions; OpenSSL 3.5's check the object type first. */
  static final int CODE_BYTES = 160;

  /**
   * Everything attaching to {@code file} needs from its symbol tables, in one pass: the file
   * offsets of {@code hooks} and of the accessors, and the accessors' code.
   */
  static Map<String, ElfSymbols.Function> read(Path file, Set<String> hooks) {
    Set<String> wanted = new java.util.HashSet<>(hooks);
    wanted.addAll(ACCESSORS);
    return ElfSymbols.functions(file, wanted, ACCESSORS, CODE_BYTES);
  }

  /** The outcome of learning: a layout, or why none. */
  record Learned(Optional<BioLayout> layout, String reason) {}

  /** Learns the layout of {@code library} (its libcrypto next to it for the BIO functions). */
  static Learned learn(Path library) {
    return learn(library, ElfSymbols.functions(library, ACCESSORS, CODE_BYTES));
  }

  /**
   * As {@link #learn(Path)} from functions of {@code library} already read ({@link #read}: the
   * hooks' offsets and the accessors' code in one pass); only a libcrypto next to it is read here.
   */
  static Learned learn(Path library, Map<String, ElfSymbols.Function> functions) {
    Map<String, byte[]> read = ElfSymbols.code(functions);
    Map<String, byte[]> code = new HashMap<>();
    SSL_ACCESSORS.stream().filter(read::containsKey).forEach(name -> code.put(name, read.get(name)));
    if (!code.keySet().containsAll(SSL_ACCESSORS)) {
      return new Learned(Optional.empty(), "no SSL_get_rbio/SSL_get_wbio code in " + library);
    }
    Path bioFile = library;
    Map<String, byte[]> bio = new HashMap<>();
    BIO_ACCESSORS.stream().filter(read::containsKey).forEach(name -> bio.put(name, read.get(name)));
    if (!bio.keySet().containsAll(BIO_ACCESSORS)) {
      Optional<Path> crypto = libcryptoNextTo(library);
      if (crypto.isPresent()) {
        bioFile = crypto.get();
        bio.clear();
        bio.putAll(ElfSymbols.functionCode(bioFile, BIO_ACCESSORS, CODE_BYTES));
      }
    }
    if (!bio.keySet().containsAll(BIO_ACCESSORS)) {
      return new Learned(Optional.empty(), "no BIO accessor code (BIO_method_type, BIO_next, BIO_test_flags,"
          + " BIO_get_data) in " + library + " or a libcrypto next to it");
    }
    code.putAll(bio);
    String from = library.equals(bioFile)
        ? "x86-64 code of SSL_get_rbio, SSL_get_wbio, BIO_method_type, BIO_next, BIO_test_flags, BIO_get_data"
        : "x86-64 code of SSL_get_rbio, SSL_get_wbio (" + library.getFileName() + "), BIO_method_type, BIO_next,"
            + " BIO_test_flags, BIO_get_data (" + bioFile.getFileName() + ")";
    return fromCode(code, from);
  }

  /** The layout the accessors' code gives, or why it is not trusted. */
  static Learned fromCode(Map<String, byte[]> code, String from) {
    Optional<Long> rbio = AccessorCode.returnedField(code.get("SSL_get_rbio"));
    Optional<Long> wbio = AccessorCode.returnedField(code.get("SSL_get_wbio"));
    Optional<long[]> methodType = AccessorCode.returnedIntThroughPointer(code.get("BIO_method_type"));
    Optional<Long> next = AccessorCode.returnedField(code.get("BIO_next"));
    Optional<Long> flags = AccessorCode.firstIntField(code.get("BIO_test_flags"));
    Optional<Long> data = AccessorCode.returnedField(code.get("BIO_get_data"));
    Set<Long> typeChecks = AccessorCode.checkedIntFields(code.get("SSL_get_rbio"));
    if (rbio.isEmpty() || wbio.isEmpty()) {
      return new Learned(Optional.empty(), "SSL_get_rbio/SSL_get_wbio do not decode to one field each");
    }
    if (methodType.isEmpty() || next.isEmpty() || flags.isEmpty() || data.isEmpty()) {
      return new Learned(Optional.empty(), "a BIO accessor does not decode to one field");
    }
    if (flags.get() + 8 != data.get() - 8) {
      return new Learned(Optional.empty(), "BIO num is ambiguous: BIO_test_flags gives flags +" + flags.get()
          + ", BIO_get_data gives ptr +" + data.get() + " (expected 16 bytes apart)");
    }
    if (typeChecks.size() > 1) {
      return new Learned(Optional.empty(), "SSL_get_rbio tests several fields first: " + typeChecks);
    }
    int type = typeChecks.isEmpty() ? NO_TYPE : Math.toIntExact(typeChecks.iterator().next());
    long[] mt = methodType.get();
    return new Learned(Optional.of(new BioLayout(
        Math.toIntExact(rbio.get()), Math.toIntExact(wbio.get()), Math.toIntExact(mt[0]), Math.toIntExact(mt[1]),
        Math.toIntExact(flags.get() + 8), Math.toIntExact(next.get()), type, from)), "");
  }

  private static Optional<Path> libcryptoNextTo(Path library) {
    Path dir = library.toAbsolutePath().getParent();
    String name = library.getFileName().toString();
    if (dir == null || !name.startsWith("libssl")) {
      return Optional.empty();
    }
    Path sibling = dir.resolve("libcrypto" + name.substring("libssl".length()));
    return Files.isRegularFile(sibling) ? Optional.of(sibling) : Optional.empty();
  }

  /** Field values in the order of struct bio_layout after {@code supported}. */
  int[] asArray() {
    return new int[] {sslRbio, sslWbio, bioMethod, methodType, bioNum, bioNext, sslType};
  }

  /** The offsets by name, as /status shows them. */
  Map<String, Integer> offsets() {
    Map<String, Integer> offsets = new LinkedHashMap<>();
    offsets.put("sslRbio", sslRbio);
    offsets.put("sslWbio", sslWbio);
    offsets.put("bioMethod", bioMethod);
    offsets.put("methodType", methodType);
    offsets.put("bioNum", bioNum);
    offsets.put("bioNext", bioNext);
    if (sslType != NO_TYPE) {
      offsets.put("sslType", sslType);
    }
    return offsets;
  }
}
