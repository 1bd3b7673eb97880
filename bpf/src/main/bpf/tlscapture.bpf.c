// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tlscapture: plaintext of OpenSSL SSL_read/SSL_write(_ex) calls, with the socket behind them.
 *
 * Entry uprobes remember (SSL*, buffer, out-length pointer) per thread; a socket send or
 * receive made by that thread while the call is active (the sock_send_length / sock_recv_length
 * tracepoints, Linux >= 6.3) names the struct sock the SSL object uses; the return uprobe reads
 * the real length, finds the connection, advances its per-direction byte offset atomically and
 * copies the plaintext into the ring buffer in chunks of at most MAX_CHUNK bytes. TCP state
 * changes (inet_sock_set_state) mark server-side sockets and end connections; tcp_destroy_sock
 * forgets them. Nothing runs on system calls, so a process that does no TLS pays nothing: the
 * raw syscall tracepoints below are a fallback for kernels without the socket tracepoints, and
 * the collector attaches them only there. kprobes/fentry are not used (unavailable on some
 * kernels). Every record carries the owner's cgroup v2 id, taken when its connection was first
 * seen (conn_info.cgroup_id); the optional cgroup filter keeps only tasks inside chosen subtrees.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tlscapture.h"
#include "sock_tuple.h"
#include "capture_filter.h"

#define TCP_CLOSE 7

/* active_call.function of an SSL_do_handshake call (not a tls_function: never in an event) */
#define FN_HANDSHAKE 5

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* An SSL call between its entry and return uprobes, per thread. The entry is kept once the call
 * returns (ssl = 0: no call in progress) and rewritten in place by the thread's next call: a lookup
 * and a store instead of an update and a delete, which take the map's bucket lock. */
struct active_call {
	__u64 ssl;           /* 0: the thread is in no SSL call */
	__u64 buf;
	__u64 out_len_ptr;   /* size_t* of the _ex variants, 0 otherwise */
	__u64 sk;            /* struct sock *: from the SSL object's socket BIO (fd >= 0), else of a
			      * socket I/O made during the call, 0 until then */
	__s32 fd;            /* the socket's fd when the BIO named it (bio-fd), -1 otherwise */
	__u8 function;
	__u8 direction;
	__u16 library;       /* bpf_cookie of the uprobe: which libssl file */
};

/* An SSL object of a process: SSL pointers are per address space. */
struct ssl_key {
	__u64 ssl;
	__u32 tgid;
	__u32 pad;
};

/* A connection as first seen; keyed by its struct sock pointer. */
struct conn_info {
	__u64 start_ns;
	__u64 bytes[2];        /* index direction - 1: read, write */
	__u32 pid;
	__u32 uid;
	__s32 fd;
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u16 closed;          /* CLOSE event already sent (TCP_CLOSE seen); fd may still drain */
	__u16 library;
	__u8 accepted;
	__u8 tls_minor;        /* low byte of SSL->version when first seen (0x0303 -> 3), 0 unknown */
	__u32 flags;
	__u8 saddr[ADDR_LEN];
	__u8 daddr[ADDR_LEN];
	char comm[TASK_COMM_LEN];
	__u32 handshake_sent;  /* HANDSHAKE event sent: an application calling SSL_do_handshake again
			        * on a finished session must not report a second one */
	__u32 pad;
	__u64 ssl;             /* SSL* that created the entry: a socket carries one TLS session, so a
			        * memory-BIO binding of another SSL object to this socket is refused */
	__u64 cgroup_id;       /* the owner's cgroup v2 id, taken in its context when the entry was
			        * created: lifecycle events fired from TCP tracepoints run in whatever
			        * context the stack is in (softirq, another task), so every event is
			        * stamped from here, never from bpf_get_current_cgroup_id() at emit time */
	__u64 keys_head;       /* first 8 bytes of the client random whose keys were sent for this
			        * connection: later calls skip the keys_sent lookup */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024); /* overridden by the collector before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} drop_counts SEC(".maps");

/* Secret offsets per probed library (index = bpf_cookie), written by the collector before attach. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_LIBRARIES);
	__type(key, __u32);
	__type(value, struct ssl_offsets);
} ssl_offsets SEC(".maps");

/* Socket BIO layout per probed library (index = bpf_cookie), learned by the collector; see
 * struct bio_layout. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_LIBRARIES);
	__type(key, __u32);
	__type(value, struct bio_layout);
} bio_layouts SEC(".maps");

/* TLS sessions whose keys were sent: (SSL*, tgid) -> first 8 bytes of the client random, so a
 * reused SSL object (new handshake, new random) is sent again. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_SSL_SESSIONS);
	__type(key, struct ssl_key);
	__type(value, __u64);
} keys_sent SEC(".maps");

/* LRU: a thread killed inside an SSL call never reaches the return probe; its entry ages out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_ACTIVE_CALLS);
	__type(key, __u64);                 /* pid_tgid */
	__type(value, struct active_call);
} active_calls SEC(".maps");

/* The socket an SSL object did I/O on last, and its fd once known (-1 until then). */
struct ssl_sock {
	__u64 sk;
	__s32 fd;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_SSL_SESSIONS);
	__type(key, struct ssl_key);
	__type(value, struct ssl_sock);
} ssl_socks SEC(".maps");

/*
 * bio-fd resolution cached per SSL object (index 0: its read BIO, 1: its write BIO), so a call on
 * a known connection re-reads two words of user memory (the SSL object's BIO pointer and the
 * BIO's fd) instead of walking the BIO chain and the task's file table. A hit is trusted only
 * while the SSL object still names the same BIO with the same fd and the connection of the
 * cached socket is open, belongs to this process and SSL object and has that fd (closing the
 * socket, a reset or its destruction end it), else the walk runs again and refills the entry.
 * Forgotten at SSL_free (and by the LRU).
 */
struct bio_cache {
	__u64 bio[2];      /* the descriptor BIO the SSL object named (no buffering BIO in front) */
	__u64 sk[2];       /* its struct sock, 0: slot empty */
	__u64 file[2];     /* its struct file, for f_flags (O_NONBLOCK may change with fcntl) */
	__s32 fd[2];
	__u32 hs_done;     /* a TLS 1.3 handshake was seen finished: no in_init reads (1.3 has no
			    * renegotiation; a new connection of the object refills the entry) */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_SSL_SESSIONS);
	__type(key, struct ssl_key);
	__type(value, struct bio_cache);
} bio_caches SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_CONNECTIONS);
	__type(key, __u64);                 /* struct sock *, or the SSL* when no socket is known */
	__type(value, struct conn_info);
} connections SEC(".maps");

/* Server-side sockets (their TCP state went through SYN_RECV), until destroyed. Kept across
 * TCP_CLOSE: a peer may reset the connection before the server's first read. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_CONNECTIONS);
	__type(key, __u64);                 /* struct sock * */
	__type(value, __u32);               /* 1 */
} accepted_socks SEC(".maps");

/*
 * Memory-BIO stacks (node's TLSWrap) move the ciphertext themselves: no socket syscall happens
 * inside the SSL call. An SSL object with no known fd is bound to the socket its thread writes
 * next, right after the call returned (the event loop flushes the ciphertext the call produced),
 * if that happens within PENDING_BIND_NS and before any other SSL object's call on the thread.
 */
