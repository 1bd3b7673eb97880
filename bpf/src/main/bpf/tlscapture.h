/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Records the tlscapture BPF programs write to the ring buffer "events".
 * Shared with the Java decoder (io.ecapture.kafka.collector.EventLayout): fixed-width
 * fields only, padding spelled out, every offset pinned by a _Static_assert here and
 * checked again by a Java test against the BTF of the compiled object.
 */
#ifndef __TLSCAPTURE_H
#define __TLSCAPTURE_H

#define TASK_COMM_LEN 16
#define ADDR_LEN 16

/* One library call is split into records of at most MAX_CHUNK payload bytes. */
#define MAX_CHUNK 16384
/* Calls longer than MAX_CHUNKS * MAX_CHUNK (1 MiB) are cut and flagged truncated. */
#define MAX_CHUNKS 64
#define MAX_CAPTURE_LEN (MAX_CHUNK * MAX_CHUNKS)

/* Smaller reservations for short calls so a 100-byte request does not pin 16 KiB. */
#define SMALL_CHUNK 1024
#define MEDIUM_CHUNK 4096

#define MAX_CONNECTIONS 65536
#define MAX_ACTIVE_CALLS 16384
#define MAX_SSL_SESSIONS 65536

enum event_kind {
	EVENT_DATA = 1,
	EVENT_OPEN = 2,
	EVENT_CLOSE = 3,
	EVENT_KEYS = 4,        /* struct tls_keys follows the header (data_len = its size) */
	EVENT_HANDSHAKE = 5,   /* struct tls_handshake follows the header (data_len = its size) */
};

/* Same numbers as capture.proto Direction. */
enum direction {
	DIR_READ = 1,
	DIR_WRITE = 2,
};

/* Same numbers as capture.proto TlsFunction. */
enum tls_function {
	FN_SSL_READ = 1,
	FN_SSL_WRITE = 2,
	FN_SSL_READ_EX = 3,
	FN_SSL_WRITE_EX = 4,
};

enum event_flags {
	/* The call moved more than MAX_CAPTURE_LEN bytes; only the first MAX_CAPTURE_LEN came. */
	FLAG_TRUNCATED = 1,
	/* No socket was found behind the SSL object: fd and tuple are unknown. */
	FLAG_NO_SOCKET = 2,
	/* Copying the plaintext from user memory failed: payload is missing. */
	FLAG_READ_FAULT = 4,
	/* The connection was first seen without its socket (a memory BIO whose session predates the
	 * probes) and bound later: its id keeps fd -1 so it stays one connection. */
	FLAG_BOUND_LATE = 8,
};

/* Keys of the array "capture_filter" (__u64 values, 0 = no filter), written by the collector. */
enum filter_key {
	FILTER_NETNS = 0,      /* capture only processes in the network namespace with this inode */
	FILTER_BY_PID = 1,        /* non-zero: capture only tgids in the hash "filter_pids" */
	FILTER_BY_UID = 2,        /* non-zero: capture only uids in the hash "filter_uids" */
	FILTER_BY_COMM = 3,       /* non-zero: capture only task names in the hash "filter_comms" */
	FILTER_BY_CGROUP = 4,     /* non-zero: capture only tasks whose cgroup v2 or one of its ancestors
				   * is in the hash "filter_cgroups" (cgroup ids = cgroup2 inode numbers) */
	FILTER_KEYS = 5,
};

#define MAX_FILTER_ENTRIES 1024
/* Cgroup v2 levels the cgroup filter examines (0 = the root): a filter entry deeper than this
 * never matches, so the collector refuses one. */
#define MAX_CGROUP_LEVELS 32

/* Indices of the per-CPU array "drop_counts". */
enum drop_counter {
	DROP_RECORDS = 0,      /* ring buffer full: records lost */
	DROP_BYTES = 1,        /* ring buffer full: payload bytes lost */
	DROP_READ_FAULTS = 2,  /* user memory could not be read */
	DROP_TRUNCATED = 3,    /* calls longer than MAX_CAPTURE_LEN */
	DROP_FILTERED = 4,     /* SSL calls skipped by the process filters */
	COUNT_ENTRY_HITS = 5,  /* entry uprobe hits (every SSL read/write call seen, filtered or not) */
	COUNT_RETURN_HITS = 6, /* return uprobe hits */
	COUNT_HANDSHAKES = 7,  /* successful SSL_do_handshake returns (handshake probes, not in 5/6) */
	COUNT_BIO_SOCKETS = 8, /* SSL read/write calls whose socket came from the SSL object's BIO (bio-fd) */
	COUNT_ENTRY_WRITES = 9, /* writes captured at their entry, their return probe skipped (uprobe session) */
	DROP_COUNTERS = 10,
};

