// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gotls: plaintext of Go crypto/tls connections, from uprobes on the Go binary itself.
 *
 * Go >= 1.17 passes arguments in registers (ABIInternal: RAX, RBX, RCX, RDI, RSI, R8, R9, R10, R11;
 * the receiver first; a slice is ptr, len, cap; R14 holds the running goroutine's g). uretprobes
 * are never used in Go code: they rewrite the return address on a stack the Go runtime may move
 * or copy, which corrupts goroutine stacks. Instead the collector attaches a plain uprobe to every
 * RET instruction of (*Conn).Read (found by decoding the function's machine code) and the entry
 * and the RETs are paired by goroutine (g, tgid), not by thread: a goroutine can move threads.
 *
 *  - crypto/tls.(*Conn).writeRecordLocked(typ recordType, data []byte) at entry: typ 23
 *    (application data) carries the plaintext the program writes;
 *  - crypto/tls.(*Conn).Read(b []byte) (n int, err error): b at entry, n in RAX at each RET;
 *  - crypto/tls.(*Config).writeKeyLog(label string, clientRandom, secret []byte) at entry: one
 *    NSS key-log line (Go calls it whether or not the program set a KeyLogWriter).
 *
 * The socket comes from the net.Conn inside tls.Conn: for *net.TCPConn, conn.fd (*netFD) ->
 * pfd.Sysfd, then fd -> struct sock through the task's file table (CO-RE). Offsets per binary are
 * in go_offsets. Records go to tlscapture's ring buffer ("events", reused by fd) in its format, so
 * the decoder, processor and gateway treat them like OpenSSL's; tls_event.library is
 * GO_LIBRARY_BASE + the binary's index. The process filters are tlscapture's maps (reused too).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tlscapture.h"
#include "gotls.h"
#include "sock_tuple.h"
#include "capture_filter.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define RECORD_TYPE_APPLICATION_DATA 23

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- maps shared with tlscapture.bpf.c (the collector reuses its fds before load) ---- */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} drop_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} consumer_sleeping SEC(".maps");

/* ---- this module's own maps ---- */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_GO_BINARIES);
	__type(key, __u32);
	__type(value, struct go_offsets);
} go_offsets SEC(".maps");

/* A goroutine between (*Conn).Read's entry and one of its RETs. */
struct go_call_key {
	__u64 g;
	__u32 tgid;
	__u32 pad;
};

struct go_read {
	__u64 conn;
	__u64 buf;
	__u64 len;
	__u32 binary;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_ACTIVE_CALLS);
	__type(key, struct go_call_key);
	__type(value, struct go_read);
} go_reads SEC(".maps");

/* A Go TLS connection, keyed by its struct sock (or by the tls.Conn pointer when no socket). */
struct go_conn {
	__u64 start_ns;
	__u64 bytes[2];
	__u64 cgroup_id;
	__u32 pid;
	__u32 uid;
	__s32 fd;
	__u32 flags;
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u16 library;
	__u8 accepted;
	__u8 closed;
	__u8 tls_minor;
	__u8 pad[5];
	__u8 saddr[ADDR_LEN];
	__u8 daddr[ADDR_LEN];
	char comm[TASK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_CONNECTIONS);
	__type(key, __u64);
	__type(value, struct go_conn);
} go_conns SEC(".maps");

const struct go_offsets *unused_go_offsets __attribute__((unused));
const struct go_keylog *unused_go_keylog __attribute__((unused));
const struct tls_event *unused_go_tls_event __attribute__((unused));

/* ---- helpers ---- */

static __always_inline __u64 wakeup_flags(void)
{
	__u32 zero = 0;
	__u32 *sleeping = bpf_map_lookup_elem(&consumer_sleeping, &zero);
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);

	if (sleeping && *sleeping)
		return BPF_RB_FORCE_WAKEUP;
	return avail >= size / 8 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void count(__u32 index, __u64 amount)
{
	__u64 *counter = bpf_map_lookup_elem(&drop_counts, &index);

	if (counter)
		*counter += amount;
}

