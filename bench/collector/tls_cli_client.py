"""Keep-alive HTTPS requests through a TLS command-line client other than OpenSSL's, for the
modules part of bench/collector-overhead.sh: gnutls-cli (GnuTLS) or tstclnt (NSS). The client
runs as a child with its stdin and stdout on pipes; one GET /small at a time is written to it and
its 64-byte body awaited before the next (a ping-pong, so each request is one send and its reads
in the client), REQUESTS requests over one connection. Prints "req_per_s us_per_req
client_cpu_us_per_req": the client's own CPU (user + system, from its rusage: uprobe traps and BPF
programs run in the probed process), the handshake included.

Usage: tls_cli_client.py PORT REQUESTS gnutls|nss [NSS_DB_DIR]
"""
import os
import resource
import subprocess
import sys
import time

port, requests, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if kind == "gnutls":
    argv = ["gnutls-cli", "--insecure", "-p", port, "127.0.0.1"]
elif kind == "nss":
    argv = ["tstclnt", "-h", "127.0.0.1", "-p", port, "-d", "sql:" + sys.argv[4], "-o"]
else:
    sys.exit("kind must be gnutls or nss")

BODY = b"x" * 64
REQUEST = b"GET /small HTTP/1.1\r\nHost: localhost\r\n\r\n"
before = resource.getrusage(resource.RUSAGE_CHILDREN)
child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
out = child.stdout.fileno()
seen = b""
start = time.perf_counter()
for i in range(requests):
    child.stdin.write(REQUEST)
    child.stdin.flush()
    while BODY not in seen:
        chunk = os.read(out, 65536)
        if not chunk:
            sys.exit("client ended after %d requests" % i)
        seen += chunk
    seen = seen[seen.index(BODY) + len(BODY):]
elapsed = time.perf_counter() - start
child.kill()
child.wait()
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
print("%.0f %.2f %.2f" % (requests / elapsed, elapsed * 1e6 / requests, cpu * 1e6 / requests), flush=True)