struct pending_bind {
	__u64 ssl;
	__u64 ktime_ns;
};

#define PENDING_BIND_NS (50ULL * 1000 * 1000)

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_ACTIVE_CALLS);
	__type(key, __u64);                 /* pid_tgid */
	__type(value, struct pending_bind);
} pending_binds SEC(".maps");

/*
 * A memory-BIO object whose session started before the probes never makes the handshake step
 * that binds it; if it only reads, no write binds it either. Its ciphertext is read from the
 * socket by the same thread right before SSL_read: for processes known to run unbound SSL objects
 * (membio_tgids), the socket hooks keep each thread's last socket read, and a returning SSL_read
 * of an unbound object binds to it (once: the record is consumed by the thread's next SSL_read).
 */
struct socket_read {
	__u64 sk;
	__u64 ktime_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);                 /* tgid */
	__type(value, __u32);
} membio_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_ACTIVE_CALLS);
	__type(key, __u64);                 /* pid_tgid */
	__type(value, struct socket_read);
} last_socket_reads SEC(".maps");

/* First SSL_do_handshake entry per SSL object (ktime), until a call reports success. Per SSL, not
 * per thread: a non-blocking client (curl) calls it once per WANT_READ until the handshake ends. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_SSL_SESSIONS);
	__type(key, struct ssl_key);
	__type(value, __u64);
} handshake_starts SEC(".maps");

/* Keeps struct tls_event / tls_keys in the object's BTF so the Java layout test can read them. */
const struct tls_event *unused_tls_event __attribute__((unused));
const struct tls_keys *unused_tls_keys __attribute__((unused));
const struct tls_handshake *unused_tls_handshake __attribute__((unused));

/*
 * Non-zero while the collector sleeps on the ring buffer for long (nothing came for a while, see
 * Collector.pollLoop): the next record then wakes it at once. An idle collector so costs no
 * periodic wake-ups, and the first record after a quiet spell is not delayed by a poll timeout.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} consumer_sleeping SEC(".maps");

/*
 * Waking the consumer for every record costs more than capturing it (an irq_work and an epoll
 * wake-up per SSL call): while it drains on its own short poll timeout (busy), wake it only when
 * this record takes the ring past 1/8 full (once per crossing, not for every record while it stays
 * above: measured, forcing a wake-up per record above the mark cost ~1.3 us per SSL call once the
 * consumer fell behind); while it sleeps (idle), wake it for the first record. `bytes` is what
 * this record added to the ring.
 */
static __always_inline __u64 wakeup_flags(__u64 bytes)
{
	__u32 zero = 0;
	__u32 *sleeping = bpf_map_lookup_elem(&consumer_sleeping, &zero);
	__u64 avail, mark;

	if (sleeping && *sleeping)
		return BPF_RB_FORCE_WAKEUP;
	avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	mark = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 8;
	return avail >= mark && avail < mark + bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void count_drop(__u32 index, __u64 amount)
{
	__u64 *counter = bpf_map_lookup_elem(&drop_counts, &index);

	if (counter)
		*counter += amount;
}

/* ---- socket lookup (CO-RE; fd -> sock and the tuple in sock_tuple.h) ---- */

/*
 * bio-fd: the socket of an SSL call read from the SSL object itself, for libraries whose layout
 * the collector learned: the read (rbio) or write (wbio) BIO, past a buffering BIO (OpenSSL
 * pushes one in front of the socket BIO during handshakes), must be a descriptor BIO (socket,
 * connect, accept, fd, datagram: num is an fd); the fd must be a socket of the calling process.
 * 0 otherwise (memory BIO, an application's own BIO, unknown layout): the socket tracepoints and
 * memory-BIO binding find the socket instead.
 */
static __always_inline __u64 bio_socket_bio(__u64 ssl, __u16 library, __u8 direction, __s32 *fd_out, __u32 *f_flags,
					    __u64 *direct_bio, __u64 *file_out)
{
	__u32 index = library;
	struct bio_layout *l = bpf_map_lookup_elem(&bio_layouts, &index);
	__u64 bio = 0, method = 0;
	__s32 type = 0, fd = -1;
	struct sock *sk;

	if (!l || !l->supported || !ssl)
		return 0;
	if (l->ssl_type != SSL_NO_TYPE &&
	    (bpf_probe_read_user(&type, sizeof(type), (void *)(ssl + l->ssl_type)) || type != SSL_TYPE_SSL_CONNECTION))
		return 0;
	if (bpf_probe_read_user(&bio, sizeof(bio), (void *)(ssl + (direction == DIR_WRITE ? l->ssl_wbio : l->ssl_rbio))) ||
	    !bio)
		return 0;
	*direct_bio = bio;
	if (bpf_probe_read_user(&method, sizeof(method), (void *)(bio + l->bio_method)) || !method ||
	    bpf_probe_read_user(&type, sizeof(type), (void *)(method + l->method_type)))
		return 0;
	if (type == BIO_TYPE_BUFFER) {
		*direct_bio = 0; /* the buffer BIO goes when the handshake ends: not cached */
		if (bpf_probe_read_user(&bio, sizeof(bio), (void *)(bio + l->bio_next)) || !bio ||
		    bpf_probe_read_user(&method, sizeof(method), (void *)(bio + l->bio_method)) || !method ||
		    bpf_probe_read_user(&type, sizeof(type), (void *)(method + l->method_type)))
			return 0;
	}
	if (!(type & BIO_TYPE_DESCRIPTOR) || bpf_probe_read_user(&fd, sizeof(fd), (void *)(bio + l->bio_num)))
		return 0;
	sk = sock_of_fd_file(fd, f_flags, (struct file **)file_out);
	if (!sk)
		return 0;
	*fd_out = fd;
	return (__u64)sk;
}

static __always_inline __u64 bio_socket(__u64 ssl, __u16 library, __u8 direction, __s32 *fd_out, __u32 *f_flags)
{
	__u64 direct = 0, file = 0;

	return bio_socket_bio(ssl, library, direction, fd_out, f_flags, &direct, &file);
}

/*
 * bio_socket through the per-SSL cache (struct bio_cache). *cache_out gets the entry on a hit,
 * NULL otherwise. f_flags, when not NULL, gets the file's current flags.
 */
static __always_inline __u64 bio_socket_cached(__u64 ssl, __u16 library, __u8 direction, __u32 tgid, __s32 *fd_out,
					       __u32 *f_flags, struct bio_cache **cache_out)
{
	struct ssl_key skey = { .ssl = ssl, .tgid = tgid };
	struct bio_cache *c = bpf_map_lookup_elem(&bio_caches, &skey);
	struct bio_cache fresh = {};
	int slot = direction == DIR_WRITE ? 1 : 0;
	__u32 index = library;
	struct bio_layout *l;
	struct conn_info *conn;
	__u64 bio = 0, sk, direct = 0, file = 0;
	struct file *file_ptr;
	__s32 fd = -1;

	*cache_out = NULL;
	if (c && c->sk[slot]) {
		l = bpf_map_lookup_elem(&bio_layouts, &index);
		sk = c->sk[slot];
		if (l && !bpf_probe_read_user(&bio, sizeof(bio),
					      (void *)(ssl + (direction == DIR_WRITE ? l->ssl_wbio : l->ssl_rbio))) &&
		    bio == c->bio[slot] && !bpf_probe_read_user(&fd, sizeof(fd), (void *)(bio + l->bio_num)) &&
		    fd == c->fd[slot]) {
			conn = bpf_map_lookup_elem(&connections, &sk);
			if (conn && !conn->closed && conn->pid == tgid && conn->ssl == ssl && conn->fd == fd) {
				if (f_flags) {
					/* outside the CO-RE read: bio_cache is no kernel type */
					file_ptr = (struct file *)c->file[slot];
					bpf_core_read(f_flags, sizeof(*f_flags), &file_ptr->f_flags);
				}
				*fd_out = fd;
				*cache_out = c;
				return sk;
			}
		}
	}
	sk = bio_socket_bio(ssl, library, direction, fd_out, f_flags, &direct, &file);
	if (!sk || !direct)
		return sk;
	if (!c) {
		c = &fresh;
	} else if (c->bio[slot] != direct || c->sk[slot] != sk) {
		c->hs_done = 0; /* another BIO or socket: maybe a new connection of a reused object */
	}
	c->bio[slot] = direct;
	c->sk[slot] = sk;
	c->file[slot] = file;
	c->fd[slot] = *fd_out;
	if (c == &fresh)
		bpf_map_update_elem(&bio_caches, &skey, &fresh, BPF_ANY);
	return sk;
}

static __always_inline void read_tuple(struct sock *sk, struct conn_info *conn)
{
	sock_read_tuple(sk, &conn->family, &conn->sport, &conn->dport, conn->saddr, conn->daddr);
}

static __always_inline void fill_header(struct tls_event *ev, __u32 kind, const struct conn_info *conn,
					__u32 tid)
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

static __always_inline void emit_lifecycle(__u32 kind, const struct conn_info *conn, __u32 tid)
{
	struct tls_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		count_drop(DROP_RECORDS, 1);
		return;
	}
	fill_header(ev, kind, conn, tid);
	bpf_ringbuf_submit(ev, wakeup_flags(sizeof(*ev) + 8));
}

