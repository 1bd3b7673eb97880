// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * modules: capture beyond OpenSSL, one uprobe set per target file, all into the ring buffer
 * "module_events" (its own: the tlscapture object is untouched).
 *
 *  - GnuTLS: gnutls_record_send / gnutls_record_recv entry + return; the fd is the session's
 *    transport int (offset decoded by the collector from gnutls_transport_get_int).
 *  - NSS/NSPR: PR_Write / PR_Read / PR_Send / PR_Recv entry + return, only for descriptors whose
 *    top layer is not the plain NSPR layer (identity PR_NSPR_IO_LAYER = 0; an SSL socket's top
 *    layer is the SSL layer); the fd is the bottom layer's osfd.
 *  - bash: readline return; zsh: zleread return (zle.so): the line, with the controlling tty.
 *  - MySQL/MariaDB: dispatch_command entry (COM_QUERY, COM_STMT_PREPARE, COM_INIT_DB) + return
 *    (result and duration); PostgreSQL: the query string of exec_simple_query or, on stripped
 *    builds, of pg_parse_query (exported, called by exec_simple_query with the same text).
 *
 * Only the probed processes pay: no syscall or socket hook is attached. The tuple comes from the
 * fd through the task's file table (CO-RE).
 *
 * The collector's process filters (netns, pid, uid, comm, cgroup) are tlscapture's maps, reused by
 * fd before load as gotls does: every probe here decides first whether the calling task is wanted
 * (mod_wanted, the same tests as tlscapture's) and counts a skipped call in drop_counts'
 * DROP_FILTERED.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tlscapture.h"
#include "modules.h"
#include "sock_tuple.h"
#include "capture_filter.h"

#define AF_INET 2
#define AF_INET6 10
#define MOD_MAX_CALLS 16384
#define MOD_MAX_CONNS 65536
#define NSPR_MAX_LAYERS 8
/* PRFileDesc (prio.h): methods, secret, lower, higher, dtor, identity */
#define PRFD_LOWER 16
#define PRFD_IDENTITY 40

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024); /* overridden by the collector before load */
} module_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MOD_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct module_target);
} module_targets SEC(".maps");

/* Records lost because the ring buffer was full (index 0), user reads that failed (1). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} module_counts SEC(".maps");

/* ---- maps shared with tlscapture.bpf.c (the collector reuses its fds before load) ---- */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} drop_counts SEC(".maps");

/* A call between its entry and return probes, per thread. */
struct module_call {
	__u64 buf;
	__u64 len;
	__u64 start_ns;
	__s32 fd;
	__u8 direction;
	__u8 command;
	__u16 target;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MOD_MAX_CALLS);
	__type(key, __u64);
	__type(value, struct module_call);
} module_calls SEC(".maps");

/* Per socket (struct sock *): its generation and byte counts per direction. */
struct module_conn {
	__u64 start_ns;
	__u64 bytes[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MOD_MAX_CONNS);
	__type(key, __u64);
	__type(value, struct module_conn);
} module_conns SEC(".maps");

struct module_scratch {
	struct module_event event;
	__u8 data[MOD_MAX_DATA];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct module_scratch);
} module_scratch SEC(".maps");

static __always_inline void mod_count(__u32 index)
{
	__u64 *value = bpf_map_lookup_elem(&module_counts, &index);
	if (value)
		*value += 1;
}

/* The collector's process filters, as tlscapture applies them; a skipped call is counted. */
static __always_inline bool mod_wanted(void)
{
	__u32 index = DROP_FILTERED;
	__u64 *counter;

	if (wanted_task(bpf_get_current_pid_tgid()))
		return true;
	counter = bpf_map_lookup_elem(&drop_counts, &index);
	if (counter)
		*counter += 1;
	return false;
}

static __always_inline struct module_target *target_of(__u16 cookie)
{
	__u32 key = cookie;
	return bpf_map_lookup_elem(&module_targets, &key);
}

/* A fresh scratch record with the header filled from the current task. */
static __always_inline struct module_scratch *begin(__u32 kind, __u16 cookie)
{
	__u32 zero = 0;
	struct module_scratch *s = bpf_map_lookup_elem(&module_scratch, &zero);
	struct module_target *t = target_of(cookie);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tty_struct *tty;

	if (!s)
		return NULL;
	__builtin_memset(&s->event, 0, sizeof(s->event));
	s->event.kind = kind;
	s->event.pid = pid_tgid >> 32;
	s->event.tid = (__u32)pid_tgid;
	s->event.uid = (__u32)bpf_get_current_uid_gid();
	s->event.ktime_ns = bpf_ktime_get_ns();
	s->event.cgroup_id = bpf_get_current_cgroup_id();
	s->event.fd = -1;
	s->event.module = t ? t->module : 0;
	s->event.target = cookie;
	bpf_get_current_comm(s->event.comm, sizeof(s->event.comm));
	tty = BPF_CORE_READ(task, signal, tty);
	if (tty)
		bpf_probe_read_kernel_str(s->event.tty, sizeof(s->event.tty), &tty->name);
	return s;
}