/* Header of every record; DATA records carry data_len payload bytes right after it. */
struct tls_event {
	__u32 kind;             /* enum event_kind */
	__u32 pid;              /* tgid of the process that owns the connection */
	__u32 tid;
	__u32 uid;
	__u64 ktime_ns;         /* bpf_ktime_get_ns at the library call's return */
	__u64 conn_start_ns;    /* ktime the connection was first seen: its generation */
	__u64 offset;           /* DATA: stream position of payload[0] in this direction */
	__u64 bytes_read;       /* CLOSE: total bytes read on the connection */
	__u64 bytes_written;    /* CLOSE: total bytes written on the connection */
	__s32 fd;               /* -1 when unknown */
	__u32 call_len;         /* DATA: bytes the library call moved (whole call) */
	__u32 data_len;         /* DATA: payload bytes following this header */
	__u8 direction;         /* enum direction */
	__u8 function;          /* enum tls_function */
	__u16 family;           /* AF_INET (2) / AF_INET6 (10) / 0 */
	__u16 sport;            /* local port, host order */
	__u16 dport;            /* remote port, host order */
	__u32 flags;            /* enum event_flags */
	__u8 saddr[ADDR_LEN];   /* local address, network order (4 bytes used for AF_INET) */
	__u8 daddr[ADDR_LEN];   /* remote address, network order */
	char comm[TASK_COMM_LEN];
	__u32 chunk_offset;     /* DATA: position of payload[0] within the call */
	__u16 library;          /* index of the probed libssl file (the uprobe's bpf_cookie) */
	__u8 accepted;          /* 1: the socket came from accept(): this process is the server */
	__u8 tls_minor;         /* low byte of the negotiated TLS version (3: TLS 1.2, 4: TLS 1.3), 0 unknown */
	__u64 cgroup_id;        /* cgroup v2 id (the inode of its cgroup2 directory) of the process that
				 * owns the connection, taken in its context when the connection was first
				 * seen; 0 unknown */
};

_Static_assert(sizeof(struct tls_event) == 144, "tls_event size");
_Static_assert(__builtin_offsetof(struct tls_event, ktime_ns) == 16, "ktime_ns");
_Static_assert(__builtin_offsetof(struct tls_event, conn_start_ns) == 24, "conn_start_ns");
_Static_assert(__builtin_offsetof(struct tls_event, offset) == 32, "offset");
_Static_assert(__builtin_offsetof(struct tls_event, fd) == 56, "fd");
_Static_assert(__builtin_offsetof(struct tls_event, data_len) == 64, "data_len");
_Static_assert(__builtin_offsetof(struct tls_event, direction) == 68, "direction");
_Static_assert(__builtin_offsetof(struct tls_event, flags) == 76, "flags");
_Static_assert(__builtin_offsetof(struct tls_event, saddr) == 80, "saddr");
_Static_assert(__builtin_offsetof(struct tls_event, comm) == 112, "comm");
_Static_assert(__builtin_offsetof(struct tls_event, chunk_offset) == 128, "chunk_offset");
_Static_assert(__builtin_offsetof(struct tls_event, library) == 132, "library");
_Static_assert(__builtin_offsetof(struct tls_event, accepted) == 134, "accepted");
_Static_assert(__builtin_offsetof(struct tls_event, tls_minor) == 135, "tls_minor");
_Static_assert(__builtin_offsetof(struct tls_event, cgroup_id) == 136, "cgroup_id");

/* Libraries the collector may probe: size of the "ssl_offsets" array (index = bpf_cookie). */
#define MAX_LIBRARIES 256

/* ssl_offsets.ssl_s3 of releases whose struct ssl3_state_st is embedded in struct ssl_st (3.x). */
#define SSL_S3_EMBEDDED 0xffffffffU
/* ssl_offsets.ssl_type of releases whose SSL objects are all TLS connections (before 3.2). */
#define SSL_NO_TYPE 0xffffffffU
/* struct ssl_st.type of a TLS connection (3.2+: SSL_CONNECTION; QUIC objects differ). */
#define SSL_TYPE_SSL_CONNECTION 0

/*
 * Where one OpenSSL build keeps its secrets: byte offsets into struct ssl_st, ssl_session_st and
 * ssl_cipher_st, written by the collector per library (from its table of known versions).
 * supported = 0: unknown version, no key capture for that library.
 */