/*
 * An entry whose CLOSE was sent may still be in use: after a reset, or a shutdown of our side,
 * the owner keeps reading what was buffered. Entries go when their socket is destroyed
 * (tcp_destroy_sock); one that outlived it (the hook was not attached yet) is stale once a new
 * socket at the same address is opening or open again, which a closed socket never is.
 */
static __always_inline bool is_stale(const struct conn_info *conn, struct sock *sk)
{
	__u8 state;

	if (!conn->closed)
		return false;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	return state == TCP_ESTABLISHED || state == TCP_SYN_SENT || state == TCP_SYN_RECV;
}

/* The struct layout of this library's SSL objects, or NULL: unknown release, or (3.2+) an SSL
 * object that is not a TLS connection (QUIC) and whose fields are elsewhere. */
static __always_inline struct ssl_offsets *layout_of(__u64 ssl, __u16 library)
{
	__u32 index = library;
	struct ssl_offsets *off = bpf_map_lookup_elem(&ssl_offsets, &index);
	__s32 type = 0;

	if (!off || !off->supported || !ssl)
		return NULL;
	if (off->ssl_type != SSL_NO_TYPE &&
	    (bpf_probe_read_user(&type, sizeof(type), (void *)(ssl + off->ssl_type)) || type != SSL_TYPE_SSL_CONNECTION))
		return NULL;
	return off;
}

/* The negotiated TLS version's low byte (SSL->version 0x0303 -> 3), when this library's layout is known. */
static __always_inline __u8 tls_minor_of(__u64 ssl, __u16 library)
{
	struct ssl_offsets *off = layout_of(ssl, library);
	__s32 version = 0;

	if (!off)
		return 0;
	if (bpf_probe_read_user(&version, sizeof(version), (void *)(ssl + off->ssl_version)))
		return 0;
	return (version >> 8) == 0x03 ? (__u8)version : 0;
}

/* Where the client random lives: struct ssl3_state_st is embedded in struct ssl_st since 3.0 and
 * pointed to by it in 1.1.x. 0 when the pointer cannot be read. */
static __always_inline __u64 client_random_addr(__u64 ssl, const struct ssl_offsets *off)
{
	__u64 s3 = 0;

	if (off->ssl_s3 == SSL_S3_EMBEDDED)
		return ssl + off->ssl_client_random;
	if (bpf_probe_read_user(&s3, sizeof(s3), (void *)(ssl + off->ssl_s3)) || !s3)
		return 0;
	return s3 + off->ssl_client_random;
}

/* HS_RESUMED_KNOWN, plus HS_RESUMED when SSL->hit says the session was resumed. */
static __always_inline __u32 resumption_flags(__u64 ssl, __u16 library)
{
	struct ssl_offsets *off = layout_of(ssl, library);
	__s32 hit = 0;

	if (!off)
		return 0;
	if (bpf_probe_read_user(&hit, sizeof(hit), (void *)(ssl + off->ssl_hit)))
		return 0;
	return HS_RESUMED_KNOWN | (hit ? HS_RESUMED : 0);
}

/*
 * An SSL object first seen without a socket (memory BIO, session older than the probes) has a
 * connection keyed by its SSL*. Once bound, that connection moves to the socket's key with its
 * generation, offsets and flags, so it stays one connection (FLAG_BOUND_LATE keeps its id).
 */
static __always_inline bool adopt_unbound(struct conn_info *fresh, __u64 ssl, __u32 tgid)
{
	struct conn_info *unbound = bpf_map_lookup_elem(&connections, &ssl);

	if (!unbound || unbound->pid != tgid || !(unbound->flags & FLAG_NO_SOCKET))
		return false;
	__builtin_memcpy(fresh, unbound, sizeof(*fresh));
	bpf_map_delete_elem(&connections, &ssl);
	fresh->flags = FLAG_BOUND_LATE;
	return true;
}

/*
 * Finds or creates the connection of an SSL call on socket {@code sock} (NULL: none known); a new
 * one gets an OPEN event. Its fd is looked up then, unless the SSL object's record knows it.
 */
