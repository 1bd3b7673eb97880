package io.ecapture.kafka.collector.probe.gotls;

import java.util.Optional;

/**
 * Where one Go binary keeps what the BPF side follows from a {@code *tls.Conn} to its socket
 * (gotls.h struct go_offsets), and where that came from.
 *
 * <p>The known-offset table (amd64, Go 1.17 to 1.24): {@code tls.Conn.conn} (a {@code net.Conn}
 * interface: itab word, then data word) is the struct's first field, so its data word is at 8,
 * and {@code isClient bool} follows at 16; {@code *net.TCPConn} embeds {@code net.conn} whose only
 * field is {@code fd *netFD} (offset 0); {@code netFD} starts with {@code pfd poll.FD}, which
 * starts with {@code fdmu fdMutex} (uint64 + 2 × uint32 = 16 bytes) followed by {@code Sysfd int}
 * (offset 16). Checked from source for go1.19 only ({@link #CHECKED_FROM_SOURCE}): the go1.19.8
 * sources Debian ships (/usr/lib/go-1.19/src, parsed by GoTlsOffsetsSourceTest, which computes
 * these offsets with Go's amd64 layout rules) and the DWARF of binaries built with them
 * ({@link GoDwarf}, GoBinaryTest). The entries for 1.17, 1.18 and 1.20 to 1.24 assume the same
 * leading fields; the release-tagged sources of those versions could not be read here (the
 * golang/go snapshot is over the size the source tool brings, and its index holds one undated
 * version), so their source label says so. Unversioned copies of crypto/tls/conn.go show 1.21's
 * {@code quic *quicState} after handshakeFn, behind conn and isClient (it moved vers, which the
 * table therefore gives for 1.19 only).
 *
 * @param connConnData offset of tls.Conn.conn's data word
 * @param connIsClient offset of tls.Conn.isClient
 * @param tcpConnFd offset of net.conn.fd inside net.TCPConn
 * @param netFdSysfd offset of netFD.pfd.Sysfd
 * @param connVers offset of tls.Conn.vers (the negotiated version), 0 when unknown: from DWARF,
 *     or from the table only for Go 1.19 (64, where DWARF confirmed it; later releases added
 *     fields before it)
 * @param source {@code dwarf} or {@code go-version table (goX.Y)}
 */
public record GoTlsOffsets(int connConnData, int connIsClient, int tcpConnFd, int netFdSysfd, int connVers,
    String source) {
  /** Oldest release with the register-based calling convention the probes read (amd64). */
  public static final int MIN_MINOR = 17;
  /** Newest release the table has an entry for (later ones: assumed unchanged, said so). */
  public static final int MAX_CHECKED_MINOR = 24;
  /** The one release whose sources the table was checked against here (Debian's go1.19.8). */
  public static final int CHECKED_FROM_SOURCE = 19;

  /** The table's offsets for Go {@code major.minor}; empty before 1.17 (stack ABI) or for Go 2. */
  public static Optional<GoTlsOffsets> forVersion(int major, int minor) {
    if (major != 1 || minor < MIN_MINOR) {
      return Optional.empty();
    }
    return Optional.of(new GoTlsOffsets(8, 16, 0, 16, minor == CHECKED_FROM_SOURCE ? 64 : 0, "go-version table (go1."
        + minor + (minor > MAX_CHECKED_MINOR ? ", newer than the table's go1." + MAX_CHECKED_MINOR + ": assumed unchanged"
            : minor != CHECKED_FROM_SOURCE ? ", leading fields as in go1." + CHECKED_FROM_SOURCE + ": not checked from source"
            : "") + ")"));
  }
}
