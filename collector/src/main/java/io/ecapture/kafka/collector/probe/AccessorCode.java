package io.ecapture.kafka.collector.probe;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads struct offsets out of the machine code of small x86-64 accessor functions such as
 * {@code SSL_get_rbio} ({@code mov 0x10(%rdi),%rax; ret}): which fields of its first argument
 * (the pointer in {@code %rdi}) a function loads, and which of those loads it returns.
 *
 * <p>A linear decoder of the instruction subset compilers emit for accessors (moves, loads, ALU
 * operations, tests, branches, calls, push/pop, nops, {@code endbr64}); it stops at the first
 * instruction it does not know, keeping what it found. Registers a plain {@code mov} copies the
 * argument into count as the argument on every later path (OpenSSL 3.5's {@code SSL_get_wbio}
 * keeps it in {@code %rbx}). A load is <em>returned</em> when it writes {@code %rax}/{@code %eax}
 * and only instructions that leave {@code %rax} alone ({@code xor %edi,%edi}, {@code pop}, stack
 * adjustments) stand between it and a {@code ret}.
 */
final class AccessorCode {
  /**
   * One memory load.
   *
   * @param dest register written (0 = rax ... 15 = r15)
   * @param base base register, -1 for rip-relative or absolute
   * @param fromArgument the base holds the function's first argument
   * @param displacement byte offset from the base
   * @param wide a 64-bit load (REX.W)
   * @param returned its value is what the function returns
   */
  record Load(int dest, int base, boolean fromArgument, long displacement, boolean wide, boolean returned) {}

  private static final int RAX = 0;
  private static final int RDI = 7;

  private final byte[] code;
  private final List<Load> loads = new ArrayList<>();
  private int aliases = 1 << RDI;
  private int candidate = -1; // index into loads of a load into rax that may be returned
  private int pos;

  private AccessorCode(byte[] code) {
    this.code = code;
  }

  /** Every load of {@code code} in address order, as far as it could be decoded. */
  static List<Load> loads(byte[] code) {
    AccessorCode decoder = new AccessorCode(code);
    decoder.run();
    return List.copyOf(decoder.loads);
  }

  /** The one field of the argument that the function returns (64-bit), if exactly one. */
  static Optional<Long> returnedField(byte[] code) {
    Set<Long> found = new TreeSet<>();
    for (Load load : loads(code)) {
      if (load.returned() && load.fromArgument() && load.wide()) {
        found.add(load.displacement());
      }
    }
    return found.size() == 1 ? Optional.of(found.iterator().next()) : Optional.empty();
  }

  /** 32-bit fields of the argument the function reads without returning them (type checks). */
  static Set<Long> checkedIntFields(byte[] code) {
    Set<Long> found = new TreeSet<>();
    for (Load load : loads(code)) {
      if (!load.returned() && load.fromArgument() && !load.wide()) {
        found.add(load.displacement());
      }
    }
    return found;
  }

  /** The first 32-bit field of the argument the function reads (e.g. BIO_test_flags' flags). */
  static Optional<Long> firstIntField(byte[] code) {
    return loads(code).stream().filter(l -> l.fromArgument() && !l.wide()).map(Load::displacement).findFirst();
  }

  /**
   * A field reached through a pointer field of the argument and returned as an int ({@code
   * BIO_method_type}: {@code mov 0x8(%rdi),%rax; mov (%rax),%eax; ret}): {pointer offset, int
   * offset}.
   */
  static Optional<long[]> returnedIntThroughPointer(byte[] code) {
    List<Load> all = loads(code);
    for (int i = 0; i < all.size(); i++) {
      Load pointer = all.get(i);
      if (!pointer.fromArgument() || !pointer.wide()) {
        continue;
      }
      for (int j = i + 1; j < all.size(); j++) {
        Load value = all.get(j);
        if (value.base() == pointer.dest() && !value.wide() && value.returned() && !value.fromArgument()) {
          return Optional.of(new long[] {pointer.displacement(), value.displacement()});
        }
      }
    }
    return Optional.empty();
  }

