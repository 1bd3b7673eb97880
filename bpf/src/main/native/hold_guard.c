// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hold_guard: makes sure no process exec_watch stopped stays stopped when the collector is gone.
 * The native twin of io.ecapture.kafka.collector.probe.HoldGuard (same arguments, same output),
 * about 1 MiB of memory instead of a second JVM; built statically, so it needs nothing on the node.
 *
 *   hold_guard <held_pids map id> <hold timeout ms>
 *
 * It opens the kernel's held_pids map (exec_watch.h: pid -> struct held_process) by id, so the map
 * outlives the collector, prints "ready" and waits for its standard input to end, which happens
 * when the collector closes it or dies in any way (the kernel closes the pipe even after SIGKILL).
 * It then resumes every process still in the map (twice, 100 ms apart, for an exec in flight while
 * the collector's tracepoint went away) and exits. Meanwhile it resumes any process held longer
 * than the hold timeout plus 1 s (a collector that is alive but stuck). SIGTERM/SIGINT/SIGHUP
 * sweep too before it exits. Whoever deletes a pid's entry owns its resume; an entry whose pid
 * now names another process (its /proc start time differs) is dropped without a signal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define GRACE_NS 1000000000ULL
#define SWEEP_MS 250
#define MAX_WALK (4 * 1024)

struct held_process {
	uint64_t start_boottime_ns;
	uint64_t ktime_ns;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long bpf_call(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int map_get_next_key(int fd, const uint32_t *key, uint32_t *next)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	attr.key = (uint64_t)(uintptr_t)key;
	attr.next_key = (uint64_t)(uintptr_t)next;
	return bpf_call(BPF_MAP_GET_NEXT_KEY, &attr) ? -errno : 0;
}

static int map_lookup(int fd, const uint32_t *key, struct held_process *value)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	attr.key = (uint64_t)(uintptr_t)key;
	attr.value = (uint64_t)(uintptr_t)value;
	return bpf_call(BPF_MAP_LOOKUP_ELEM, &attr) ? -errno : 0;
}

static int map_delete(int fd, const uint32_t *key)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	attr.key = (uint64_t)(uintptr_t)key;
	return bpf_call(BPF_MAP_DELETE_ELEM, &attr) ? -errno : 0;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns() */
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Field 22 of /proc/PID/stat (start time in clock ticks since boot), -1 when the process is gone. */
static long long start_ticks(uint32_t pid)
{
	char path[64], buf[1024];
	ssize_t n;
	char *p;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	if (!p)
		return -1;
	/* after ')': " state(3) ppid(4) ... starttime(22)" */
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoll(p + 1, NULL, 10) : -1;
}

/* Deletes pid's entry (the caller then owns the resume) and resumes it if it is still the process
 * that was stopped. 1 when this call resumed it. */
static int claim_and_resume(int fd, const uint32_t *pid, const struct held_process *value, uint64_t ns_per_tick)
{
	long long ticks;

	if (map_delete(fd, pid))
		return 0;
	ticks = start_ticks(*pid);
	if (ticks < 0 || (uint64_t)ticks != value->start_boottime_ns / ns_per_tick)
		return 0;
	return kill((pid_t)*pid, SIGCONT) == 0;
}

/* Resumes every held process stopped at or before due (CLOCK_MONOTONIC ns; UINT64_MAX: all). */
static void sweep(int fd, uint64_t due, uint64_t ns_per_tick, const char *why)
{
	uint32_t key, next;
	const uint32_t *current = NULL;
	struct held_process value;
	int i, rc;

	for (i = 0; i < MAX_WALK; i++) {
		rc = map_get_next_key(fd, current, &next);
		if (rc)
			break; /* -ENOENT: the end */
		key = next;
		current = &key;
		if (map_lookup(fd, &key, &value))
			continue; /* released meanwhile */
		if (value.ktime_ns > due)
			continue;
		if (claim_and_resume(fd, &key, &value, ns_per_tick)) {
			printf("resumed %u%s\n", key, why);
			fflush(stdout);
		}
		current = NULL; /* the deleted key cannot continue the walk: start again (bounded) */
	}
}

static void sweep_all(int fd, uint64_t ns_per_tick)
{
	struct timespec pause = { 0, 100 * 1000 * 1000 };

	sweep(fd, UINT64_MAX, ns_per_tick, "");
	nanosleep(&pause, NULL);
	sweep(fd, UINT64_MAX, ns_per_tick, "");
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	union bpf_attr attr;
	struct pollfd in = { .fd = 0, .events = POLLIN };
	uint64_t backstop_ns, ns_per_tick, now;
	long hz;
	char drain[256];
	ssize_t n;
	int fd, rc;

	if (argc != 3) {
		printf("error: usage: hold_guard <held_pids map id> <hold timeout ms>\n");
		return 2;
	}
	/* the collector may be gone when a line is written: never die of SIGPIPE before resuming */
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	memset(&attr, 0, sizeof(attr));
	attr.map_id = (uint32_t)strtoul(argv[1], NULL, 10);
	fd = (int)bpf_call(BPF_MAP_GET_FD_BY_ID, &attr);
	if (fd < 0) {
		printf("error: bpf_map_get_fd_by_id(%s): errno %d\n", argv[1], errno);
		return 2;
	}
	hz = sysconf(_SC_CLK_TCK);
	ns_per_tick = 1000000000ULL / (uint64_t)(hz > 0 ? hz : 100);
	backstop_ns = (uint64_t)strtoull(argv[2], NULL, 10) * 1000000ULL + GRACE_NS;
	printf("ready\n");
	fflush(stdout);

	while (!stop) {
		rc = poll(&in, 1, SWEEP_MS);
		if (rc > 0) {
			n = read(0, drain, sizeof(drain)); /* the collector writes nothing; EOF ends the wait */
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
				break;
		} else if (rc < 0 && errno != EINTR) {
			break;
		}
		now = monotonic_ns();
		sweep(fd, now > backstop_ns ? now - backstop_ns : 0, ns_per_tick, " (hold timeout)");
	}
	sweep_all(fd, ns_per_tick);
	return 0;
}
