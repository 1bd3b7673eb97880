// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * packets: frames of TLS flows on chosen interfaces, for PCAPNG export with the TLS keys.
 *
 * Two TC classifiers (clsact ingress and egress, direct action, always TC_ACT_OK: they only
 * look) run on the interfaces the collector attaches them to. A TCP frame matches when one of
 * its ports is in `ports` (443 and the server ports of flows the TLS probes saw) or its 4-tuple
 * is in `flows` (filled by the collector from the connections the TLS probes decoded); its first
 * snap-length bytes are copied into the `packets` ring buffer. Nothing else runs on the host: a
 * frame of another interface never enters here, one of another flow costs a header parse.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "packets.h"

#define TC_ACT_OK 0
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_TCP_ 6
#define PACKET_MAX_CPUS 1024

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 32 * 1024 * 1024); /* overridden by the collector before load */
} packets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct packet_iface);
} packet_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u8);
} packet_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct packet_flow);
	__type(value, __u8);
} packet_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PACKET_SETTINGS);
	__type(key, __u32);
	__type(value, __u32);
} packet_settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PACKET_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} packet_counts SEC(".maps");

/* A record being built, one per CPU (a per-CPU array value may not exceed 32 KiB). TC
 * classifiers run with bottom halves disabled, so a CPU's slot is not reentered. */
struct packet_scratch {
	struct packet_event event;
	__u8 data[PACKET_MAX_SNAP];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PACKET_MAX_CPUS);
	__type(key, __u32);
	__type(value, struct packet_scratch);
} packet_scratch SEC(".maps");

static __always_inline void count(__u32 index)
{
	__u64 *counter = bpf_map_lookup_elem(&packet_counts, &index);

	if (counter)
		*counter += 1;
}

static __always_inline __u32 setting(__u32 index, __u32 fallback)
{
	__u32 *value = bpf_map_lookup_elem(&packet_settings, &index);

	return value ? *value : fallback;
}

/* Fills `flow` from the frame's IP and TCP headers; 0 when it is TCP over IPv4/IPv6. */
static __always_inline int parse_flow(struct __sk_buff *skb, __u32 l2_len, struct packet_flow *flow)
{
	__u16 proto = bpf_ntohs(skb->protocol);
	__u32 l4;
	__u8 next;

	if (proto == ETH_P_IP) {
		__u8 vihl;

		if (bpf_skb_load_bytes(skb, l2_len, &vihl, 1) < 0 || (vihl >> 4) != 4)
			return -1;
		if (bpf_skb_load_bytes(skb, l2_len + 9, &next, 1) < 0 || next != IPPROTO_TCP_)
			return -1;
		if (bpf_skb_load_bytes(skb, l2_len + 12, flow->saddr, 4) < 0 ||
		    bpf_skb_load_bytes(skb, l2_len + 16, flow->daddr, 4) < 0)
			return -1;
		flow->family = 4;
		l4 = l2_len + (vihl & 0x0f) * 4;
	} else if (proto == ETH_P_IPV6) {
		if (bpf_skb_load_bytes(skb, l2_len + 6, &next, 1) < 0 || next != IPPROTO_TCP_)
			return -1; /* extension headers before TCP: not matched */
		if (bpf_skb_load_bytes(skb, l2_len + 8, flow->saddr, 16) < 0 ||
		    bpf_skb_load_bytes(skb, l2_len + 24, flow->daddr, 16) < 0)
			return -1;
		flow->family = 6;
		l4 = l2_len + 40;
	} else {
		return -1;
	}
	__be16 ports[2];

	if (bpf_skb_load_bytes(skb, l4, ports, sizeof(ports)) < 0)
		return -1;
	flow->sport = bpf_ntohs(ports[0]);
	flow->dport = bpf_ntohs(ports[1]);
	return 0;
}

static __always_inline int matches(struct packet_flow *flow)
{
	__u32 match = setting(PACKET_SETTING_MATCH, PACKET_MATCH_PORTS | PACKET_MATCH_FLOWS);

	if (match & PACKET_MATCH_PORTS) {
		if (bpf_map_lookup_elem(&packet_ports, &flow->sport) ||
		    bpf_map_lookup_elem(&packet_ports, &flow->dport))
			return 1;
	}
	if ((match & PACKET_MATCH_FLOWS) && bpf_map_lookup_elem(&packet_flows, flow))
		return 1;
	return 0;
}

static __always_inline int capture(struct __sk_buff *skb, __u8 direction)
{
	__u32 ifindex = skb->ifindex;
	struct packet_iface *iface = bpf_map_lookup_elem(&packet_ifaces, &ifindex);
	struct packet_flow flow = {};

	if (!iface)
		return TC_ACT_OK;
	count(PACKET_SEEN);
	if (parse_flow(skb, iface->l2_len, &flow) < 0 || !matches(&flow))
		return TC_ACT_OK;
	count(PACKET_MATCHED);

	__u32 cpu = bpf_get_smp_processor_id();
	struct packet_scratch *scratch = bpf_map_lookup_elem(&packet_scratch, &cpu);

	if (!scratch)
		return TC_ACT_OK;
	__u32 len = skb->len;
	__u32 snap = setting(PACKET_SETTING_SNAP_LEN, PACKET_MAX_SNAP);

	if (len > snap)
		len = snap;
	if (len > PACKET_MAX_SNAP)
		len = PACKET_MAX_SNAP;
	if (len < 1)
		return TC_ACT_OK;
	/* the same value for 1..PACKET_MAX_SNAP, spelled so the verifier sees 1..262144 (the
	 * compiler would otherwise merge the checks above into one it cannot follow) */
	len -= 1;
	asm volatile("%[len] &= 0x3ffff" : [len] "+r"(len));
	len += 1;
	scratch->event.ktime_ns = bpf_ktime_get_ns();
	scratch->event.ifindex = ifindex;
	scratch->event.orig_len = skb->len;
	scratch->event.cap_len = len;
	scratch->event.direction = direction;
	if (bpf_skb_load_bytes(skb, 0, scratch->data, len) < 0) {
		count(PACKET_LOAD_FAILED);
		return TC_ACT_OK;
	}
	if (bpf_ringbuf_output(&packets, scratch, sizeof(struct packet_event) + len, 0) < 0) {
		count(PACKET_DROPPED);
		return TC_ACT_OK;
	}
	count(PACKET_CAPTURED);
	if (len < skb->len)
		count(PACKET_TRUNCATED);
	return TC_ACT_OK;
}

SEC("tc")
int packets_ingress(struct __sk_buff *skb)
{
	return capture(skb, PACKET_INGRESS);
}

SEC("tc")
int packets_egress(struct __sk_buff *skb)
{
	return capture(skb, PACKET_EGRESS);
}