  private int u8(int at) {
    return at < code.length ? code[at] & 0xff : -1;
  }

  private boolean isAlias(int reg) {
    return reg >= 0 && (aliases & (1 << reg)) != 0;
  }

  private void written(int reg) {
    if (reg == RAX) {
      candidate = -1;
    }
  }

  private void controlFlow() {
    candidate = -1;
  }

  /** A decoded ModRM operand. */
  private record ModRm(int mod, int reg, int rm, int base, boolean indexed, long displacement) {}

  private ModRm modRm(boolean rexR, boolean rexX, boolean rexB) {
    int modrm = u8(pos++);
    if (modrm < 0) {
      throw new IllegalStateException("truncated");
    }
    int mod = modrm >> 6;
    int reg = ((modrm >> 3) & 7) | (rexR ? 8 : 0);
    int rm = modrm & 7;
    if (mod == 3) {
      return new ModRm(mod, reg, rm | (rexB ? 8 : 0), -1, false, 0);
    }
    int base;
    boolean indexed = false;
    if (rm == 4) {
      int sib = u8(pos++);
      int index = ((sib >> 3) & 7) | (rexX ? 8 : 0);
      indexed = index != 4;
      base = (sib & 7) | (rexB ? 8 : 0);
      if ((sib & 7) == 5 && mod == 0) {
        base = -1;
        mod = 2; // disp32 follows
      }
    } else if (rm == 5 && mod == 0) {
      base = -1; // rip-relative
      mod = 2;
    } else {
      base = rm | (rexB ? 8 : 0);
    }
    long displacement = 0;
    if (mod == 1) {
      displacement = (byte) u8(pos);
      pos += 1;
    } else if (mod == 2) {
      displacement = (u8(pos) | u8(pos + 1) << 8 | u8(pos + 2) << 16 | u8(pos + 3) << 24);
      pos += 4;
    }
    return new ModRm(mod, reg, -1, base, indexed, displacement);
  }

  private void run() {
    try {
      while (pos < code.length) {
        if (!step()) {
          return;
        }
      }
    } catch (RuntimeException truncated) {
      // keep what was decoded
    }
  }