/* The fd behind a tls.Conn: conn (net.Conn) data word -> *net.TCPConn -> fd *netFD -> pfd.Sysfd. */
static __always_inline int fd_of_conn(__u64 conn, const struct go_offsets *off)
{
	__u64 tcpconn = 0, netfd = 0;
	__s64 sysfd = -1;

	if (!off->supported)
		return -1;
	if (bpf_probe_read_user(&tcpconn, sizeof(tcpconn), (void *)(conn + off->conn_conn_data)) || !tcpconn)
		return -1;
	if (bpf_probe_read_user(&netfd, sizeof(netfd), (void *)(tcpconn + off->tcpconn_fd)) || !netfd)
		return -1;
	if (bpf_probe_read_user(&sysfd, sizeof(sysfd), (void *)(netfd + off->netfd_sysfd)))
		return -1;
	return sysfd >= 0 && sysfd < (1 << 24) ? (int)sysfd : -1;
}

static __always_inline void read_tuple(struct sock *sk, struct go_conn *conn)
{
	sock_read_tuple(sk, &conn->family, &conn->sport, &conn->dport, conn->saddr, conn->daddr);
}

static __always_inline void fill_header(struct tls_event *ev, __u32 kind, const struct go_conn *conn, __u32 tid)
{
	ev->kind = kind;
	ev->pid = conn->pid;
	ev->tid = tid;
	ev->uid = conn->uid;
	ev->ktime_ns = bpf_ktime_get_ns();
	ev->conn_start_ns = conn->start_ns;
	ev->offset = 0;
	ev->bytes_read = conn->bytes[0];
	ev->bytes_written = conn->bytes[1];
	ev->fd = conn->fd;
	ev->call_len = 0;
	ev->data_len = 0;
	ev->direction = 0;
	ev->function = 0;
	ev->family = conn->family;
	ev->sport = conn->sport;
	ev->dport = conn->dport;
	ev->flags = conn->flags;
	__builtin_memcpy(ev->saddr, conn->saddr, ADDR_LEN);
	__builtin_memcpy(ev->daddr, conn->daddr, ADDR_LEN);
	__builtin_memcpy(ev->comm, conn->comm, TASK_COMM_LEN);
	ev->chunk_offset = 0;
	ev->library = conn->library;
	ev->accepted = conn->accepted;
	ev->tls_minor = conn->tls_minor;
	ev->cgroup_id = conn->cgroup_id;
}

static __always_inline void emit_lifecycle(__u32 kind, const struct go_conn *conn, __u32 tid)
{
	struct tls_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		count(DROP_RECORDS, 1);
		return;
	}
	fill_header(ev, kind, conn, tid);
	bpf_ringbuf_submit(ev, wakeup_flags());
}