static __always_inline struct conn_info *connection_of(__u64 ssl, struct ssl_sock *sock, __u64 pid_tgid,
						       __u16 library)
{
	struct sock *sk = sock ? (struct sock *)sock->sk : NULL;
	__u64 key = sk ? (__u64)sk : ssl;
	struct conn_info *conn = bpf_map_lookup_elem(&connections, &key);
	struct conn_info fresh = {};
	int fd = -1;

	if (conn) {
		if (!sk || !is_stale(conn, sk))
			return conn;
		bpf_map_delete_elem(&connections, &key);
	}
	if (sk) {
		fd = sock->fd >= 0 ? sock->fd : fd_of_sock(key);
		sock->fd = fd;
	}
	if (sk && adopt_unbound(&fresh, ssl, pid_tgid >> 32)) {
		/* its OPEN went out when it was first seen; the tuple comes with its events from now on */
		fresh.fd = fd;
		read_tuple(sk, &fresh);
		bpf_map_update_elem(&connections, &key, &fresh, BPF_NOEXIST);
		return bpf_map_lookup_elem(&connections, &key);
	}
	fresh.start_ns = bpf_ktime_get_ns();
	fresh.pid = pid_tgid >> 32;
	fresh.uid = (__u32)bpf_get_current_uid_gid();
	fresh.fd = sk ? fd : -1;
	fresh.flags = sk ? 0 : FLAG_NO_SOCKET;
	fresh.library = library;
	fresh.ssl = ssl;
	fresh.tls_minor = tls_minor_of(ssl, library);
	fresh.cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(fresh.comm, sizeof(fresh.comm));
	if (sk) {
		read_tuple(sk, &fresh);
		fresh.accepted = bpf_map_lookup_elem(&accepted_socks, &key) != NULL;
	}
	if (bpf_map_update_elem(&connections, &key, &fresh, BPF_NOEXIST) == 0)
		emit_lifecycle(EVENT_OPEN, &fresh, (__u32)pid_tgid);
	return bpf_map_lookup_elem(&connections, &key);
}

/* ---- chunked payload copy ---- */

struct chunk_ctx {
	struct conn_info *conn;
	__u64 buf;
	__u64 offset;       /* stream position of the call's first byte */
	__u32 call_len;     /* bytes the call moved */
	__u32 capture_len;  /* bytes to copy: min(call_len, MAX_CAPTURE_LEN) */
	__u32 tid;
	__u32 flags;
	__u8 direction;
	__u8 function;
};

/* Reserve / check / fill / submit one record with room for `room` payload bytes (a constant). */
static __always_inline long emit_chunk_sized(struct chunk_ctx *c, __u32 done, __u32 want, const __u32 room)
{
	struct tls_event *ev;
	__u64 len = want;

	/* The caller already bounds len; the barrier keeps clang from dropping this check,
	 * which the verifier needs to prove the copy stays inside the reservation. */
	asm volatile("" : "+r"(len));
	if (len > room)
		len = room;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev) + room, 0);
	if (!ev) {
		count_drop(DROP_RECORDS, 1);
		count_drop(DROP_BYTES, len);
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
		count_drop(DROP_READ_FAULTS, 1);
		ev->flags |= FLAG_READ_FAULT;
		len = 0;
	}
	ev->data_len = len;
	bpf_ringbuf_submit(ev, wakeup_flags(sizeof(*ev) + room + 8));
	return 0;
}

static long emit_chunk(__u32 index, struct chunk_ctx *c)
{
	__u32 done = index * MAX_CHUNK;
	__u32 len;

	if (done >= c->capture_len)
		return 1; /* stop the loop */
	len = c->capture_len - done;
	if (len <= SMALL_CHUNK)
		return emit_chunk_sized(c, done, len, SMALL_CHUNK);
	if (len <= MEDIUM_CHUNK)
		return emit_chunk_sized(c, done, len, MEDIUM_CHUNK);
	return emit_chunk_sized(c, done, len, MAX_CHUNK);
}

/* ---- TLS key material ---- */

/*
 * After a successful read/write the handshake is complete: read the session's secrets from the
 * SSL object (offsets of this library's OpenSSL version) once per session and send them.
 */
static __always_inline void emit_keys(__u64 ssl, struct ssl_key *skey, struct conn_info *conn,
				      __u16 library, __u32 tid)
{
	struct ssl_offsets *off;
	struct tls_event *ev;
	struct tls_keys *keys;
	__u64 random_head = 0, *sent, session = 0, cipher = 0;
	__u64 master_key_length = 0, random_addr;

	/* TLS 1.3 has no renegotiation: once a connection's keys went out, its client random stays */
	if (conn->keys_head && conn->tls_minor == 4)
		return;
	off = layout_of(ssl, library);
	if (!off)
		return;
	random_addr = client_random_addr(ssl, off);
	if (!random_addr || bpf_probe_read_user(&random_head, sizeof(random_head), (void *)random_addr))
		return;
	if (random_head && conn->keys_head == random_head)
		return; /* sent for this connection: no map lookup */
	sent = bpf_map_lookup_elem(&keys_sent, skey);
	if (sent && *sent == random_head) {
		conn->keys_head = random_head;
		return;
	}
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev) + sizeof(*keys), 0);
	if (!ev) {
		count_drop(DROP_RECORDS, 1);
		return;
	}
	fill_header(ev, EVENT_KEYS, conn, tid);
	ev->data_len = sizeof(*keys);
	keys = (struct tls_keys *)(ev + 1);
	__builtin_memset(keys, 0, sizeof(*keys));
	bpf_probe_read_user(&keys->version, sizeof(keys->version), (void *)(ssl + off->ssl_version));
	bpf_probe_read_user(keys->client_random, RANDOM_LEN, (void *)random_addr);
	bpf_probe_read_user(keys->handshake_secret, SECRET_LEN, (void *)(ssl + off->ssl_handshake_secret));
	bpf_probe_read_user(keys->handshake_traffic_hash, SECRET_LEN, (void *)(ssl + off->ssl_handshake_traffic_hash));
	bpf_probe_read_user(keys->client_app_secret, SECRET_LEN, (void *)(ssl + off->ssl_client_app_secret));
	bpf_probe_read_user(keys->server_app_secret, SECRET_LEN, (void *)(ssl + off->ssl_server_app_secret));
	bpf_probe_read_user(keys->exporter_secret, SECRET_LEN, (void *)(ssl + off->ssl_exporter_secret));
	if (!bpf_probe_read_user(&session, sizeof(session), (void *)(ssl + off->ssl_session)) && session) {
		bpf_probe_read_user(&master_key_length, sizeof(master_key_length),
				    (void *)(session + off->session_master_key_length));
		keys->master_key_length = (__u32)master_key_length;
		bpf_probe_read_user(keys->master_key, MASTER_KEY_LEN, (void *)(session + off->session_master_key));
		if (!bpf_probe_read_user(&cipher, sizeof(cipher), (void *)(session + off->session_cipher)) && cipher)
			bpf_probe_read_user(&keys->cipher_id, sizeof(keys->cipher_id), (void *)(cipher + off->cipher_id));
	}
	bpf_ringbuf_submit(ev, wakeup_flags(sizeof(*ev) + sizeof(*keys) + 8));
	bpf_map_update_elem(&keys_sent, skey, &random_head, BPF_ANY);
	conn->keys_head = random_head;
}

/* ---- SSL call tracking ---- */

/* Another SSL object's call on the thread: the next socket write may carry its ciphertext, not
 * the pending object's, so the pending binding is dropped (no tuple beats a wrong one). */
static __always_inline void drop_other_pending(__u64 pid_tgid, __u64 ssl)
{
	struct pending_bind *pending = bpf_map_lookup_elem(&pending_binds, &pid_tgid);

	if (pending && pending->ssl != ssl)
		bpf_map_delete_elem(&pending_binds, &pid_tgid);
}