  /** Decodes one instruction; false on one outside the subset. */
  private boolean step() {
    boolean operandSize = false;
    while (true) {
      int b = u8(pos);
      if (b == 0xf3 && u8(pos + 1) == 0x0f && u8(pos + 2) == 0x1e && u8(pos + 3) == 0xfa) {
        pos += 4; // endbr64
        return true;
      }
      if (b == 0x66) {
        operandSize = true;
        pos++;
      } else if (b == 0x2e || b == 0x3e || b == 0xf2 || b == 0xf3) {
        pos++;
      } else {
        break;
      }
    }
    boolean rexW = false;
    boolean rexR = false;
    boolean rexX = false;
    boolean rexB = false;
    int op = u8(pos++);
    if ((op & 0xf0) == 0x40) {
      rexW = (op & 8) != 0;
      rexR = (op & 4) != 0;
      rexX = (op & 2) != 0;
      rexB = (op & 1) != 0;
      op = u8(pos++);
    }
    int imm16or32 = operandSize ? 2 : 4;
    switch (op) {
      case 0xc3 -> {
        if (candidate >= 0) {
          Load load = loads.get(candidate);
          loads.set(candidate, new Load(load.dest(), load.base(), load.fromArgument(), load.displacement(), load.wide(), true));
        }
        controlFlow();
      }
      case 0x90 -> {}
      case 0xcc -> {
        return false;
      }
      case 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57 -> {}
      case 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f -> written((op & 7) | (rexB ? 8 : 0));
      case 0xeb, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f -> {
        pos += 1;
        controlFlow();
      }
      case 0xe8, 0xe9 -> {
        pos += 4;
        controlFlow();
      }
      case 0xa8 -> pos += 1;
      case 0xa9 -> pos += imm16or32;
      case 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf -> {
        pos += rexW ? 8 : imm16or32;
        written((op & 7) | (rexB ? 8 : 0));
      }
      case 0x0f -> {
        int op2 = u8(pos++);
        if (op2 >= 0x80 && op2 <= 0x8f) {
          pos += 4;
          controlFlow();
        } else if (op2 == 0x1f) {
          modRm(rexR, rexX, rexB); // nop
        } else if (op2 == 0xb6 || op2 == 0xb7 || op2 == 0xbe || op2 == 0xbf || (op2 >= 0x40 && op2 <= 0x4f)) {
          written(modRm(rexR, rexX, rexB).reg());
        } else if (op2 >= 0x90 && op2 <= 0x9f) {
          ModRm m = modRm(rexR, rexX, rexB);
          if (m.mod() == 3) {
            written(m.rm());
          }
        } else {
          return false;
        }
      }
      case 0x8b -> { // mov reg, r/m
        ModRm m = modRm(rexR, rexX, rexB);
        if (m.mod() == 3) {
          written(m.reg());
          if (isAlias(m.rm())) {
            aliases |= 1 << m.reg();
          }
        } else {
          written(m.reg());
          loads.add(new Load(m.reg(), m.base(), !m.indexed() && isAlias(m.base()), m.displacement(), rexW, false));
          if (m.reg() == RAX) {
            candidate = loads.size() - 1;
          }
        }
      }
      case 0x89 -> { // mov r/m, reg
        ModRm m = modRm(rexR, rexX, rexB);
        if (m.mod() == 3) {
          written(m.rm());
          if (isAlias(m.reg())) {
            aliases |= 1 << m.rm();
          }
        }
      }
      case 0x8d -> written(modRm(rexR, rexX, rexB).reg()); // lea
      // op r/m, reg (result in r/m)
      case 0x00, 0x01, 0x08, 0x09, 0x20, 0x21, 0x28, 0x29, 0x30, 0x31, 0x10, 0x11, 0x18, 0x19, 0x88 -> {
        ModRm m = modRm(rexR, rexX, rexB);
        if (m.mod() == 3) {
          written(m.rm());
        }
      }
      // op reg, r/m (result in reg)
      case 0x02, 0x03, 0x0a, 0x0b, 0x22, 0x23, 0x2a, 0x2b, 0x32, 0x33, 0x12, 0x13, 0x1a, 0x1b, 0x8a -> written(modRm(rexR, rexX, rexB).reg());
      // test / cmp: no result
      case 0x84, 0x85, 0x38, 0x39, 0x3a, 0x3b -> modRm(rexR, rexX, rexB);
      case 0x80, 0x83, 0xc6, 0xc0, 0xc1 -> {
        ModRm m = modRm(rexR, rexX, rexB);
        pos += 1;
        if (m.mod() == 3 && !(op != 0xc6 && (m.reg() & 7) == 7)) {
          written(m.rm());
        }
      }
      case 0x81, 0xc7 -> {
        ModRm m = modRm(rexR, rexX, rexB);
        pos += imm16or32;
        if (m.mod() == 3 && !(op == 0x81 && (m.reg() & 7) == 7)) {
          written(m.rm());
        }
      }
      case 0xf6, 0xf7 -> {
        ModRm m = modRm(rexR, rexX, rexB);
        int kind = m.reg() & 7;
        if (kind == 0 || kind == 1) {
          pos += op == 0xf6 ? 1 : imm16or32; // test
        } else {
          written(RAX); // not/neg/mul/div: rax may change
          if (m.mod() == 3) {
            written(m.rm());
          }
        }
      }
      case 0xff -> {
        ModRm m = modRm(rexR, rexX, rexB);
        int kind = m.reg() & 7;
        if (kind >= 2 && kind <= 5) {
          controlFlow();
        } else if (kind <= 1 && m.mod() == 3) {
          written(m.rm());
        }
      }
      default -> {
        return false;
      }
    }
    return true;
  }
}
