/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Go crypto/tls module (gotls.bpf.c): what it shares with the collector beyond the records of
 * tlscapture.h (it writes struct tls_event records into tlscapture's ring buffer "events", reused
 * by file descriptor). Fixed-width fields, padding spelled out, sizes pinned here and checked by a
 * Java test against the object's BTF (GoTlsLayoutTest).
 */
#ifndef __GOTLS_H
#define __GOTLS_H

/* tls_event.library of a Go binary: GO_LIBRARY_BASE + its index in "go_offsets" (the uprobe's
 * bpf_cookie). OpenSSL libraries count from 0, so the two never meet. */
#define GO_LIBRARY_BASE 0x8000
#define MAX_GO_BINARIES 256

/* A key-log line from crypto/tls.(*Config).writeKeyLog: struct go_keylog follows the header. */
#define EVENT_GO_KEYLOG 16

#define GO_LABEL_LEN 32
#define GO_RANDOM_LEN 32
#define GO_SECRET_LEN 64

/* Byte offsets in one Go binary's structures, written by the collector per binary (index =
 * bpf_cookie) from its table per Go version, or from DWARF. supported = 0: no fd/tuple lookup. */
struct go_offsets {
	__u32 supported;
	__u32 conn_conn_data;   /* tls.Conn.conn (a net.Conn interface): its data word */
	__u32 conn_is_client;   /* tls.Conn.isClient (bool) */
	__u32 tcpconn_fd;       /* net.TCPConn (net.conn).fd (*netFD) */
	__u32 netfd_sysfd;      /* netFD.pfd (poll.FD).Sysfd (int) */
	__u32 conn_vers;        /* tls.Conn.vers (uint16, the negotiated TLS version); 0 = unknown */
};

_Static_assert(sizeof(struct go_offsets) == 24, "go_offsets size");

struct go_keylog {
	__u32 label_len;
	__u32 random_len;
	__u32 secret_len;
	__u32 pad;
	char label[GO_LABEL_LEN];
	__u8 random[GO_RANDOM_LEN];
	__u8 secret[GO_SECRET_LEN];
};

_Static_assert(sizeof(struct go_keylog) == 144, "go_keylog size");
_Static_assert(__builtin_offsetof(struct go_keylog, label) == 16, "label");
_Static_assert(__builtin_offsetof(struct go_keylog, random) == 48, "random");
_Static_assert(__builtin_offsetof(struct go_keylog, secret) == 80, "secret");

#endif /* __GOTLS_H */
