/*
 * The host-tax workload: a process that does no TLS. Each iteration makes three system calls that
 * touch no socket: read(2) of 1 byte from /dev/zero, write(2) of 1 byte to /dev/null, getppid(2).
 * Prints "ns_per_syscall cpu_ns_per_syscall" (wall clock and this process's CPU time) for
 * ITERATIONS iterations after a warm-up.
 *   syscall_loop ITERATIONS
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void run(int in, int out, long iterations)
{
	char byte;

	for (long i = 0; i < iterations; i++) {
		if (read(in, &byte, 1) != 1 || write(out, &byte, 1) != 1) {
			perror("syscall_loop");
			exit(1);
		}
		getppid();
	}
}

int main(int argc, char **argv)
{
	long iterations = argc > 1 ? atol(argv[1]) : 1000000;
	int in = open("/dev/zero", O_RDONLY), out = open("/dev/null", O_WRONLY);
	double wall, cpu;

	if (in < 0 || out < 0 || iterations <= 0) {
		fprintf(stderr, "usage: syscall_loop ITERATIONS\n");
		return 2;
	}
	run(in, out, iterations / 10 + 1);
	wall = now_ns(CLOCK_MONOTONIC);
	cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	run(in, out, iterations);
	wall = now_ns(CLOCK_MONOTONIC) - wall;
	cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	printf("%.1f %.1f\n", wall / (3.0 * iterations), cpu / (3.0 * iterations));
	return 0;
}
