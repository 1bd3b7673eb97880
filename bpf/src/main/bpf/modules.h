/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Records the modules BPF programs (modules.bpf.c: GnuTLS, NSS/NSPR, bash, zsh, MySQL/MariaDB,
 * PostgreSQL) write to their own ring buffer "module_events". Shared with the Java decoder
 * (io.ecapture.kafka.collector.decode.ModuleEventLayout): fixed-width fields, padding spelled out,
 * offsets pinned here and checked again by a Java test against the BTF of the compiled object.
 */
#ifndef __MODULES_H
#define __MODULES_H

#define MOD_COMM_LEN 16
#define MOD_ADDR_LEN 16
#define MOD_TTY_LEN 32

/* Payload buffer of a record (power of 2); a record carries at most MOD_MAX_DATA - 1 bytes, a longer
 * call or line is cut and flagged. */
#define MOD_MAX_DATA 16384

/* Targets (probed files) the collector may register: size of "module_targets" (index = cookie). */
#define MOD_MAX_TARGETS 256

enum module_event_kind {
	MOD_EVENT_SHELL = 1,   /* payload: the line readline/zleread returned */
	MOD_EVENT_QUERY = 2,   /* payload: the query text the server received */
	MOD_EVENT_DATA = 3,    /* payload: TLS plaintext of one GnuTLS/NSS call */
	MOD_EVENT_KEY = 4,     /* payload: struct module_key (one GnuTLS key-log secret) */
};

/* Payload of MOD_EVENT_KEY: what GnuTLS hands its key-log function, and the session's client
 * random; the collector writes "label hex(client_random) hex(secret[0..call_len])". */
#define MOD_KEY_LABEL_LEN 64
#define MOD_KEY_RANDOM_LEN 32
#define MOD_KEY_SECRET_LEN 64

struct module_key {
	char label[MOD_KEY_LABEL_LEN];      /* NUL-terminated */
	__u8 client_random[MOD_KEY_RANDOM_LEN];
	__u8 secret[MOD_KEY_SECRET_LEN];    /* module_event.call_len bytes of it are the secret */
};

_Static_assert(sizeof(struct module_key) == 160, "module_key size");

/* Same numbers as CaptureModule ids on the Java side (ModuleTarget.Kind). */
enum module_id {
	MOD_GNUTLS = 1,
	MOD_NSS = 2,
	MOD_BASH = 3,
	MOD_ZSH = 4,
	MOD_MYSQL = 5,
	MOD_POSTGRES = 6,
};

enum module_flags {
	MOD_FLAG_TRUNCATED = 1,   /* the call or line was longer than MOD_MAX_DATA */
	MOD_FLAG_NO_SOCKET = 2,   /* DATA: no socket behind the fd: tuple unknown */
	MOD_FLAG_READ_FAULT = 4,  /* user memory could not be read */
	MOD_FLAG_HAS_RESULT = 8,  /* QUERY: retval holds the function's return value */
};

/* What the programs need to know about one probed file, written by the collector before attach. */
struct module_target {
	__u32 module;          /* enum module_id */
	__u32 fd_offset;       /* GnuTLS: offset of the transport int in gnutls_session_t
				* (decoded from gnutls_transport_get_int) */
	__u32 secret_offset;   /* NSPR: PRFileDesc.secret; GnuTLS: offset of the client random in
				* gnutls_session_t (decoded from gnutls_session_get_random) */
	__u32 osfd_offset;     /* NSPR: PRFilePrivate's md.osfd (decoded from PR_FileDesc2NativeHandle) */
};

_Static_assert(sizeof(struct module_target) == 16, "module_target size");

/* Header of every record; data_len payload bytes follow it. */
struct module_event {
	__u32 kind;             /* enum module_event_kind */
	__u32 pid;              /* tgid */
	__u32 tid;
	__u32 uid;
	__u64 ktime_ns;         /* bpf_ktime_get_ns when the event was emitted */
	__u64 conn_start_ns;    /* DATA: ktime the socket was first seen (connection generation) */
	__u64 offset;           /* DATA: stream position of payload[0] in this direction */
	__u64 cgroup_id;
	__s64 retval;           /* QUERY with MOD_FLAG_HAS_RESULT: return value; DATA: call return */
	__s32 fd;               /* DATA: the socket fd, -1 unknown */
	__u32 data_len;         /* payload bytes following this header */
	__u32 call_len;         /* bytes the call moved / length of the line or query (before the cut) */
	__u16 family;           /* AF_INET (2) / AF_INET6 (10) / 0 */
	__u16 sport;            /* local port, host order */
	__u16 dport;            /* remote port, host order */
	__u8 direction;         /* DATA: 1 read, 2 write (capture.proto Direction) */
	__u8 module;            /* enum module_id */
	__u16 target;           /* index of the probed file (the uprobe's bpf_cookie) */
	__u8 flags;             /* enum module_flags */
	__u8 command;           /* QUERY (MySQL): the enum_server_command byte */
	__u8 saddr[MOD_ADDR_LEN];
	__u8 daddr[MOD_ADDR_LEN];
	char comm[MOD_COMM_LEN];
	char tty[MOD_TTY_LEN];  /* controlling terminal name (e.g. pts/3), empty when none */
	__u64 duration_ns;      /* QUERY: entry to return when the return is probed, else 0 */
};

_Static_assert(sizeof(struct module_event) == 168, "module_event size");
_Static_assert(__builtin_offsetof(struct module_event, ktime_ns) == 16, "ktime_ns");
_Static_assert(__builtin_offsetof(struct module_event, cgroup_id) == 40, "cgroup_id");
_Static_assert(__builtin_offsetof(struct module_event, retval) == 48, "retval");
_Static_assert(__builtin_offsetof(struct module_event, fd) == 56, "fd");
_Static_assert(__builtin_offsetof(struct module_event, data_len) == 60, "data_len");
_Static_assert(__builtin_offsetof(struct module_event, family) == 68, "family");
_Static_assert(__builtin_offsetof(struct module_event, direction) == 74, "direction");
_Static_assert(__builtin_offsetof(struct module_event, target) == 76, "target");
_Static_assert(__builtin_offsetof(struct module_event, flags) == 78, "flags");
_Static_assert(__builtin_offsetof(struct module_event, command) == 79, "command");
_Static_assert(__builtin_offsetof(struct module_event, saddr) == 80, "saddr");
_Static_assert(__builtin_offsetof(struct module_event, comm) == 112, "comm");
_Static_assert(__builtin_offsetof(struct module_event, tty) == 128, "tty");
_Static_assert(__builtin_offsetof(struct module_event, duration_ns) == 160, "duration_ns");

#endif /* __MODULES_H */
