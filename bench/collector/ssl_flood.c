/*
 * TLS write load generator for bench/collector-max-rate.sh (not part of the build).
 *   ssl_flood CERT KEY THREADS SECONDS RATE [PAYLOAD_BYTES]
 * Each of THREADS client threads opens one TLS connection on loopback to an in-process server
 * and calls SSL_write(PAYLOAD_BYTES) for SECONDS, paced to RATE calls/s in total (0 = as fast as
 * it can). The server side only does the handshake through libssl and then drains the socket with
 * plain recv(): the client's SSL_write calls are the only captured events (one event per call).
 * Prints "calls seconds calls_per_s".
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
static SSL_CTX *client_ctx;
static int listen_fd;
static int threads, payload_bytes;
static double seconds, rate;
static pthread_barrier_t start_barrier;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "ssl_flood: %s\n", what);
  ERR_print_errors_fp(stderr);
  exit(1);
}

/* One accepted connection: TLS handshake, then discard the ciphertext without decrypting it. */
static void *serve(void *arg) {
  int fd = (int)(long)arg;
  SSL *ssl = SSL_new(server_ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) != 1) die("SSL_accept failed");
  char buf[1 << 16];
  while (recv(fd, buf, sizeof buf, 0) > 0) {
  }
  SSL_free(ssl);
  close(fd);
  return NULL;
}

static void *accept_loop(void *unused) {
  (void)unused;
  for (;;) {
    int fd = accept(listen_fd, NULL, NULL);
    if (fd < 0) return NULL;
    pthread_t t;
    pthread_create(&t, NULL, serve, (void *)(long)fd);
    pthread_detach(t);
  }
}

static void *write_loop(void *out) {
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  getsockname(listen_fd, (struct sockaddr *)&addr, &len);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("connect failed");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  SSL *ssl = SSL_new(client_ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) != 1) die("SSL_connect failed");
  char *payload = malloc(payload_bytes);
  memset(payload, 'x', payload_bytes);
  double per_thread = rate / threads;
  long calls = 0;
  pthread_barrier_wait(&start_barrier);
  double start = now(), end = start + seconds;
  for (;;) {
    double t = now();
    if (t >= end) break;
    /* paced: catch up to the schedule in one burst, then sleep ~0.5 ms */
    long due = per_thread > 0 ? (long)((t - start) * per_thread) + 1 : calls + 256;
    while (calls < due) {
      if (SSL_write(ssl, payload, payload_bytes) != payload_bytes) die("SSL_write failed");
      calls++;
    }
    if (per_thread > 0) {
      struct timespec pause = {0, 500000};
      nanosleep(&pause, NULL);
    }
  }
  SSL_shutdown(ssl);
  SSL_free(ssl);
  close(fd);
  free(payload);
  *(long *)out = calls;
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: ssl_flood CERT KEY THREADS SECONDS RATE [PAYLOAD_BYTES]\n");
    return 2;
  }
  threads = atoi(argv[3]);
  seconds = atof(argv[4]);
  rate = atof(argv[5]);
  payload_bytes = argc > 6 ? atoi(argv[6]) : 128;

  server_ctx = SSL_CTX_new(TLS_server_method());
  if (SSL_CTX_use_certificate_file(server_ctx, argv[1], SSL_FILETYPE_PEM) != 1
      || SSL_CTX_use_PrivateKey_file(server_ctx, argv[2], SSL_FILETYPE_PEM) != 1)
    die("cannot load certificate/key");
  client_ctx = SSL_CTX_new(TLS_client_method());

  listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listen_fd, 64) != 0)
    die("cannot listen");
  pthread_t acceptor;
  pthread_create(&acceptor, NULL, accept_loop, NULL);

  pthread_barrier_init(&start_barrier, NULL, threads + 1);
  pthread_t *writers = calloc(threads, sizeof *writers);
  long *calls = calloc(threads, sizeof *calls);
  for (int i = 0; i < threads; i++) pthread_create(&writers[i], NULL, write_loop, &calls[i]);
  pthread_barrier_wait(&start_barrier);
  double start = now();
  long total = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(writers[i], NULL);
    total += calls[i];
  }
  double elapsed = now() - start;
  printf("%ld %.3f %.0f\n", total, elapsed, total / elapsed);
  return 0;
}
