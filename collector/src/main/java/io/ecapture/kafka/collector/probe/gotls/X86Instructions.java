package io.ecapture.kafka.collector.probe.gotls;

import java.util.ArrayList;
import java.util.List;

/**
 * An x86-64 instruction-length decoder, enough for code the Go compiler emits (integer, SSE,
 * AVX/VEX, EVEX, x87 forms): it walks a function's bytes instruction by instruction so that
 * {@code RET} opcodes are found only at instruction boundaries, never inside an immediate or a
 * displacement. It does not decode operands; an opcode it does not know ends the walk with an
 * exception rather than a guess.
 */
public final class X86Instructions {
  private X86Instructions() {}

  /** Thrown for bytes that are not an instruction this decoder knows. */
  public static final class UndecodableException extends Exception {
    UndecodableException(String message) {
      super(message);
    }
  }

  /** Offsets (from the start of {@code code}) of every instruction. */
  public static List<Integer> boundaries(byte[] code) throws UndecodableException {
    List<Integer> starts = new ArrayList<>();
    int at = 0;
    while (at < code.length) {
      starts.add(at);
      at += length(code, at);
    }
    return starts;
  }

  /** Offsets of the RET instructions (C3, C2 iw, with any prefixes) in {@code code}. */
  public static List<Integer> returns(byte[] code) throws UndecodableException {
    List<Integer> rets = new ArrayList<>();
    int at = 0;
    while (at < code.length) {
      int length = length(code, at);
      int op = at;
      while (op < at + length && isPrefix(u8(code, op))) {
        op++;
      }
      int opcode = u8(code, op);
      if (opcode == 0xC3 || opcode == 0xC2) {
        rets.add(at);
      }
      at += length;
    }
    return rets;
  }

  private static boolean isPrefix(int b) {
    return b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3 || b == 0x2E || b == 0x3E
        || b == 0x26 || b == 0x36 || b == 0x64 || b == 0x65 || (b >= 0x40 && b <= 0x4F);
  }

  private static int u8(byte[] code, int at) throws UndecodableException {
    if (at >= code.length) {
      throw new UndecodableException("instruction runs past the end at " + at);
    }
    return code[at] & 0xff;
  }

  /** Length of the instruction at {@code start}. */
  public static int length(byte[] code, int start) throws UndecodableException {
    int at = start;
    boolean operand16 = false;
    boolean address32 = false;
    boolean rexW = false;
    // legacy prefixes, then REX (the last REX before the opcode counts)
    while (true) {
      int b = u8(code, at);
      if (b == 0x66) {
        operand16 = true;
      } else if (b == 0x67) {
        address32 = true;
      } else if (b == 0xF0 || b == 0xF2 || b == 0xF3 || b == 0x2E || b == 0x3E || b == 0x26 || b == 0x36
          || b == 0x64 || b == 0x65) {
        // segment, lock, rep
      } else if (b >= 0x40 && b <= 0x4F) {
        rexW = (b & 8) != 0;
      } else {
        break;
      }
      at++;
      if (at - start > 14) {
        throw new UndecodableException("too many prefixes at " + start);
      }
    }
    int op = u8(code, at++);
    int length;
    switch (op) {
      case 0x0F -> length = twoByte(code, at, operand16) - start;
      case 0xC4, 0xC5 -> length = vex(code, at - 1, op) - start;
      case 0x62 -> length = evex(code, at - 1) - start;
      default -> length = oneByte(code, at, op, operand16, address32, rexW) - start;
    }
    if (length > 15) {
      throw new UndecodableException("instruction longer than 15 bytes at " + start);
    }
    return length;
  }