/* Which returning calls may start a memory-BIO binding (resolve_fd). */
enum bind_mode {
	BIND_NEVER = 0,     /* a read that returned data: it produced nothing to flush, and the
			     * thread's next write (a proxy forwarding the plaintext) is another socket */
	BIND_ALWAYS = 1,    /* a write or a handshake step: its ciphertext is flushed right after */
	BIND_IN_HANDSHAKE = 2, /* a read that returned no data: a handshake step (node drives its
			     * handshake with SSL_read) only while the object never moved data; later
			     * it is the usual trailing WANT_READ, with nothing to flush */
};

/* Whether an unbound SSL object may be bound to sk: 1 yes, 0 not a TCP socket (over IPv4/IPv6),
 * -1 a TCP socket that already carries another TLS session of the process. */
static __always_inline int bindable(struct sock *sk, const struct ssl_key *skey)
{
	struct conn_info *conn;
	__u64 key;
	__u16 family;

	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if ((family != AF_INET && family != AF_INET6) || BPF_CORE_READ(sk, sk_type) != 1 /* SOCK_STREAM */)
		return 0;
	key = (__u64)sk;
	conn = bpf_map_lookup_elem(&connections, &key);
	if (conn && conn->ssl != skey->ssl && conn->pid == skey->tgid && !conn->closed)
		return -1;
	return 1;
}

/* Makes sk the SSL object's socket (its fd still unknown) and returns its record. */
static __always_inline struct ssl_sock *remember_sock(struct ssl_key *skey, __u64 sk, __s32 fd)
{
	struct ssl_sock fresh = { .sk = sk, .fd = fd };

	bpf_map_update_elem(&ssl_socks, skey, &fresh, BPF_ANY);
	return bpf_map_lookup_elem(&ssl_socks, skey);
}

/* A read that returned data on an unbound object: the socket its thread read just before holds
 * the ciphertext (see membio_tgids). */
static __always_inline struct ssl_sock *bind_last_read(struct ssl_key *skey, __u64 pid_tgid)
{
	struct socket_read *last = bpf_map_lookup_elem(&last_socket_reads, &pid_tgid);
	__u64 sk;

	if (!last || bpf_ktime_get_ns() - last->ktime_ns > PENDING_BIND_NS)
		return NULL;
	sk = last->sk;
	if (bindable((struct sock *)sk, skey) != 1)
		return NULL;
	return remember_sock(skey, sk, -1);
}

/*
 * Resolves the socket of a returning call: the one its socket I/O used, else the last one known
 * for the SSL object; none, and the call may have produced ciphertext (enum bind_mode): bind the
 * object to its thread's next socket write (memory BIO); a read that returned data binds to the
 * socket its thread read last. A socket BIO does its socket I/O inside such calls, so it never
 * gets that far. NULL: no socket known (yet).
 */
static __always_inline struct ssl_sock *resolve_sock(__u64 sk, struct ssl_key *skey, __u64 pid_tgid, int mode)
{
	struct ssl_sock *known = bpf_map_lookup_elem(&ssl_socks, skey);
	struct pending_bind pending;
	__u32 one = 1;

	if (sk)
		return known && known->sk == sk ? known : remember_sock(skey, sk, -1);
	/* SSL_read served from OpenSSL's buffer does no socket I/O: use the socket seen last. */
	if (known)
		return known;
	if (!bpf_map_lookup_elem(&membio_tgids, &skey->tgid))
		bpf_map_update_elem(&membio_tgids, &skey->tgid, &one, BPF_ANY);
	if (mode == BIND_NEVER)
		return bind_last_read(skey, pid_tgid);
	/* an unbound object that moved data has a connection keyed by its SSL* */
	if (mode == BIND_IN_HANDSHAKE && bpf_map_lookup_elem(&connections, &skey->ssl))
		return NULL;
	pending.ssl = skey->ssl;
	pending.ktime_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&pending_binds, &pid_tgid, &pending, BPF_ANY);
	return NULL;
}

/* SSL->statem.in_init of a known layout: 1 the handshake is unfinished, 0 finished, -1 unknown
 * layout or unreadable. A finished TLS 1.3 handshake is remembered in the object's bio cache entry
 * (cache, may be NULL), whose next calls then read nothing. */
static __always_inline int in_handshake(__u64 ssl, __u16 library, struct bio_cache *cache)
{
	struct ssl_offsets *off;
	__s32 in_init = 0, version = 0;

	if (cache && cache->hs_done)
		return 0;
	off = layout_of(ssl, library);
	if (!off || bpf_probe_read_user(&in_init, sizeof(in_init), (void *)(ssl + off->ssl_in_init)))
		return -1;
	if (in_init)
		return 1;
	if (cache && !bpf_probe_read_user(&version, sizeof(version), (void *)(ssl + off->ssl_version)) &&
	    version == 0x0304)
		cache->hs_done = 1;
	return 0;
}

/* A read/write entered with the handshake unfinished (SSL->statem.in_init, known layouts only):
 * it will run the handshake, so its start is kept as SSL_do_handshake's would be. */
static __always_inline void note_unfinished_handshake(__u64 ssl, __u64 pid_tgid, __u16 library,
						      struct bio_cache *cache)
{
	struct ssl_key skey = { .ssl = ssl, .tgid = pid_tgid >> 32 };
	__u64 now;

	if (in_handshake(ssl, library, cache) != 1)
		return;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&handshake_starts, &skey, &now, BPF_NOEXIST);
}

/* Makes call the thread's call in progress: its kept entry is rewritten in place (no lock), or
 * created for the thread's first call. */
static __always_inline void store_call(__u64 pid_tgid, const struct active_call *call)
{
	struct active_call *kept = bpf_map_lookup_elem(&active_calls, &pid_tgid);

	if (kept) {
		*kept = *call;
		return;
	}
	bpf_map_update_elem(&active_calls, &pid_tgid, call, BPF_ANY);
}

/* Takes the thread's call in progress (a handshake's only when handshake is set, which a read or
 * write return never takes either): copied out and marked done. False when there is none. */
static __always_inline bool take_call(__u64 pid_tgid, struct active_call *out, bool handshake)
{
	struct active_call *active = bpf_map_lookup_elem(&active_calls, &pid_tgid);

	if (!active || !active->ssl || (active->function == FN_HANDSHAKE) != handshake)
		return false;
	*out = *active;
	active->ssl = 0;
	return true;
}

/* A call's socket: the one its BIO named (bio-fd; nothing to remember per SSL object, the next call
 * reads it again), else resolved as resolve_sock says. */
static __always_inline struct ssl_sock *call_sock(const struct active_call *call, struct ssl_key *skey,
						  __u64 pid_tgid, int mode, struct ssl_sock *scratch)
{
	if (call->fd >= 0) {
		scratch->sk = call->sk;
		scratch->fd = call->fd;
		return scratch;
	}
	return resolve_sock(call->sk, skey, pid_tgid, mode);
}

/* A new SSL read/write/handshake call of the thread, its socket read from the BIO where the
 * library's layout is known. */