/* Finds or creates the connection of tls.Conn {@code conn}; a new one gets an OPEN event. */
static __always_inline struct go_conn *connection_of(__u64 conn, __u32 binary, __u64 pid_tgid)
{
	__u32 index = binary;
	struct go_offsets *off = bpf_map_lookup_elem(&go_offsets, &index);
	struct go_conn fresh = {};
	struct go_conn *found;
	struct sock *sk = NULL;
	__u8 is_client = 1;
	__u16 vers = 0;
	__u64 key;
	int fd = -1;

	if (!off)
		return NULL;
	fd = fd_of_conn(conn, off);
	if (fd >= 0) {
		sk = sock_of_fd(fd);
		/* only TCP sockets: another net.Conn type behind tls.Conn reads as garbage here */
		if (sk && BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
			sk = NULL;
	}
	key = sk ? (__u64)sk : conn;
	found = bpf_map_lookup_elem(&go_conns, &key);
	if (found) {
		__u8 state = sk ? BPF_CORE_READ(sk, __sk_common.skc_state) : 0;

		if (!found->closed || !(state == TCP_ESTABLISHED || state == TCP_SYN_SENT || state == TCP_SYN_RECV))
			return found;
		bpf_map_delete_elem(&go_conns, &key); /* a new socket at a recycled address */
	}
	fresh.start_ns = bpf_ktime_get_ns();
	fresh.pid = pid_tgid >> 32;
	fresh.uid = (__u32)bpf_get_current_uid_gid();
	fresh.fd = sk ? fd : -1;
	fresh.flags = sk ? 0 : FLAG_NO_SOCKET;
	fresh.library = GO_LIBRARY_BASE + binary;
	fresh.cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(fresh.comm, sizeof(fresh.comm));
	if (off->supported && !bpf_probe_read_user(&is_client, sizeof(is_client), (void *)(conn + off->conn_is_client)))
		fresh.accepted = is_client ? 0 : 1;
	/* application data flows only after the handshake: the version is negotiated by now */
	if (off->supported && off->conn_vers &&
	    !bpf_probe_read_user(&vers, sizeof(vers), (void *)(conn + off->conn_vers)) && (vers >> 8) == 0x03)
		fresh.tls_minor = (__u8)vers;
	if (sk)
		read_tuple(sk, &fresh);
	if (bpf_map_update_elem(&go_conns, &key, &fresh, BPF_NOEXIST) == 0)
		emit_lifecycle(EVENT_OPEN, &fresh, (__u32)pid_tgid);
	return bpf_map_lookup_elem(&go_conns, &key);
}

/* ---- chunked payload copy ---- */

struct chunk_ctx {
	struct go_conn *conn;
	__u64 buf;
	__u64 offset;
	__u32 call_len;
	__u32 capture_len;
	__u32 tid;
	__u32 flags;
	__u8 direction;
	__u8 function;
};

static __always_inline long emit_chunk_sized(struct chunk_ctx *c, __u32 done, __u32 want, const __u32 room)
{
	struct tls_event *ev;
	__u64 len = want;

	asm volatile("" : "+r"(len));
	if (len > room)
		len = room;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev) + room, 0);
	if (!ev) {
		count(DROP_RECORDS, 1);
		count(DROP_BYTES, len);
		return 0;
	}
	fill_header(ev, EVENT_DATA, c->conn, c->tid);
	ev->offset = c->offset + done;
	ev->chunk_offset = done;
	ev->call_len = c->call_len;
	ev->direction = c->direction;
	ev->function = c->function;
	ev->flags = c->flags;
	if (bpf_probe_read_user((void *)(ev + 1), len, (const void *)(c->buf + done))) {
		count(DROP_READ_FAULTS, 1);
		ev->flags |= FLAG_READ_FAULT;
		len = 0;
	}
	ev->data_len = len;
	bpf_ringbuf_submit(ev, wakeup_flags());
	return 0;
}

static long emit_chunk(__u32 index, struct chunk_ctx *c)
{
	__u32 done = index * MAX_CHUNK;
	__u32 len;

	if (done >= c->capture_len)
		return 1;
	len = c->capture_len - done;
	if (len <= SMALL_CHUNK)
		return emit_chunk_sized(c, done, len, SMALL_CHUNK);
	if (len <= MEDIUM_CHUNK)
		return emit_chunk_sized(c, done, len, MEDIUM_CHUNK);
	return emit_chunk_sized(c, done, len, MAX_CHUNK);
}

static __always_inline void emit_data(__u64 conn_ptr, __u32 binary, __u64 buf, __u64 len, __u8 direction,
				      __u64 pid_tgid)
{
	struct go_conn *conn;
	struct chunk_ctx c = {};

	if (!len || len > (1ULL << 31))
		return;
	conn = connection_of(conn_ptr, binary, pid_tgid);
	if (!conn)
		return;
	c.conn = conn;
	c.buf = buf;
	c.call_len = (__u32)len;
	c.capture_len = len > MAX_CAPTURE_LEN ? MAX_CAPTURE_LEN : (__u32)len;
	c.tid = (__u32)pid_tgid;
	c.direction = direction;
	c.function = direction == DIR_READ ? FN_SSL_READ : FN_SSL_WRITE;
	c.flags = conn->flags | (len > MAX_CAPTURE_LEN ? FLAG_TRUNCATED : 0);
	if (len > MAX_CAPTURE_LEN)
		count(DROP_TRUNCATED, 1);
	c.offset = __sync_fetch_and_add(&conn->bytes[direction - 1], len);
	bpf_loop(MAX_CHUNKS, emit_chunk, &c, 0);
}

/* ---- probes ---- */