/* At most MOD_CAP payload bytes, in a form the verifier can bound (the barrier keeps the compiler
 * from dropping the mask it thinks redundant). */
#define MOD_CAP (MOD_MAX_DATA - 1)

static __always_inline __u32 bounded(__u64 len)
{
	__u32 n = len > MOD_CAP ? MOD_CAP : (__u32)len;

	asm volatile("" : "+r"(n));
	return n & MOD_CAP;
}

static __always_inline void submit(struct module_scratch *s, __u32 len)
{
	len = bounded(len);
	s->event.data_len = len;
	if (bpf_ringbuf_output(&module_events, s, sizeof(s->event) + len, 0))
		mod_count(0);
}

/* Copies a NUL-terminated user string as the payload. */
static __always_inline void emit_string(__u32 kind, __u16 cookie, const char *str)
{
	struct module_scratch *s;
	long n;

	if (!str)
		return;
	s = begin(kind, cookie);
	if (!s)
		return;
	n = bpf_probe_read_user_str(s->data, MOD_CAP + 1, str);
	if (n <= 0) {
		s->event.flags |= MOD_FLAG_READ_FAULT;
		mod_count(1);
		n = 1;
	}
	/* n counts the NUL: the payload is the text without it */
	n -= 1;
	s->event.call_len = n;
	if (n >= MOD_CAP)
		s->event.flags |= MOD_FLAG_TRUNCATED;
	submit(s, n);
}

/* ---- bash / zsh ---- */

SEC("uretprobe")
int BPF_KRETPROBE(shell_line_return, const char *line)
{
	if (!mod_wanted())
		return 0;
	emit_string(MOD_EVENT_SHELL, (__u16)bpf_get_attach_cookie(ctx), line);
	return 0;
}

/*
 * bash with its exit status: the line readline returned waits here, per thread, for the return of
 * the execute_command that runs it (its value is the command's exit status), or for exit_shell
 * (the `exit` line: its argument is the shell's exit status); a line that runs nothing (empty, a
 * comment) is sent without status when the next line is read.
 */
#define SHELL_MAX_PENDING 256

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SHELL_MAX_PENDING);
	__type(key, __u64);
	__type(value, struct module_scratch);
} shell_pending SEC(".maps");

static __always_inline void send_pending(struct module_scratch *s, long status, bool known)
{
	__u32 len = bounded(s->event.data_len);

	if (known) {
		s->event.retval = status;
		s->event.flags |= MOD_FLAG_HAS_RESULT;
	}
	s->event.duration_ns = bpf_ktime_get_ns() - s->event.ktime_ns;
	if (bpf_ringbuf_output(&module_events, s, sizeof(s->event) + len, 0))
		mod_count(0);
}

SEC("uretprobe")
int BPF_KRETPROBE(bash_line_return, const char *line)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct module_scratch *s = bpf_map_lookup_elem(&shell_pending, &id);
	long n;

	if (s) {
		send_pending(s, 0, false);
		bpf_map_delete_elem(&shell_pending, &id);
	}
	if (!line || !mod_wanted())
		return 0;
	s = begin(MOD_EVENT_SHELL, (__u16)bpf_get_attach_cookie(ctx));
	if (!s)
		return 0;
	n = bpf_probe_read_user_str(s->data, MOD_CAP + 1, line);
	if (n <= 0) {
		s->event.flags |= MOD_FLAG_READ_FAULT;
		n = 1;
	}
	n -= 1;
	s->event.call_len = n;
	if (n >= MOD_CAP)
		s->event.flags |= MOD_FLAG_TRUNCATED;
	s->event.data_len = bounded(n);
	bpf_map_update_elem(&shell_pending, &id, s, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(bash_exec_return, int status)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct module_scratch *s = bpf_map_lookup_elem(&shell_pending, &id);

	if (!s)
		return 0;
	send_pending(s, status, true);
	bpf_map_delete_elem(&shell_pending, &id);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(bash_exit_entry, int status)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct module_scratch *s = bpf_map_lookup_elem(&shell_pending, &id);

	if (!s)
		return 0;
	send_pending(s, status, true);
	bpf_map_delete_elem(&shell_pending, &id);
	return 0;
}

/* ---- PostgreSQL ---- */

SEC("uprobe")
int BPF_KPROBE(pg_query_entry, const char *query)
{
	if (!mod_wanted())
		return 0;
	emit_string(MOD_EVENT_QUERY, (__u16)bpf_get_attach_cookie(ctx), query);
	return 0;
}