static __always_inline void begin_call(struct pt_regs *ctx, __u64 pid_tgid, void *ssl, const void *buf,
				       void *out_len_ptr, __u8 function, __u8 direction)
{
	struct active_call call = {
		.ssl = (__u64)ssl,
		.buf = (__u64)buf,
		.out_len_ptr = (__u64)out_len_ptr,
		.fd = -1,
		.function = function,
		.direction = direction,
		.library = (__u16)bpf_get_attach_cookie(ctx),
	};

	struct bio_cache *cache = NULL;

	/* a handshake reads first: its rbio is the socket BIO (wbio is a buffer in front of it) */
	if (function == FN_HANDSHAKE)
		call.sk = bio_socket(call.ssl, call.library, direction, &call.fd, NULL);
	else
		call.sk = bio_socket_cached(call.ssl, call.library, direction, pid_tgid >> 32, &call.fd, NULL, &cache);
	if (!call.sk)
		/* a bio-fd call does its socket I/O inside the call, where it binds nothing: only others
		 * can carry another object's ciphertext */
		drop_other_pending(pid_tgid, call.ssl);
	else if (function != FN_HANDSHAKE)
		count_drop(COUNT_BIO_SOCKETS, 1);
	store_call(pid_tgid, &call);
	if (function != FN_HANDSHAKE)
		note_unfinished_handshake(call.ssl, pid_tgid, call.library, cache);
}

static __always_inline int enter_call(struct pt_regs *ctx, void *ssl, const void *buf, void *out_len_ptr,
				      __u8 function, __u8 direction)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	count_drop(COUNT_ENTRY_HITS, 1);
	if (!wanted_task(pid_tgid)) {
		count_drop(DROP_FILTERED, 1);
		return 0;
	}
	begin_call(ctx, pid_tgid, ssl, buf, out_len_ptr, function, direction);
	return 0;
}

/* The kept start of the SSL object's unfinished handshake, forgotten as it is taken; 0: none. */
static __always_inline __u64 take_handshake_start(struct ssl_key *skey)
{
	__u64 *start = bpf_map_lookup_elem(&handshake_starts, skey);
	__u64 started;

	if (!start)
		return 0;
	started = *start;
	bpf_map_delete_elem(&handshake_starts, skey);
	return started;
}

/* One HANDSHAKE event per connection (conn->handshake_sent). */
static __always_inline void emit_handshake(struct conn_info *conn, __u64 ssl, __u16 library, __u32 tid,
					   __u64 started, __u32 flags)
{
	struct tls_event *ev;
	struct tls_handshake *hs;

	conn->handshake_sent = 1;
	count_drop(COUNT_HANDSHAKES, 1);
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev) + sizeof(*hs), 0);
	if (!ev) {
		count_drop(DROP_RECORDS, 1);
		return;
	}
	fill_header(ev, EVENT_HANDSHAKE, conn, tid);
	ev->data_len = sizeof(*hs);
	hs = (struct tls_handshake *)(ev + 1);
	hs->duration_ns = started ? ev->ktime_ns - started : 0;
	hs->version = tls_minor_of(ssl, library);
	if (hs->version)
		hs->version |= 0x0300;
	hs->flags = flags | resumption_flags(ssl, library);
	bpf_ringbuf_submit(ev, wakeup_flags(sizeof(*ev) + sizeof(*hs) + 8));
}

/* Data moved on a connection without a handshake event, and a call on this SSL object found its
 * handshake unfinished (handshake_starts): the handshake ran inside SSL_read / SSL_write. A
 * session that was complete before the probes has no start and reports no handshake. */
static __always_inline void emit_implicit_handshake(struct conn_info *conn, struct ssl_key *skey,
						    __u16 library, __u32 tid)
{
	__u64 started = take_handshake_start(skey);

	if (started)
		emit_handshake(conn, skey->ssl, library, tid, started, HS_IMPLICIT);
}

/* A call that moved `moved` bytes: its connection (OPEN when new), a pending implicit handshake,
 * the session's keys once, then its plaintext in chunks. */
static __always_inline void capture_call(const struct active_call *call, struct ssl_sock *sock, struct ssl_key *skey,
					 __u64 moved, __u64 pid_tgid)
{
	struct chunk_ctx c = {};

	c.conn = connection_of(call->ssl, sock, pid_tgid, call->library);
	if (!c.conn)
		return;
	if (!c.conn->handshake_sent)
		emit_implicit_handshake(c.conn, skey, call->library, (__u32)pid_tgid);
	emit_keys(call->ssl, skey, c.conn, call->library, (__u32)pid_tgid);
	c.offset = __sync_fetch_and_add(&c.conn->bytes[call->direction == DIR_READ ? 0 : 1], moved);
	c.buf = call->buf;
	c.call_len = (__u32)moved;
	c.capture_len = c.call_len;
	c.flags = c.conn->flags;
	if (c.capture_len > MAX_CAPTURE_LEN) {
		c.capture_len = MAX_CAPTURE_LEN;
		c.flags |= FLAG_TRUNCATED;
		count_drop(DROP_TRUNCATED, 1);
	}
	c.tid = (__u32)pid_tgid;
	c.direction = call->direction;
	c.function = call->function;
	bpf_loop(MAX_CHUNKS, emit_chunk, &c, 0);
}

static __always_inline int return_call(long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct active_call call;
	struct ssl_key skey = {};
	struct ssl_sock *sock, scratch;
	__u64 moved = 0;

	count_drop(COUNT_RETURN_HITS, 1);
	if (!take_call(pid_tgid, &call, false))
		return 0;
	skey.ssl = call.ssl;
	skey.tgid = pid_tgid >> 32;

	if (call.out_len_ptr) {
		/* SSL_read_ex / SSL_write_ex return 1 on success and the length through the pointer. */
		if (ret != 1 || bpf_probe_read_user(&moved, sizeof(moved), (void *)call.out_len_ptr))
			moved = 0;
	} else if (ret > 0) {
		moved = ret;
	}
	/* also for failed calls: a read returning WANT_READ (node's handshake steps) still produced
	 * ciphertext that the next socket write flushes */
	sock = call_sock(&call, &skey, pid_tgid,
			 call.direction == DIR_WRITE ? BIND_ALWAYS : moved == 0 ? BIND_IN_HANDSHAKE : BIND_NEVER, &scratch);
	/* its ciphertext belonged to this call; look first: a lookup takes no lock, a delete does */
	if (call.direction == DIR_READ && call.fd < 0 && bpf_map_lookup_elem(&last_socket_reads, &pid_tgid))
		bpf_map_delete_elem(&last_socket_reads, &pid_tgid);
	if (moved == 0 || moved > 0xffffffffULL)
		return 0;
	capture_call(&call, sock, &skey, moved, pid_tgid);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_entry, void *ssl, const void *buf, int num)
{
	return enter_call(ctx, ssl, buf, NULL, FN_SSL_WRITE, DIR_WRITE);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_write_return, int ret)
{
	return return_call(ret);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_entry, void *ssl, void *buf, int num)
{
	return enter_call(ctx, ssl, buf, NULL, FN_SSL_READ, DIR_READ);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_read_return, int ret)
{
	return return_call(ret);
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_ex_entry, void *ssl, const void *buf, size_t num, size_t *written)
{
	return enter_call(ctx, ssl, buf, written, FN_SSL_WRITE_EX, DIR_WRITE);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_write_ex_return, int ret)
{
	return return_call(ret);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_ex_entry, void *ssl, void *buf, size_t num, size_t *readbytes)
{
	return enter_call(ctx, ssl, buf, readbytes, FN_SSL_READ_EX, DIR_READ);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_read_ex_return, int ret)
{
	return return_call(ret);
}

