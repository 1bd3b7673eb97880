/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * capture_filter.h: the process filters every capture object applies in the kernel (network
 * namespace, pid, uid, comm, cgroup v2 subtree), their maps and the check. tlscapture.bpf.c,
 * gotls.bpf.c and modules.bpf.c include it; the collector creates the maps with the TLS object
 * and hands their fds to the others before load, so one POST /config filters every module.
 * Include it after vmlinux.h, the libbpf headers and tlscapture.h (enum filter_key,
 * MAX_FILTER_ENTRIES, MAX_CGROUP_LEVELS).
 */
#ifndef CAPTURE_FILTER_H
#define CAPTURE_FILTER_H

/* Which filters are on (enum filter_key), set from user space after load; all 0 = capture
 * everything. FILTER_NETNS holds the namespace's inode number instead of a flag. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FILTER_KEYS);
	__type(key, __u32);
	__type(value, __u64);
} capture_filter SEC(".maps");

/* The filters' sets; values unused. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_FILTER_ENTRIES);
	__type(key, __u32);                 /* tgid */
	__type(value, __u8);
} filter_pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_FILTER_ENTRIES);
	__type(key, __u32);                 /* uid */
	__type(value, __u8);
} filter_uids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_FILTER_ENTRIES);
	__type(key, char[TASK_COMM_LEN]);   /* NUL-padded task name */
	__type(value, __u8);
} filter_comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_FILTER_ENTRIES);
	__type(key, __u64);                 /* cgroup v2 id: a captured subtree's root */
	__type(value, __u8);
} filter_cgroups SEC(".maps");

static __always_inline bool filter_on(__u32 key)
{
	__u64 *value = bpf_map_lookup_elem(&capture_filter, &key);

	return value && *value;
}

/* Whether the current task's cgroup v2, or one of its ancestors, is in filter_cgroups. Level 0 is
 * the root; a level deeper than the task's cgroup has id 0, which ends the walk. */
static __always_inline bool in_filtered_cgroup(void)
{
	__u64 id;

	for (int level = 0; level < MAX_CGROUP_LEVELS; level++) {
		id = bpf_get_current_ancestor_cgroup_id(level);
		if (!id)
			return false;
		if (bpf_map_lookup_elem(&filter_cgroups, &id))
			return true;
	}
	return false;
}

/*
 * Several simulated hosts on one machine differ by network namespace: capture only ours. Then
 * the pid / uid / comm / cgroup filters, each on only when the collector set its flag.
 */
static __always_inline bool wanted_task(__u64 pid_tgid)
{
	__u32 key = FILTER_NETNS;
	__u64 *netns = bpf_map_lookup_elem(&capture_filter, &key);
	struct task_struct *task;
	__u32 id;
	char comm[TASK_COMM_LEN] = {};

	if (netns && *netns) {
		task = (struct task_struct *)bpf_get_current_task();
		if (BPF_CORE_READ(task, nsproxy, net_ns, ns.inum) != *netns)
			return false;
	}
	if (filter_on(FILTER_BY_PID)) {
		id = pid_tgid >> 32;
		if (!bpf_map_lookup_elem(&filter_pids, &id))
			return false;
	}
	if (filter_on(FILTER_BY_UID)) {
		id = (__u32)bpf_get_current_uid_gid();
		if (!bpf_map_lookup_elem(&filter_uids, &id))
			return false;
	}
	if (filter_on(FILTER_BY_COMM)) {
		bpf_get_current_comm(comm, sizeof(comm));
		if (!bpf_map_lookup_elem(&filter_comms, comm))
			return false;
	}
	if (filter_on(FILTER_BY_CGROUP) && !in_filtered_cgroup())
		return false;
	return true;
}

#endif /* CAPTURE_FILTER_H */
