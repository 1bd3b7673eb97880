/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sock_tuple.h: the CO-RE walk from a file descriptor of the current process to its struct sock
 * (task -> files -> fdtable -> file -> socket -> sock), the reverse (the fd of a sock), and the
 * 4-tuple of a sock. Shared by tlscapture.bpf.c, gotls.bpf.c and modules.bpf.c; include it after
 * vmlinux.h and the libbpf headers (bpf_helpers, bpf_core_read, bpf_endian).
 */
#ifndef SOCK_TUPLE_H
#define SOCK_TUPLE_H

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

/* Bytes of an address as the records carry it (IPv4 uses the first 4). */
#define SOCK_ADDR_LEN 16

/* The struct sock of the current process's fd, NULL when fd is no socket; f_flags (when not NULL)
 * gets the file's flags (O_NONBLOCK ...), file_out (when not NULL) the struct file. */
static __always_inline struct sock *sock_of_fd_file(int fd, __u32 *f_flags, struct file **file_out)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file = NULL;
	struct socket *socket;

	if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	socket = BPF_CORE_READ(file, private_data);
	/* private_data is a struct socket only for socket files, whose socket points back. */
	if (!socket || BPF_CORE_READ(socket, file) != file)
		return NULL;
	if (f_flags)
		*f_flags = BPF_CORE_READ(file, f_flags);
	if (file_out)
		*file_out = file;
	return BPF_CORE_READ(socket, sk);
}

static __always_inline struct sock *sock_of_fd_flags(int fd, __u32 *f_flags)
{
	return sock_of_fd_file(fd, f_flags, NULL);
}

static __always_inline struct sock *sock_of_fd(int fd)
{
	return sock_of_fd_flags(fd, NULL);
}

/* Highest fd the reverse lookup below examines: a connection whose fd is above it reports -1. */
#define MAX_FD_SCAN 16384

struct fd_scan {
	struct file **fds;
	__u64 sk;
	__u32 max_fds;
	__s32 found;
};

static long scan_fd(__u32 fd, struct fd_scan *scan)
{
	struct file *file = NULL;
	struct socket *socket;

	if (fd >= scan->max_fds)
		return 1;
	if (bpf_probe_read_kernel(&file, sizeof(file), &scan->fds[fd]) || !file)
		return 0;
	socket = BPF_CORE_READ(file, private_data);
	if (socket && BPF_CORE_READ(socket, file) == file && (__u64)BPF_CORE_READ(socket, sk) == scan->sk) {
		scan->found = fd;
		return 1;
	}
	return 0;
}

/*
 * The current process's fd of a socket, -1 when it has none below MAX_FD_SCAN (a bpf_loop over
 * the fd table: look it up once per connection, never per call).
 */
static __always_inline int fd_of_sock(__u64 sk)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct fd_scan scan = { .sk = sk, .found = -1 };

	if (!fdt || !sk)
		return -1;
	scan.fds = BPF_CORE_READ(fdt, fd);
	scan.max_fds = BPF_CORE_READ(fdt, max_fds);
	bpf_loop(MAX_FD_SCAN, scan_fd, &scan, 0);
	return scan.found;
}

/*
 * The 4-tuple of sk: family, local and remote port (host order), local and remote address
 * (network order, SOCK_ADDR_LEN bytes each, 4 used for AF_INET; untouched for other families).
 */
static __always_inline void sock_read_tuple(struct sock *sk, __u16 *family, __u16 *sport, __u16 *dport,
					    __u8 *saddr, __u8 *daddr)
{
	*family = BPF_CORE_READ(sk, __sk_common.skc_family);
	/* inet_sport survives TCP_CLOSE (skc_num is zeroed when the port is released): a reset
	 * socket is often first seen draining after it closed. */
	*sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	if (!*sport)
		*sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	*dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (*family == AF_INET) {
		bpf_core_read(saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(daddr, 4, &sk->__sk_common.skc_daddr);
	} else if (*family == AF_INET6) {
		bpf_core_read(saddr, SOCK_ADDR_LEN, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(daddr, SOCK_ADDR_LEN, &sk->__sk_common.skc_v6_daddr);
	}
}

#endif /* SOCK_TUPLE_H */
