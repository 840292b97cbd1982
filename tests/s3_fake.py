# SPDX-License-Identifier: MIT
"""A deliberately faulty S3 stand-in on 127.0.0.1 for tests/test_s3.c: the
failures a real server gives only by accident, on demand. It keeps objects
in memory, answers path-style PUT, GET (with "Range: bytes=N-") and HEAD,
checks Content-MD5 like S3 does, and misbehaves as the mode says:

    s3_fake.py PORT MODE [N]

    flaky N      the first N requests get 503 SlowDown
    reset N      the first N GETs send half the object, then drop the
                 connection
    bad-etag     GET answers with an ETag that is not the body's MD5
    short        GET announces the full length, sends one byte less and
                 closes
    bad-digest   every PUT is refused with 400 BadDigest

It prints "ready" once listening and serves until killed.
"""
import base64
import hashlib
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OBJECTS = {}
STATE = {"requests": 0, "gets": 0}


def error(h, status, code):
    body = f"<Error><Code>{code}</Code><Message>{code} from s3_fake</Message></Error>".encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/xml")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def path_key(self):
        return self.path.split("?", 1)[0]

    def flaky(self):
        STATE["requests"] += 1
        if MODE == "flaky" and STATE["requests"] <= N:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            error(self, 503, "SlowDown")
            return True
        return False

    def do_PUT(self):
        if self.flaky():
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        md5 = hashlib.md5(body).digest()
        sent = self.headers.get("Content-MD5")
        if MODE == "bad-digest" or (sent and base64.b64decode(sent) != md5):
            error(self, 400, "BadDigest")
            return
        OBJECTS[self.path_key()] = body
        self.send_response(200)
        self.send_header("ETag", '"%s"' % md5.hex())
        self.send_header("Content-Length", "0")
        self.end_headers()

    def answer(self, with_body):
        if self.flaky():
            return
        body = OBJECTS.get(self.path_key())
        if body is None:
            error(self, 404, "NoSuchKey")
            return
        etag = hashlib.md5(body if MODE != "bad-etag" else body + b"x").hexdigest()
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
        part = body[start:]
        self.send_response(206 if start else 200)
        self.send_header("ETag", '"%s"' % etag)
        self.send_header("Content-Length", str(len(part)))
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(body) - 1, len(body)))
        self.end_headers()
        if not with_body:
            return
        STATE["gets"] += 1
        if MODE == "reset" and STATE["gets"] <= N and len(part) > 1:
            self.wfile.write(part[: len(part) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if MODE == "short":
            self.wfile.write(part[:-1])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(part)

    def do_GET(self):
        self.answer(True)

    def do_HEAD(self):
        self.answer(False)


if __name__ == "__main__":
    PORT, MODE = int(sys.argv[1]), sys.argv[2]
    N = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print("ready", flush=True)
    server.serve_forever()
