"""Keep-alive HTTPS client: N GET /small over ONE connection; prints 'requests_per_s us_per_request'."""
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
start = time.perf_counter()
for _ in range(count):
    conn.request("GET", "/small")
    conn.getresponse().read()
elapsed = time.perf_counter() - start
conn.close()
print(f"{count / elapsed:.0f} {elapsed / count * 1e6:.1f}")