/* ---- writes with their return probe only when needed (uprobe sessions, Linux >= 6.13) ----
 * One program serves entry and return; its entry returns 1 to skip the return probe (no return
 * trap). A write is captured at its entry, with the length it asked for, only when that is what it
 * will report: its socket BIO's fd names a blocking socket (a blocking socket BIO writes all or
 * fails: no WANT_WRITE retry, which would continue the same data in a second call), it fits in one
 * TLS record (SSL_MODE_ENABLE_PARTIAL_WRITE returns after a record: a write of at most
 * MAX_ENTRY_WRITE bytes is never partial) and the handshake is finished (a write that runs the
 * handshake may return WANT_* before writing anything). Every other write (non-blocking sockets
 * such as curl's, longer writes, memory BIOs, unknown layouts) keeps its return probe and is
 * captured with its real length. The collector attaches these programs instead of the
 * ssl_write(_ex) entry/return pairs where the kernel and the library allow (bio-fd layout known). */

#define MAX_ENTRY_WRITE 16384
#define O_NONBLOCK 04000

extern bool bpf_session_is_return(void) __ksym __weak;

static __always_inline bool handshake_finished(__u64 ssl, __u16 library, struct bio_cache *cache)
{
	return in_handshake(ssl, library, cache) == 0;
}

/* 1: captured here or filtered out, skip the return probe; 0: run it. */
static __always_inline int write_session_entry(struct pt_regs *ctx, void *ssl, const void *buf, __u64 num,
					       void *out_len_ptr, __u8 function)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ssl_key skey = { .ssl = (__u64)ssl, .tgid = pid_tgid >> 32 };
	struct active_call call = {
		.ssl = (__u64)ssl,
		.buf = (__u64)buf,
		.out_len_ptr = (__u64)out_len_ptr,
		.fd = -1,
		.function = function,
		.direction = DIR_WRITE,
		.library = (__u16)bpf_get_attach_cookie(ctx),
	};
	struct ssl_sock scratch;
	struct bio_cache *cache = NULL;
	__u32 f_flags = O_NONBLOCK;

	count_drop(COUNT_ENTRY_HITS, 1);
	if (!wanted_task(pid_tgid)) {
		count_drop(DROP_FILTERED, 1);
		return 1;
	}
	call.sk = bio_socket_cached(call.ssl, call.library, DIR_WRITE, skey.tgid, &call.fd, &f_flags, &cache);
	if (!call.sk)
		drop_other_pending(pid_tgid, call.ssl);
	if (call.sk) {
		count_drop(COUNT_BIO_SOCKETS, 1);
		if (!(f_flags & O_NONBLOCK) && num > 0 && num <= MAX_ENTRY_WRITE &&
		    handshake_finished(call.ssl, call.library, cache)) {
			count_drop(COUNT_ENTRY_WRITES, 1);
			scratch.sk = call.sk;
			scratch.fd = call.fd;
			capture_call(&call, &scratch, &skey, num, pid_tgid);
			return 1;
		}
	}
	store_call(pid_tgid, &call);
	note_unfinished_handshake(call.ssl, pid_tgid, call.library, cache);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_session, void *ssl, const void *buf, int num)
{
	/* the return value is an int: rax's upper half is not part of it (-1 in eax is often
	 * 0x00000000ffffffff in rax, which as a long would be a 4 GiB write) */
	if (bpf_session_is_return())
		return return_call((int)PT_REGS_RC(ctx));
	return write_session_entry(ctx, ssl, buf, num < 0 ? 0 : (__u64)num, NULL, FN_SSL_WRITE);
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_ex_session, void *ssl, const void *buf, size_t num, size_t *written)
{
	if (bpf_session_is_return())
		return return_call((int)PT_REGS_RC(ctx)); /* an int, as above */
	return write_session_entry(ctx, ssl, buf, num, written, FN_SSL_WRITE_EX);
}

/* ---- handshake: TLS version and duration ----
 * SSL_connect and SSL_accept end in SSL_do_handshake (OpenSSL 3.0 tail-calls it), so one hook
 * covers clients calling any of the three. The call is registered in active_calls like a
 * read/write so the socket hooks learn its socket. Not counted in COUNT_ENTRY/RETURN_HITS: those
 * stay exactly 2 per SSL read/write call. */

SEC("uprobe")
int BPF_KPROBE(ssl_handshake_entry, void *ssl)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ssl_key skey = { .ssl = (__u64)ssl, .tgid = pid_tgid >> 32 };
	__u64 now;

	if (!ssl || !wanted_task(pid_tgid))
		return 0;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&handshake_starts, &skey, &now, BPF_NOEXIST); /* keep the first entry */
	begin_call(ctx, pid_tgid, ssl, NULL, NULL, FN_HANDSHAKE, DIR_READ);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_handshake_return, int ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ssl_key skey = {};
	struct active_call call;
	struct conn_info *conn;
	struct ssl_sock *sock, scratch;
	__u64 started;

	if (!take_call(pid_tgid, &call, true))
		return 0;
	skey.ssl = call.ssl;
	skey.tgid = pid_tgid >> 32;
	sock = call_sock(&call, &skey, pid_tgid, BIND_ALWAYS, &scratch);
	if (ret != 1) {
		/* 0: the handshake failed for good; < 0: WANT_READ/WRITE (or an error): keep the start */
		if (ret == 0)
			bpf_map_delete_elem(&handshake_starts, &skey);
		return 0;
	}
	started = take_handshake_start(&skey);
	if (!started)
		return 0;
	conn = connection_of(call.ssl, sock, pid_tgid, call.library);
	if (!conn || conn->handshake_sent)
		return 0;
	emit_handshake(conn, call.ssl, call.library, (__u32)pid_tgid, started, 0);
	return 0;
}

/* SSL_free: the next SSL object of the process may get the same address. Forget this one's
 * state, so a start left by a handshake that failed (-1 without WANT_*) cannot date the next
 * object's handshake, nor its last fd stand in for the next one's. Entry only, once per SSL. */
SEC("uprobe")
int BPF_KPROBE(ssl_free_entry, void *ssl)
{
	struct ssl_key skey = { .ssl = (__u64)ssl, .tgid = bpf_get_current_pid_tgid() >> 32 };

	bpf_map_delete_elem(&handshake_starts, &skey);
	bpf_map_delete_elem(&ssl_socks, &skey);
	bpf_map_delete_elem(&bio_caches, &skey);
	return 0;
}

/* ---- socket I/O of threads: which socket an active SSL call uses, memory-BIO binding ---- */

/*
 * A socket write right after an unbound SSL call on the same thread: bind the SSL object to it
 * (memory BIO). Only a TCP socket over IPv4/IPv6 that no other SSL object's connection owns; a
 * write to anything else (a unix socket) leaves the binding pending until it expires.
 */
