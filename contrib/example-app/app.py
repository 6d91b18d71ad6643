"""The example app: answers every request with "Powered by <POWERED_BY>".

It needs nothing but Python's standard library, listens on $PORT (the platform
sets it), and logs one line per request to standard output, which the platform
collects into 'deis logs'.
"""

import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hello(BaseHTTPRequestHandler):
    """Greets every GET with the name of whatever powers it."""

    def do_GET(self):  # noqa: N802 - the name http.server calls
        body = f"Powered by {os.environ.get('POWERED_BY', 'Deis')}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        release = os.environ.get("DEIS_RELEASE", "-")
        print(f"{self.command} {self.path} {args[1] if len(args) > 1 else ''} release={release}", flush=True)


class Server(ThreadingHTTPServer):
    """socketserver's default listen queue of 5 refuses connections under load; take more."""

    request_queue_size = 128
    daemon_threads = True


def main():
    port = int(os.environ.get("PORT", "5000"))
    print(f"listening on port {port}", flush=True)
    Server(("0.0.0.0", port), Hello).serve_forever()


if __name__ == "__main__":
    sys.exit(main())
