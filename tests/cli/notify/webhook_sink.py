# A real HTTP receiver on loopback for the notify webhook tests (the standard library's
# http.server). usage: webhook_sink.py PORT DIR [STATUS] — each POST body is written to
# DIR/post-NNN.json (with DIR/post-NNN.type holding its Content-Type) and answered with
# STATUS (default 200); DIR/ready appears once it listens. Stops on SIGTERM.
import http.server
import os
import signal
import sys
import threading

port = int(sys.argv[1])
out = sys.argv[2]
status = int(sys.argv[3]) if len(sys.argv) > 3 else 200
count = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        count[0] += 1
        base = os.path.join(out, "post-%03d" % count[0])
        with open(base + ".type", "w") as f:
            f.write(self.headers.get("Content-Type", ""))
        with open(base + ".tmp", "wb") as f:
            f.write(body)
        os.rename(base + ".tmp", base + ".json")
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", port), Handler)
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
with open(os.path.join(out, "ready"), "w") as f:
    f.write("ready\n")
server.serve_forever()
