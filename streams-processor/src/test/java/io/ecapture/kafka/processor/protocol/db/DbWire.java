package io.ecapture.kafka.processor.protocol.db;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Wire bytes of PostgreSQL (protocol v3), MySQL (client/server protocol, CLIENT_PROTOCOL_41) and
 * Redis (RESP2/3) messages, written from the protocols' documentation, for tests.
 */
public final class DbWire {
  private DbWire() {}

  public static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] cstr(String s) {
    return concat(utf8(s), new byte[] {0});
  }

  static byte[] be32(int v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }

  static byte[] be16(int v) {
    return new byte[] {(byte) (v >>> 8), (byte) v};
  }

  static byte[] le(long v, int bytes) {
    byte[] out = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      out[i] = (byte) (v >>> (8 * i));
    }
    return out;
  }

  /** PostgreSQL v3 messages. */
  public static final class Pg {
    private Pg() {}

    public static byte[] msg(char type, byte[]... body) {
      byte[] b = concat(body);
      return concat(new byte[] {(byte) type}, be32(b.length + 4), b);
    }

    public static byte[] startup(String... keyValues) {
      ByteArrayOutputStream params = new ByteArrayOutputStream();
      for (String s : keyValues) {
        params.writeBytes(cstr(s));
      }
      params.write(0);
      byte[] p = params.toByteArray();
      return concat(be32(p.length + 8), be32(196608), p);
    }

    public static byte[] query(String sql) {
      return msg('Q', cstr(sql));
    }

    public static byte[] parse(String name, String sql, int parameters) {
      byte[] types = new byte[4 * parameters];
      return msg('P', cstr(name), cstr(sql), be16(parameters), types);
    }

    public static byte[] bind(String portal, String statement, String... values) {
      ByteArrayOutputStream v = new ByteArrayOutputStream();
      for (String s : values) {
        v.writeBytes(be32(utf8(s).length));
        v.writeBytes(utf8(s));
      }
      return msg('B', cstr(portal), cstr(statement), be16(0), be16(values.length),
          v.toByteArray(), be16(0));
    }

    public static byte[] describePortal(String portal) {
      return msg('D', new byte[] {'P'}, cstr(portal));
    }

    public static byte[] execute(String portal) {
      return msg('E', cstr(portal), be32(0));
    }

    public static byte[] sync() {
      return msg('S');
    }

    public static byte[] terminate() {
      return msg('X');
    }

    public static byte[] saslInitial(String mechanism, String data) {
      return msg('p', cstr(mechanism), be32(utf8(data).length), utf8(data));
    }

    public static byte[] saslResponse(String data) {
      return msg('p', utf8(data));
    }

    public static byte[] auth(int code, byte[]... rest) {
      return msg('R', be32(code), concat(rest));
    }

    public static byte[] authSasl(String... mechanisms) {
      ByteArrayOutputStream m = new ByteArrayOutputStream();
      for (String s : mechanisms) {
        m.writeBytes(cstr(s));
      }
      m.write(0);
      return auth(10, m.toByteArray());
    }

    public static byte[] parameterStatus(String name, String value) {
      return msg('S', cstr(name), cstr(value));
    }

    public static byte[] backendKey(int pid, int key) {
      return msg('K', be32(pid), be32(key));
    }

    public static byte[] ready() {
      return msg('Z', new byte[] {'I'});
    }

    public static byte[] rowDescription(String... columns) {
      ByteArrayOutputStream c = new ByteArrayOutputStream();
      for (String s : columns) {
        c.writeBytes(cstr(s));
        c.writeBytes(new byte[18]);
      }
      return msg('T', be16(columns.length), c.toByteArray());
    }

    public static byte[] dataRow(String... values) {
      ByteArrayOutputStream v = new ByteArrayOutputStream();
      for (String s : values) {
        v.writeBytes(be32(utf8(s).length));
        v.writeBytes(utf8(s));
      }
      return msg('D', be16(values.length), v.toByteArray());
    }

    public static byte[] complete(String tag) {
      return msg('C', cstr(tag));
    }

    public static byte[] error(String severity, String sqlState, String message) {
      return msg('E', new byte[] {'S'}, cstr(severity), new byte[] {'V'}, cstr(severity),
          new byte[] {'C'}, cstr(sqlState), new byte[] {'M'}, cstr(message), new byte[] {0});
    }
  }

  /** MySQL client/server protocol packets. */
  public static final class My {
    private My() {}

    /** MySQL client capabilities (CLIENT_MYSQL set); MARIADB_CAPS as a MariaDB client sends. */
    public static final long CAPS = 0x200 | 0x8000 | 0x80000 | 0x8 | 0x200000 | 0x1000000 | 0x1
        | 0x800 | 0x10000 | 0x20000;
    public static final long MARIADB_CAPS = CAPS & ~1L;

    public static byte[] packet(int seq, byte[]... payload) {
      byte[] p = concat(payload);
      return concat(le(p.length, 3), new byte[] {(byte) seq}, p);
    }

    public static byte[] lenenc(long v) {
      if (v < 251) {
        return new byte[] {(byte) v};
      }
      if (v < 65536) {
        return concat(new byte[] {(byte) 0xfc}, le(v, 2));
      }
      return concat(new byte[] {(byte) 0xfd}, le(v, 3));
    }

    public static byte[] lenencString(String s) {
      return concat(lenenc(utf8(s).length), utf8(s));
    }

    public static byte[] greeting(String version) {
      return packet(0, new byte[] {10}, cstr(version), le(7, 4), utf8("abcdefgh"), new byte[1],
          le(CAPS & 0xffff, 2), new byte[] {33}, le(2, 2), le(CAPS >>> 16, 2), new byte[] {21},
          new byte[10], utf8("ijklmnopqrst"), new byte[1], cstr("mysql_native_password"));
    }

    /** Sequence id 2: the first packet inside TLS (after greeting 0 and SSLRequest 1). */
    public static byte[] handshakeResponse(long caps, String user, byte[] auth, String database,
        String plugin) {
      return handshakeResponse(2, caps, user, auth, database, plugin);
    }

    public static byte[] handshakeResponse(int seq, long caps, String user, byte[] auth,
        String database, String plugin) {
      // MariaDB clients clear CLIENT_MYSQL (bit 0) and send extended capabilities in the filler's
      // last 4 bytes
      byte[] filler = (caps & 1) == 0 ? concat(new byte[19], le(0x1d, 4)) : new byte[23];
      return packet(seq, le(caps, 4), le(16777216, 4), new byte[] {33}, filler, cstr(user),
          lenenc(auth.length), auth, cstr(database), cstr(plugin));
    }

    public static byte[] command(int command, byte[]... rest) {
      return packet(0, new byte[] {(byte) command}, concat(rest));
    }

    public static byte[] query(String sql) {
      return command(0x03, utf8(sql));
    }

    public static byte[] ok(int seq, long affected, long insertId, int status, int warnings) {
      return packet(seq, new byte[] {0}, lenenc(affected), lenenc(insertId), le(status, 2),
          le(warnings, 2));
    }

    /** The OK with a 0xfe header that ends a result set under CLIENT_DEPRECATE_EOF. */
    public static byte[] okEof(int seq, int status) {
      return packet(seq, new byte[] {(byte) 0xfe}, lenenc(0), lenenc(0), le(status, 2), le(0, 2));
    }

    public static byte[] eof(int seq, int status) {
      return packet(seq, new byte[] {(byte) 0xfe}, le(0, 2), le(status, 2));
    }

    public static byte[] err(int seq, int code, String state, String message) {
      return packet(seq, new byte[] {(byte) 0xff}, le(code, 2), utf8("#" + state), utf8(message));
    }

    public static byte[] columnDefinition(int seq, String name) {
      return packet(seq, lenencString("def"), lenencString("db"), lenencString("t"),
          lenencString("t"), lenencString(name), lenencString(name), new byte[] {0x0c},
          le(33, 2), le(255, 4), new byte[] {(byte) 0xfd}, le(0, 2), new byte[] {0}, le(0, 2));
    }

    /** A text result set: column count, definitions, rows, then an OK/EOF, from {@code seq}. */
    public static byte[] resultSet(int seq, boolean deprecateEof, String[] columns,
        String[]... rows) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes(packet(seq++, lenenc(columns.length)));
      for (String c : columns) {
        out.writeBytes(columnDefinition(seq++, c));
      }
      if (!deprecateEof) {
        out.writeBytes(eof(seq++, 2));
      }
      for (String[] row : rows) {
        ByteArrayOutputStream r = new ByteArrayOutputStream();
        for (String v : row) {
          r.writeBytes(lenencString(v));
        }
        out.writeBytes(packet(seq++, r.toByteArray()));
      }
      out.writeBytes(deprecateEof ? okEof(seq, 2) : eof(seq, 2));
      return out.toByteArray();
    }

    public static byte[] prepareOk(int id, int columns, int parameters) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int seq = 1;
      out.writeBytes(packet(seq++, new byte[] {0}, le(id, 4), le(columns, 2), le(parameters, 2),
          new byte[1], le(0, 2)));
      for (int i = 0; i < parameters; i++) {
        out.writeBytes(columnDefinition(seq++, "?"));
      }
      for (int i = 0; i < columns; i++) {
        out.writeBytes(columnDefinition(seq++, "c" + i));
      }
      return out.toByteArray(); // CLIENT_DEPRECATE_EOF: no EOF after the definitions
    }

    public static byte[] execute(int id) {
      return command(0x17, le(id, 4), new byte[] {0}, le(1, 4));
    }
  }

  /** Redis RESP values. */
  public static final class Resp {
    private Resp() {}

    public static byte[] command(String... args) {
      StringBuilder s = new StringBuilder("*").append(args.length).append("\r\n");
      for (String a : args) {
        s.append('$').append(utf8(a).length).append("\r\n").append(a).append("\r\n");
      }
      return utf8(s.toString());
    }

    public static byte[] simple(String s) {
      return utf8("+" + s + "\r\n");
    }

    public static byte[] error(String s) {
      return utf8("-" + s + "\r\n");
    }

    public static byte[] integer(long v) {
      return utf8(":" + v + "\r\n");
    }

    public static byte[] bulk(String s) {
      return s == null ? utf8("$-1\r\n") : utf8("$" + utf8(s).length + "\r\n" + s + "\r\n");
    }
  }
}
