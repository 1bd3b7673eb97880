/*
 * Per-call cost probe for bench/collector-call-cost.sh (not part of the build).
 *   ssl_pingpong CERT KEY BATCHES BATCH [PAYLOAD_BYTES]
 * One process, system libssl, one TLS connection on loopback with blocking sockets (socket BIOs
 * from SSL_set_fd): the main thread writes a request (SSL_write_ex), a server thread reads it
 * (SSL_read_ex) and answers (SSL_write_ex), the main thread reads the answer (SSL_read_ex): four
 * SSL calls per request, both ends probed. The process's CPU time (both threads, user + system:
 * uprobe traps and BPF programs run in it) is taken per batch of BATCH requests; on a machine
 * shared with other work a batch only ever gets slower, so the low percentiles of many short
 * batches estimate the uncontended cost. Prints
 *   "p10_us p25_us median_us min_us requests" (CPU microseconds per request).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static SSL_CTX *server_ctx;
static int listen_fd;
static long total_requests;
static int payload;

static void die(const char *what) {
  fprintf(stderr, "ssl_pingpong: %s\n", what);
  ERR_print_errors_fp(stderr);
  exit(1);
}

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void read_all(SSL *ssl, char *buf, size_t len) {
  size_t done = 0, got;
  while (done < len) {
    if (SSL_read_ex(ssl, buf + done, len - done, &got) != 1) die("SSL_read_ex");
    done += got;
  }
}

static void *serve(void *unused) {
  (void)unused;
  int fd = accept(listen_fd, NULL, NULL);
  if (fd < 0) die("accept");
  SSL *ssl = SSL_new(server_ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) != 1) die("SSL_accept");
  char *buf = malloc(payload);
  size_t written;
  for (long i = 0; i < total_requests; i++) {
    read_all(ssl, buf, payload);
    if (SSL_write_ex(ssl, buf, payload, &written) != 1) die("server SSL_write_ex");
  }
  SSL_shutdown(ssl);
  SSL_free(ssl);
  close(fd);
  return NULL;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 5) die("usage: ssl_pingpong CERT KEY BATCHES BATCH [PAYLOAD_BYTES]");
  int batches = atoi(argv[3]), batch = atoi(argv[4]);
  payload = argc > 5 ? atoi(argv[5]) : 64;
  int warmup = 200;
  total_requests = warmup + (long)batches * batch;

  server_ctx = SSL_CTX_new(TLS_server_method());
  if (SSL_CTX_use_certificate_file(server_ctx, argv[1], SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_use_PrivateKey_file(server_ctx, argv[2], SSL_FILETYPE_PEM) != 1)
    die("certificate");
  SSL_CTX *client_ctx = SSL_CTX_new(TLS_client_method());

  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) || listen(listen_fd, 1) ||
      getsockname(listen_fd, (struct sockaddr *)&addr, &len))
    die("listen");
  pthread_t server;
  pthread_create(&server, NULL, serve, NULL);

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr)) die("connect");
  SSL *ssl = SSL_new(client_ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) != 1) die("SSL_connect");

  char *buf = malloc(payload);
  memset(buf, 'q', payload);
  size_t written;
  double *per_request = malloc(sizeof(double) * batches);
  for (long i = 0; i < warmup; i++) {
    if (SSL_write_ex(ssl, buf, payload, &written) != 1) die("SSL_write_ex");
    read_all(ssl, buf, payload);
  }
  for (int b = 0; b < batches; b++) {
    double start = cpu_now();
    for (int i = 0; i < batch; i++) {
      if (SSL_write_ex(ssl, buf, payload, &written) != 1) die("SSL_write_ex");
      read_all(ssl, buf, payload);
    }
    per_request[b] = (cpu_now() - start) / batch;
  }
  pthread_join(server, NULL);
  qsort(per_request, batches, sizeof(double), compare);
  printf("%.3f %.3f %.3f %.3f %ld\n", per_request[batches / 10], per_request[batches / 4], per_request[batches / 2],
         per_request[0], (long)batches * batch);
  return 0;
}