static __always_inline void bind_pending(__u64 pid_tgid, struct sock *sk)
{
	struct pending_bind *pending = bpf_map_lookup_elem(&pending_binds, &pid_tgid);
	struct ssl_key skey = {};
	struct ssl_sock fresh = { .sk = (__u64)sk, .fd = -1 };
	int verdict;

	if (!pending)
		return;
	if (bpf_ktime_get_ns() - pending->ktime_ns > PENDING_BIND_NS) {
		bpf_map_delete_elem(&pending_binds, &pid_tgid);
		return;
	}
	skey.ssl = pending->ssl;
	skey.tgid = pid_tgid >> 32;
	verdict = bindable(sk, &skey);
	if (verdict == 0)
		return; /* a unix socket: keep waiting */
	bpf_map_delete_elem(&pending_binds, &pid_tgid);
	if (verdict == 1)
		bpf_map_update_elem(&ssl_socks, &skey, &fresh, BPF_NOEXIST);
}

/* A socket read of a process with unbound SSL objects, for bind_last_read (checked there). */
static __always_inline void remember_read(__u64 pid_tgid, struct sock *sk)
{
	__u32 tgid = pid_tgid >> 32;
	struct socket_read last = { .sk = (__u64)sk };

	if (!bpf_map_lookup_elem(&membio_tgids, &tgid))
		return;
	last.ktime_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&last_socket_reads, &pid_tgid, &last, BPF_ANY);
}

/* The current thread sent (send) or received on sk. One hash lookup when it is in no SSL call. */
static __always_inline void on_socket_io(struct sock *sk, bool send)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct active_call *call;

	if (!sk)
		return;
	call = bpf_map_lookup_elem(&active_calls, &pid_tgid);
	if (call && call->ssl) {
		if (call->fd < 0) /* not named by its BIO: the last socket it used */
			call->sk = (__u64)sk;
		return;
	}
	if (send)
		bind_pending(pid_tgid, sk);
	else
		remember_read(pid_tgid, sk);
}

/* Every socket send / receive (sock_sendmsg / sock_recvmsg, whatever the syscall), in the context
 * of the thread doing it; not on other system calls. BTF raw tracepoints: no tracefs needed. */
SEC("raw_tp/sock_send_length")
int BPF_PROG(sock_send_length, struct sock *sk, int ret, int flags)
{
	on_socket_io(sk, true);
	return 0;
}

SEC("raw_tp/sock_recv_length")
int BPF_PROG(sock_recv_length, struct sock *sk, int ret, int flags)
{
	on_socket_io(sk, false);
	return 0;
}

/* ---- connection life seen by TCP: server side, end, and destruction ---- */

static __always_inline void end_connection(struct conn_info *conn)
{
	if (conn->closed)
		return;
	emit_lifecycle(EVENT_CLOSE, conn, 0);
	/* kept until the socket is destroyed: data still buffered may be read after a reset or a
	 * shutdown of our side */
	conn->closed = 1;
}

/*
 * SYN_RECV: a socket made by accepting a connection (this side is the server). FIN_WAIT1 (our
 * side closed or shut down writing), LAST_ACK (we closed after the peer did) and CLOSE (reset,
 * or the end): the connection is over, CLOSE is sent once.
 */
SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(inet_sock_set_state, struct sock *sk, int oldstate, int newstate)
{
	__u64 key = (__u64)sk;
	struct conn_info *conn;
	__u32 one = 1;

	if (newstate == TCP_SYN_RECV) {
		bpf_map_update_elem(&accepted_socks, &key, &one, BPF_ANY);
		return 0;
	}
	if (newstate != TCP_FIN_WAIT1 && newstate != TCP_LAST_ACK && newstate != TCP_CLOSE)
		return 0;
	conn = bpf_map_lookup_elem(&connections, &key);
	if (conn)
		end_connection(conn);
	return 0;
}

/* The struct sock is freed: forget it (its address will serve another socket). Lookups first:
 * a lookup takes no bucket lock, a delete does, and most destroyed sockets were never captured. */
SEC("raw_tp/tcp_destroy_sock")
int BPF_PROG(tcp_destroy_sock, struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct conn_info *conn = bpf_map_lookup_elem(&connections, &key);

	if (conn) {
		end_connection(conn);
		bpf_map_delete_elem(&connections, &key);
	}
	if (bpf_map_lookup_elem(&accepted_socks, &key))
		bpf_map_delete_elem(&accepted_socks, &key);
	return 0;
}

/* ---- fallback for kernels without sock_send_length / sock_recv_length (Linux < 6.3) ----
 * Raw syscall tracepoints fire on every system call of every process (a measurable cost to
 * processes that do no TLS); the collector attaches these two only where the socket tracepoints
 * are missing, and says so in /status. */

/* x86-64 syscall numbers OpenSSL's socket BIO (and kTLS) use, and close. */
#define NR_READ 0
#define NR_WRITE 1
#define NR_CLOSE 3
#define NR_ACCEPT 43
#define NR_ACCEPT4 288
#define NR_READV 19
#define NR_WRITEV 20
#define NR_SENDTO 44
#define NR_RECVFROM 45
#define NR_SENDMSG 46
#define NR_RECVMSG 47

static __always_inline bool is_socket_write(long id)
{
	return id == NR_WRITE || id == NR_WRITEV || id == NR_SENDTO || id == NR_SENDMSG;
}

static __always_inline bool is_socket_io(long id)
{
	return id == NR_READ || id == NR_WRITE || id == NR_READV || id == NR_WRITEV ||
	       id == NR_SENDTO || id == NR_RECVFROM || id == NR_SENDMSG || id == NR_RECVMSG;
}

/* The owner closing its fd ends the capture of a connection: send CLOSE (once) and forget it. */
static __always_inline void close_fd(int fd, __u64 pid_tgid)
{
	struct sock *sk = sock_of_fd(fd);
	__u64 key = (__u64)sk;
	struct conn_info *conn;

	if (!sk)
		return;
	conn = bpf_map_lookup_elem(&connections, &key);
	if (!conn || conn->pid != pid_tgid >> 32 || conn->fd != fd)
		return; /* not captured, or another process's copy of a shared socket */
	end_connection(conn);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	int fd;

	if (id == NR_CLOSE) {
		close_fd((int)PT_REGS_PARM1_CORE_SYSCALL(regs), bpf_get_current_pid_tgid());
		return 0;
	}
	if (!is_socket_io(id))
		return 0;
	fd = (int)PT_REGS_PARM1_CORE_SYSCALL(regs);
	on_socket_io(sock_of_fd(fd), is_socket_write(id));
	return 0;
}

/* Marks sockets accept() returned as the server side (kernels whose inet_sock_set_state misses
 * the SYN_RECV of accepted sockets). */
SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct sock *sk;
	__u64 key;
	__u32 one = 1;
	long id;

	if (ret < 0)
		return 0;
	id = BPF_CORE_READ(regs, orig_ax);
	if (id != NR_ACCEPT && id != NR_ACCEPT4)
		return 0;
	sk = sock_of_fd((int)ret);
	if (!sk)
		return 0;
	key = (__u64)sk;
	bpf_map_update_elem(&accepted_socks, &key, &one, BPF_ANY);
	return 0;
}
