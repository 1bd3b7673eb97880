"""Keep-alive HTTPS client: N GET /small over ONE connection.

Prints 'requests_per_s us_per_request client_cpu_us_per_request server_cpu_us_per_request':
wall time, this process's CPU time (user + system: uprobe traps and BPF programs run in the
probed process and count there) and the server's, which GET /cpu reports before and after."""
import http.client
import ssl
import sys
import time

port, count = int(sys.argv[1]), int(sys.argv[2])
ctx = ssl._create_unverified_context()
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
for _ in range(200):  # warm-up: handshake, caches
    conn.request("GET", "/small")
    conn.getresponse().read()


def server_cpu():
    conn.request("GET", "/cpu")
    return float(conn.getresponse().read())


server_before = server_cpu()
cpu_start = time.process_time()
start = time.perf_counter()
for _ in range(count):
    conn.request("GET", "/small")
    conn.getresponse().read()
elapsed = time.perf_counter() - start
cpu = time.process_time() - cpu_start
server = server_cpu() - server_before
conn.close()
print(f"{count / elapsed:.0f} {elapsed / count * 1e6:.1f} {cpu / count * 1e6:.2f} {server / count * 1e6:.2f}")
