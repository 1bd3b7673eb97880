// fork + execve + waitpid of one program, N times; prints the wall time and this process's plus
// its children's CPU time per exec, in ns ("wall cpu"). Load for bench/collector-exec-attach.sh.
//   exec_loop N PROGRAM
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double cpu_ns(void)
{
	struct rusage self, children;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	return (self.ru_utime.tv_sec + self.ru_stime.tv_sec + children.ru_utime.tv_sec + children.ru_stime.tv_sec) * 1e9
		+ (self.ru_utime.tv_usec + self.ru_stime.tv_usec + children.ru_utime.tv_usec + children.ru_stime.tv_usec) * 1e3;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	char *program = argc > 2 ? argv[2] : "/bin/true";
	char *child_argv[] = {program, NULL};
	char *envp[] = {NULL};
	struct timespec start, end;
	double cpu0 = cpu_ns();

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			execve(program, child_argv, envp);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "exec of %s failed\n", program);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	double wall = (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);
	printf("%.0f %.0f\n", wall / n, (cpu_ns() - cpu0) / n);
	return 0;
}