struct ssl_offsets {
	__u32 supported;
	__u32 ssl_version;                /* int version */
	__u32 ssl_session;                /* SSL_SESSION *session */
	__u32 ssl_client_random;          /* s3.client_random[32]: from struct ssl_st (3.x) or from the
					   * struct ssl3_state_st that ssl_s3 points to (1.1.x) */
	__u32 ssl_handshake_secret;       /* handshake_secret[EVP_MAX_MD_SIZE] */
	__u32 ssl_handshake_traffic_hash; /* handshake_traffic_hash[EVP_MAX_MD_SIZE] */
	__u32 ssl_client_app_secret;      /* client_app_traffic_secret[EVP_MAX_MD_SIZE] */
	__u32 ssl_server_app_secret;      /* server_app_traffic_secret[EVP_MAX_MD_SIZE] */
	__u32 ssl_exporter_secret;        /* exporter_master_secret[EVP_MAX_MD_SIZE] */
	__u32 session_master_key_length;  /* size_t master_key_length */
	__u32 session_master_key;         /* master_key[TLS13_MAX_RESUMPTION_PSK_LENGTH] (first 48 used) */
	__u32 session_cipher;             /* const SSL_CIPHER *cipher */
	__u32 cipher_id;                  /* uint32_t id */
	__u32 ssl_s3;                     /* struct ssl3_state_st *s3 (1.1.x), or SSL_S3_EMBEDDED */
	__u32 ssl_hit;                    /* int hit: the session was resumed */
	__u32 ssl_in_init;                /* statem.in_init: the handshake is not finished */
	__u32 ssl_type;                   /* int type (3.2+): the other offsets hold only for
					   * SSL_TYPE_SSL_CONNECTION; SSL_NO_TYPE before 3.2 */
};

_Static_assert(sizeof(struct ssl_offsets) == 68, "ssl_offsets size");

/*
 * Where one library keeps the fd of an SSL object's socket BIO (bio-fd socket discovery), written by
 * the collector per library (index = bpf_cookie) from the machine code of its accessors
 * (SSL_get_rbio, SSL_get_wbio, BIO_method_type, BIO_next, BIO_test_flags / BIO_get_data).
 * supported = 0: the library's layout was not learned; its calls find their socket through the
 * socket tracepoints.
 */
struct bio_layout {
	__u32 supported;
	__u32 ssl_rbio;       /* BIO *rbio in the SSL object */
	__u32 ssl_wbio;       /* BIO *wbio (a buffering BIO in front of the socket BIO during handshakes) */
	__u32 bio_method;     /* const BIO_METHOD *method in struct bio_st */
	__u32 method_type;    /* int type in BIO_METHOD */
	__u32 bio_num;        /* int num in struct bio_st: the fd of a descriptor BIO */
	__u32 bio_next;       /* struct bio_st *next_bio */
	__u32 ssl_type;       /* int type of the SSL object (3.2+: 0 = TLS connection), or SSL_NO_TYPE */
};

_Static_assert(sizeof(struct bio_layout) == 32, "bio_layout size");

/* BIO_METHOD type bits and values (OpenSSL and BoringSSL agree): a descriptor BIO's num is an fd. */
#define BIO_TYPE_DESCRIPTOR 0x0100
#define BIO_TYPE_BUFFER 0x0209

#define SECRET_LEN 64
#define RANDOM_LEN 32
#define MASTER_KEY_LEN 48

/* Key material of one TLS session, read at the first successful SSL read/write on it. */
struct tls_keys {
	__u32 version;                    /* 0x0303 TLS 1.2, 0x0304 TLS 1.3 */
	__u32 cipher_id;                  /* e.g. 0x03001301 TLS_AES_128_GCM_SHA256 */
	__u32 master_key_length;
	__u32 pad;
	__u8 client_random[RANDOM_LEN];
	__u8 master_key[MASTER_KEY_LEN];
	__u8 handshake_secret[SECRET_LEN];
	__u8 handshake_traffic_hash[SECRET_LEN];
	__u8 client_app_secret[SECRET_LEN];
	__u8 server_app_secret[SECRET_LEN];
	__u8 exporter_secret[SECRET_LEN];
};

_Static_assert(sizeof(struct tls_keys) == 416, "tls_keys size");
_Static_assert(__builtin_offsetof(struct tls_keys, client_random) == 16, "client_random");
_Static_assert(__builtin_offsetof(struct tls_keys, master_key) == 48, "master_key");
_Static_assert(__builtin_offsetof(struct tls_keys, handshake_secret) == 96, "handshake_secret");
_Static_assert(__builtin_offsetof(struct tls_keys, exporter_secret) == 352, "exporter_secret");

enum handshake_flags {
	HS_RESUMED = 1,        /* an abbreviated handshake resuming an earlier session */
	HS_RESUMED_KNOWN = 2,  /* HS_RESUMED is meaningful (the library's layout is known) */
	HS_IMPLICIT = 4,       /* no SSL_do_handshake call: the handshake ran inside SSL_read/SSL_write
				* (servers that only call SSL_set_accept_state, node); reported with the
				* first call that moved data, timed from the first call that found the
				* handshake unfinished */
};

/* A completed handshake: from the first SSL_do_handshake entry on the SSL object (non-blocking
 * clients call it several times) to the return that reported success. */
struct tls_handshake {
	__u64 duration_ns;
	__u32 version;                    /* 0x0303 TLS 1.2, 0x0304 TLS 1.3, 0 unknown layout */
	__u32 flags;                      /* enum handshake_flags */
};

_Static_assert(sizeof(struct tls_handshake) == 16, "tls_handshake size");

#endif /* __TLSCAPTURE_H */