  /** End of a one-byte-opcode instruction whose ModRM (if any) is at {@code at}. */
  private static int oneByte(byte[] code, int at, int op, boolean o16, boolean a32, boolean rexW)
      throws UndecodableException {
    int imm32 = o16 ? 2 : 4;
    if (op < 0x40) {
      int low = op & 7;
      if (op == 0x06 || op == 0x07 || op == 0x0E || op == 0x16 || op == 0x17 || op == 0x1E || op == 0x1F
          || op == 0x27 || op == 0x2F || op == 0x37 || op == 0x3F) {
        throw new UndecodableException(String.format("opcode 0x%02x invalid in 64-bit mode", op));
      }
      return switch (low) {
        case 0, 1, 2, 3 -> modrm(code, at);
        case 4 -> at + 1;
        case 5 -> at + imm32;
        default -> throw new UndecodableException(String.format("opcode 0x%02x", op));
      };
    }
    if (op >= 0x50 && op <= 0x5F) {
      return at;
    }
    if (op >= 0x70 && op <= 0x7F) {
      return at + 1;
    }
    if (op >= 0x90 && op <= 0x99 || op >= 0x9B && op <= 0x9F) {
      return at;
    }
    if (op >= 0xB0 && op <= 0xB7) {
      return at + 1;
    }
    if (op >= 0xB8 && op <= 0xBF) {
      return at + (rexW ? 8 : imm32);
    }
    if (op >= 0xD8 && op <= 0xDF) {
      return modrm(code, at);
    }
    return switch (op) {
      case 0x63, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F,
          0xD0, 0xD1, 0xD2, 0xD3, 0xFE, 0xFF -> modrm(code, at);
      case 0x68 -> at + imm32;
      case 0x69 -> modrm(code, at) + imm32;
      case 0x6A, 0xA8, 0xCD, 0xE4, 0xE5, 0xE6, 0xE7, 0xEB, 0xE0, 0xE1, 0xE2, 0xE3 -> at + 1;
      case 0x6B, 0x80, 0x83, 0xC0, 0xC1, 0xC6 -> modrm(code, at) + 1;
      case 0x6C, 0x6D, 0x6E, 0x6F, 0xA4, 0xA5, 0xA6, 0xA7, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF,
          0xC3, 0xC9, 0xCB, 0xCC, 0xCF, 0xD7, 0xEC, 0xED, 0xEE, 0xEF, 0xF1, 0xF4, 0xF5, 0xF8, 0xF9,
          0xFA, 0xFB, 0xFC, 0xFD -> at;
      case 0x81, 0xC7 -> modrm(code, at) + imm32;
      case 0xA0, 0xA1, 0xA2, 0xA3 -> at + (a32 ? 4 : 8);
      case 0xA9 -> at + imm32;
      case 0xC2, 0xCA -> at + 2;
      case 0xC8 -> at + 3;
      case 0xE8, 0xE9 -> at + 4;
      case 0xF6 -> modrm(code, at) + (reg(code, at) <= 1 ? 1 : 0);
      case 0xF7 -> modrm(code, at) + (reg(code, at) <= 1 ? imm32 : 0);
      default -> throw new UndecodableException(String.format("opcode 0x%02x", op));
    };
  }

  private static int reg(byte[] code, int at) throws UndecodableException {
    return (u8(code, at) >> 3) & 7;
  }

  /** End of a 0F-map instruction; {@code at} is the byte after 0F. */
  private static int twoByte(byte[] code, int at, boolean o16) throws UndecodableException {
    int op = u8(code, at++);
    if (op == 0x38) {
      u8(code, at++); // third opcode byte
      return modrm(code, at);
    }
    if (op == 0x3A) {
      u8(code, at++);
      return modrm(code, at) + 1;
    }
    if (op >= 0x80 && op <= 0x8F) {
      return at + 4;
    }
    if (op >= 0xC8 && op <= 0xCF) {
      return at;
    }
    return switch (op) {
      case 0x05, 0x06, 0x07, 0x08, 0x09, 0x0B, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x37, 0x77, 0xA0,
          0xA1, 0xA2, 0xA8, 0xA9, 0xAA -> at;
      case 0x70, 0x71, 0x72, 0x73, 0xA4, 0xAC, 0xBA, 0xC2, 0xC4, 0xC5, 0xC6 -> modrm(code, at) + 1;
      case 0x0F -> modrm(code, at) + 1;
      case 0x04, 0x0A, 0x0C, 0x0E, 0x24, 0x25, 0x26, 0x27, 0x36, 0x39, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
          0x7A, 0x7B, 0xA6, 0xA7 -> throw new UndecodableException(String.format("opcode 0x0f 0x%02x", op));
      default -> modrm(code, at);
    };
  }

  /** End of a VEX instruction starting at {@code start} (the C4/C5 byte). */
  private static int vex(byte[] code, int start, int kind) throws UndecodableException {
    int map;
    int at;
    if (kind == 0xC5) {
      u8(code, start + 1);
      map = 1;
      at = start + 2;
    } else {
      map = u8(code, start + 1) & 0x1f;
      u8(code, start + 2);
      at = start + 3;
    }
    int op = u8(code, at++);
    if (map == 1 && op == 0x77) {
      return at; // vzeroupper / vzeroall
    }
    int end = modrm(code, at);
    return end + (immediateAfter(map, op) ? 1 : 0);
  }

  /** End of an EVEX instruction starting at {@code start} (the 62 byte). */
  private static int evex(byte[] code, int start) throws UndecodableException {
    int map = u8(code, start + 1) & 0x7;
    u8(code, start + 2);
    u8(code, start + 3);
    int at = start + 4;
    int op = u8(code, at++);
    int end = modrm(code, at);
    return end + (immediateAfter(map, op) ? 1 : 0);
  }

  private static boolean immediateAfter(int map, int op) throws UndecodableException {
    return switch (map) {
      case 1 -> op >= 0x70 && op <= 0x73 || op == 0xC2 || op == 0xC4 || op == 0xC5 || op == 0xC6;
      case 2 -> false;
      case 3 -> true;
      default -> throw new UndecodableException("VEX/EVEX map " + map);
    };
  }

  /** End of a ModRM operand (ModRM byte at {@code at}, then SIB and displacement). */
  private static int modrm(byte[] code, int at) throws UndecodableException {
    int m = u8(code, at++);
    int mod = m >> 6;
    int rm = m & 7;
    if (mod == 3) {
      return at;
    }
    int disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
    if (rm == 4) {
      int sib = u8(code, at++);
      if (mod == 0 && (sib & 7) == 5) {
        disp = 4;
      }
    } else if (mod == 0 && rm == 5) {
      disp = 4; // RIP-relative
    }
    return at + disp;
  }
}