/* ---- MySQL / MariaDB: dispatch_command(enum_server_command, THD *, char *packet, uint len, ...) ---- */

#define COM_INIT_DB 2
#define COM_QUERY 3
#define COM_STMT_PREPARE 22

/* The query of a dispatch_command call between entry and return, per thread: its packet buffer is
 * reused for the reply, so the text is copied at entry and sent at return with the result. */
#define MYSQL_MAX_PENDING 256

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MYSQL_MAX_PENDING);
	__type(key, __u64);
	__type(value, struct module_scratch);
} mysql_pending SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(mysql_dispatch_entry, int command, void *thd, const char *packet, unsigned int length)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct module_scratch *s;
	__u32 len;

	if (command != COM_QUERY && command != COM_STMT_PREPARE && command != COM_INIT_DB)
		return 0;
	if (!mod_wanted())
		return 0;
	s = begin(MOD_EVENT_QUERY, (__u16)bpf_get_attach_cookie(ctx));
	if (!s)
		return 0;
	s->event.command = command;
	s->event.call_len = length;
	if (length > MOD_CAP)
		s->event.flags |= MOD_FLAG_TRUNCATED;
	len = bounded(length);
	if (bpf_probe_read_user(s->data, len, packet)) {
		s->event.flags |= MOD_FLAG_READ_FAULT;
		mod_count(1);
		len = 0;
	}
	/* the length may count a trailing NUL */
	if (len > 0 && s->data[(len - 1) & MOD_CAP] == 0)
		len--;
	s->event.data_len = len;
	bpf_map_update_elem(&mysql_pending, &id, s, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(mysql_dispatch_return, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct module_scratch *s = bpf_map_lookup_elem(&mysql_pending, &id);
	__u64 now = bpf_ktime_get_ns();
	__u32 len;

	if (!s)
		return 0;
	s->event.retval = (__u8)ret; /* bool: true on error */
	s->event.flags |= MOD_FLAG_HAS_RESULT;
	s->event.duration_ns = now - s->event.ktime_ns;
	s->event.ktime_ns = now;
	len = bounded(s->event.data_len);
	if (bpf_ringbuf_output(&module_events, s, sizeof(s->event) + len, 0))
		mod_count(0);
	bpf_map_delete_elem(&mysql_pending, &id);
	return 0;
}

/* ---- TLS data: GnuTLS and NSS ---- */

static __always_inline int enter_data(void *ctx, __s32 fd, const void *buf, __u64 len, __u8 direction)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct module_call call = {};

	call.buf = (__u64)buf;
	call.len = len;
	call.fd = fd;
	call.direction = direction;
	call.target = (__u16)bpf_get_attach_cookie(ctx);
	bpf_map_update_elem(&module_calls, &id, &call, BPF_ANY);
	return 0;
}

static __always_inline int return_data(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct module_call *call = bpf_map_lookup_elem(&module_calls, &id);
	struct module_scratch *s;
	struct module_conn *conn, fresh = {};
	struct sock *sk;
	__u64 key, offset = 0, start = 0;
	__u32 len;

	if (!call)
		return 0;
	if (ret <= 0)
		goto out;
	s = begin(MOD_EVENT_DATA, call->target);
	if (!s)
		goto out;
	s->event.fd = call->fd;
	s->event.direction = call->direction;
	s->event.retval = ret;
	s->event.call_len = ret;
	sk = sock_of_fd(call->fd);
	if (sk) {
		key = (__u64)sk;
		conn = bpf_map_lookup_elem(&module_conns, &key);
		if (!conn) {
			fresh.start_ns = s->event.ktime_ns;
			bpf_map_update_elem(&module_conns, &key, &fresh, BPF_NOEXIST);
			conn = bpf_map_lookup_elem(&module_conns, &key);
		}
		if (conn) {
			start = conn->start_ns;
			offset = __sync_fetch_and_add(&conn->bytes[call->direction == 2 ? 1 : 0], ret);
		}
		sock_read_tuple(sk, &s->event.family, &s->event.sport, &s->event.dport, s->event.saddr,
				s->event.daddr);
	} else {
		s->event.flags |= MOD_FLAG_NO_SOCKET;
	}
	s->event.conn_start_ns = start;
	s->event.offset = offset;
	if (ret > MOD_CAP)
		s->event.flags |= MOD_FLAG_TRUNCATED;
	len = bounded(ret);
	if (bpf_probe_read_user(s->data, len, (const void *)call->buf)) {
		s->event.flags |= MOD_FLAG_READ_FAULT;
		mod_count(1);
		len = 0;
	}
	submit(s, len);
out:
	bpf_map_delete_elem(&module_calls, &id);
	return 0;
}

