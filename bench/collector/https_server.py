"""Keep-alive HTTPS server on the system libssl (captured by the collector): GET /small -> 64 B;
GET /cpu -> this process's CPU seconds so far (user + system), for CPU-per-request figures."""
import http.server
import ssl
import sys
import time

BODY = b"x" * 64


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body are two writes: with Nagle on, the second waits for a delayed ACK (40 ms)
    disable_nagle_algorithm = True

    def do_GET(self):
        body = str(time.process_time()).encode() if self.path == "/cpu" else BODY
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
server.socket = ctx.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