SEC("uprobe")
int go_write_record(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	count(COUNT_ENTRY_HITS, 1);
	if ((ctx->bx & 0xff) != RECORD_TYPE_APPLICATION_DATA)
		return 0;
	if (!wanted_task(pid_tgid)) {
		count(DROP_FILTERED, 1);
		return 0;
	}
	emit_data(ctx->ax, (__u32)bpf_get_attach_cookie(ctx), ctx->cx, ctx->di, DIR_WRITE, pid_tgid);
	return 0;
}

SEC("uprobe")
int go_read_entry(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct go_call_key key = { .g = ctx->r14, .tgid = pid_tgid >> 32 };
	struct go_read call = {
		.conn = ctx->ax, .buf = ctx->bx, .len = ctx->cx, .binary = (__u32)bpf_get_attach_cookie(ctx) };

	count(COUNT_ENTRY_HITS, 1);
	if (!wanted_task(pid_tgid)) {
		count(DROP_FILTERED, 1);
		return 0;
	}
	bpf_map_update_elem(&go_reads, &key, &call, BPF_ANY);
	return 0;
}

/* Attached to each RET of (*Conn).Read: n in RAX. */
SEC("uprobe")
int go_read_return(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct go_call_key key = { .g = ctx->r14, .tgid = pid_tgid >> 32 };
	struct go_read *found = bpf_map_lookup_elem(&go_reads, &key);
	struct go_read call;
	__s64 n = (__s64)ctx->ax;

	count(COUNT_RETURN_HITS, 1);
	if (!found)
		return 0;
	call = *found;
	bpf_map_delete_elem(&go_reads, &key);
	if (n <= 0 || (__u64)n > call.len)
		return 0;
	emit_data(call.conn, call.binary, call.buf, (__u64)n, DIR_READ, pid_tgid);
	return 0;
}

SEC("uprobe")
int go_write_keylog(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tls_event *ev;
	struct go_keylog *line;
	__u64 label_len = ctx->cx, random_len = ctx->si, secret_len = ctx->r10;

	if (!wanted_task(pid_tgid))
		return 0;
	if (!label_len || label_len > GO_LABEL_LEN || random_len != GO_RANDOM_LEN || !secret_len ||
	    secret_len > GO_SECRET_LEN)
		return 0;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev) + sizeof(*line), 0);
	if (!ev) {
		count(DROP_RECORDS, 1);
		return 0;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->kind = EVENT_GO_KEYLOG;
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->ktime_ns = bpf_ktime_get_ns();
	ev->fd = -1;
	ev->library = GO_LIBRARY_BASE + (__u16)bpf_get_attach_cookie(ctx);
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->data_len = sizeof(*line);
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	line = (struct go_keylog *)(ev + 1);
	__builtin_memset(line, 0, sizeof(*line));
	line->label_len = label_len;
	line->random_len = random_len;
	line->secret_len = secret_len;
	asm volatile("" : "+r"(label_len));
	if (label_len > GO_LABEL_LEN)
		label_len = GO_LABEL_LEN;
	asm volatile("" : "+r"(secret_len));
	if (secret_len > GO_SECRET_LEN)
		secret_len = GO_SECRET_LEN;
	if (bpf_probe_read_user(line->label, label_len, (void *)ctx->bx) ||
	    bpf_probe_read_user(line->random, GO_RANDOM_LEN, (void *)ctx->di) ||
	    bpf_probe_read_user(line->secret, secret_len, (void *)ctx->r9)) {
		count(DROP_READ_FAULTS, 1);
		bpf_ringbuf_discard(ev, 0);
		return 0;
	}
	bpf_ringbuf_submit(ev, wakeup_flags());
	return 0;
}

/* A Go connection's TCP socket is closing: its CLOSE (once). */
SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(go_sock_set_state, struct sock *sk, int oldstate, int newstate)
{
	__u64 key = (__u64)sk;
	struct go_conn *conn;

	if (newstate != TCP_FIN_WAIT1 && newstate != TCP_LAST_ACK && newstate != TCP_CLOSE)
		return 0;
	conn = bpf_map_lookup_elem(&go_conns, &key);
	if (!conn || conn->closed)
		return 0;
	conn->closed = 1;
	emit_lifecycle(EVENT_CLOSE, conn, 0);
	return 0;
}
