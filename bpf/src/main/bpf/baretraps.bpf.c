// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * baretraps: the floor of the collector's overhead benchmark. An entry and a return probe that
 * only count their hits, attached to the same OpenSSL functions as tlscapture: what remains
 * when every capture step (maps, socket lookup, copying) is taken away is the uprobe and
 * uretprobe trap cost itself. Never loaded by the collector.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

enum bare_counter {
	BARE_ENTRY_HITS = 0,
	BARE_RETURN_HITS = 1,
	BARE_COUNTERS = 2,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BARE_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} bare_counts SEC(".maps");

static __always_inline void count(__u32 index)
{
	__u64 *counter = bpf_map_lookup_elem(&bare_counts, &index);

	if (counter)
		*counter += 1;
}

SEC("uprobe")
int BPF_KPROBE(bare_entry)
{
	count(BARE_ENTRY_HITS);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(bare_return)
{
	count(BARE_RETURN_HITS);
	return 0;
}