static __always_inline __s32 gnutls_fd(void *ctx, const void *session)
{
	struct module_target *t = target_of((__u16)bpf_get_attach_cookie(ctx));
	__s32 fd = -1;

	if (!t || !session || !t->fd_offset)
		return -1;
	bpf_probe_read_user(&fd, sizeof(fd), (const char *)session + t->fd_offset);
	return fd;
}

SEC("uprobe")
int BPF_KPROBE(gnutls_send_entry, void *session, const void *data, __u64 len)
{
	if (!mod_wanted())
		return 0;
	return enter_data(ctx, gnutls_fd(ctx, session), data, len, 2);
}

SEC("uprobe")
int BPF_KPROBE(gnutls_recv_entry, void *session, void *data, __u64 len)
{
	if (!mod_wanted())
		return 0;
	return enter_data(ctx, gnutls_fd(ctx, session), data, len, 1);
}

SEC("uretprobe")
int BPF_KRETPROBE(data_return, long ret)
{
	return return_data(ret);
}

/*
 * GnuTLS key log: the internal _gnutls_call_keylog_func(session, label, secret, size) runs for
 * every secret GnuTLS derives (TLS 1.2 CLIENT_RANDOM with the master secret, the TLS 1.3 traffic
 * secrets), whether or not the application set a key-log function; the collector finds it by its
 * machine code (not exported). The client random is read from the session.
 */
SEC("uprobe")
int BPF_KPROBE(gnutls_keylog_entry, void *session, const char *label, const __u8 *secret, unsigned int size)
{
	struct module_target *t = target_of((__u16)bpf_get_attach_cookie(ctx));
	struct module_scratch *s;
	struct module_key *key;
	__u32 n = size;

	if (!t || !t->secret_offset || !session || !label || !secret || !mod_wanted())
		return 0;
	s = begin(MOD_EVENT_KEY, (__u16)bpf_get_attach_cookie(ctx));
	if (!s)
		return 0;
	key = (struct module_key *)s->data;
	__builtin_memset(key, 0, sizeof(*key));
	if (n > MOD_KEY_SECRET_LEN) {
		s->event.flags |= MOD_FLAG_TRUNCATED;
		n = MOD_KEY_SECRET_LEN;
	}
	s->event.call_len = n;
	asm volatile("" : "+r"(n)); /* keep the mask below: the verifier needs the bound */
	n &= MOD_KEY_SECRET_LEN * 2 - 1;
	if (bpf_probe_read_user_str(key->label, sizeof(key->label), label) <= 0
	    || bpf_probe_read_user(key->client_random, sizeof(key->client_random),
				   (const char *)session + t->secret_offset)
	    || bpf_probe_read_user(key->secret, n, secret)) {
		mod_count(1);
		return 0;
	}
	submit(s, sizeof(*key));
	return 0;
}

/*
 * The osfd of an NSPR descriptor whose top layer is not the plain NSPR I/O layer (an SSL socket);
 * -2 for a plain descriptor (not captured), -1 when the bottom cannot be read.
 */
static __always_inline __s32 nspr_fd(void *ctx, const void *fd)
{
	struct module_target *t = target_of((__u16)bpf_get_attach_cookie(ctx));
	const void *layer = fd, *lower = NULL, *secret = NULL;
	__s32 identity = 0, osfd = -1;

	if (!t || !fd || !t->osfd_offset)
		return -1;
	if (bpf_probe_read_user(&identity, sizeof(identity), (const char *)fd + PRFD_IDENTITY))
		return -1;
	if (identity == 0)
		return -2;
	for (int i = 0; i < NSPR_MAX_LAYERS; i++) {
		lower = NULL;
		if (bpf_probe_read_user(&lower, sizeof(lower), (const char *)layer + PRFD_LOWER) || !lower)
			break;
		layer = lower;
	}
	if (layer == fd)
		return -1;
	if (bpf_probe_read_user(&secret, sizeof(secret), (const char *)layer + t->secret_offset) || !secret)
		return -1;
	bpf_probe_read_user(&osfd, sizeof(osfd), (const char *)secret + t->osfd_offset);
	return osfd;
}

static __always_inline int enter_nspr(void *ctx, const void *fd, const void *buf, __s32 amount, __u8 direction)
{
	__s32 osfd = nspr_fd(ctx, fd);

	if (osfd == -2 || amount <= 0 || !mod_wanted())
		return 0;
	return enter_data(ctx, osfd, buf, amount, direction);
}

SEC("uprobe")
int BPF_KPROBE(nspr_write_entry, void *fd, const void *buf, int amount)
{
	return enter_nspr(ctx, fd, buf, amount, 2);
}

SEC("uprobe")
int BPF_KPROBE(nspr_read_entry, void *fd, void *buf, int amount)
{
	return enter_nspr(ctx, fd, buf, amount, 1);
}

SEC("uretprobe")
int BPF_KRETPROBE(nspr_return, int ret)
{
	return return_data(ret);
}
