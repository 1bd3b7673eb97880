/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * packets: the structs packets.bpf.c shares with the collector (read through FFM). Fixed-width
 * types only, padding written out, sizes asserted here and by a Java test against the BTF.
 */
#ifndef PACKETS_H
#define PACKETS_H

/* Largest frame prefix copied. GSO super-packets are seen before segmentation: on loopback
 * with BIG TCP (IPv4 total length 0) they reach 128 KiB on Linux 6.18; longer ones are cut. */
#define PACKET_MAX_SNAP 262144
#define PACKET_ADDR_LEN 16

enum packet_direction {
	PACKET_INGRESS = 1,
	PACKET_EGRESS = 2,
};

/* Ring-buffer record: this header, then cap_len bytes of the frame from its link-layer header. */
struct packet_event {
	__u64 ktime_ns;      /* bpf_ktime_get_ns (CLOCK_MONOTONIC) */
	__u32 ifindex;
	__u32 orig_len;      /* skb->len: the whole frame */
	__u32 cap_len;       /* bytes that follow: min(orig_len, snap length) */
	__u8 direction;      /* enum packet_direction */
	__u8 pad[3];
};
_Static_assert(sizeof(struct packet_event) == 24, "packet_event is 24 bytes");

/* A TCP 4-tuple as a packet carries it: source then destination; ports in host order.
 * IPv4 addresses take the first 4 bytes, the rest are zero. */
struct packet_flow {
	__u8 saddr[PACKET_ADDR_LEN];
	__u8 daddr[PACKET_ADDR_LEN];
	__u16 sport;
	__u16 dport;
	__u32 family;        /* 4 or 6 */
};
_Static_assert(sizeof(struct packet_flow) == 40, "packet_flow is 40 bytes");

/* Per interface the program runs on (key: ifindex). */
struct packet_iface {
	__u32 l2_len;        /* bytes before the IP header: 14 (Ethernet, loopback), 0 (raw IP) */
	__u32 pad;
};
_Static_assert(sizeof(struct packet_iface) == 8, "packet_iface is 8 bytes");

/* Indexes of the settings array. */
enum packet_setting {
	PACKET_SETTING_SNAP_LEN = 0,
	PACKET_SETTING_MATCH = 1,    /* bit 0: by port list, bit 1: by flows the TLS probes saw */
	PACKET_SETTINGS = 2,
};

#define PACKET_MATCH_PORTS 1
#define PACKET_MATCH_FLOWS 2

/* Indexes of the per-CPU counters. */
enum packet_counter {
	PACKET_SEEN = 0,         /* frames on attached hooks */
	PACKET_MATCHED = 1,      /* frames of a TLS flow (port or flow match) */
	PACKET_CAPTURED = 2,     /* written to the ring buffer */
	PACKET_DROPPED = 3,      /* ring buffer full: lost */
	PACKET_TRUNCATED = 4,    /* captured shorter than the frame (snap length) */
	PACKET_LOAD_FAILED = 5,  /* bpf_skb_load_bytes failed: lost */
	PACKET_COUNTERS = 6,
};

#endif
