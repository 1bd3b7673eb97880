"""A TLS client/server pair on loopback, both on the system OpenSSL (Python's ssl module), for
benchmarks: the client sends REQUESTS HTTP/1.1 requests over one keep-alive connection at about
RATE per second (0 = as fast as possible) and prints one line: 'done <requests> <seconds>'.

usage: tls_keepalive_pair.py CERT KEY REQUESTS RATE
"""
import socket
import ssl
import sys
import threading
import time

CERT, KEY, REQUESTS, RATE = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
BODY = b'{"ok":true,"bench":"pipeline-latency"}\n'
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)


def serve(listener, ctx):
    conn, _ = listener.accept()
    with ctx.wrap_socket(conn, server_side=True) as tls:
        buf = b""
        while True:
            data = tls.recv(65536)
            if not data:
                return
            buf += data
            while b"\r\n\r\n" in buf:
                _, buf = buf.split(b"\r\n\r\n", 1)
                tls.sendall(RESPONSE)


def main():
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(CERT, KEY)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    threading.Thread(target=serve, args=(listener, server_ctx), daemon=True).start()

    client_ctx = ssl.create_default_context()
    client_ctx.check_hostname = False
    client_ctx.verify_mode = ssl.CERT_NONE
    start = time.monotonic()
    with client_ctx.wrap_socket(socket.create_connection(("127.0.0.1", port))) as tls:
        for i in range(REQUESTS):
            if RATE > 0:
                delay = start + i / RATE - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            tls.sendall(b"GET /bench/%d HTTP/1.1\r\nHost: bench\r\n\r\n" % i)
            got = b""
            while not got.endswith(BODY):
                chunk = tls.recv(65536)
                if not chunk:
                    raise SystemExit("server closed early")
                got += chunk
    print("done %d %.3f" % (REQUESTS, time.monotonic() - start), flush=True)


main()
