# SPDX-License-Identifier: MIT
"""A deliberately faulty S3 stand-in on 127.0.0.1 for tests/test_s3.c: the
failures a real server gives only by accident, on demand. It keeps objects
in memory, answers path-style PUT, GET (with "Range: bytes=N-") and HEAD,
checks Content-MD5 like S3 does, takes multipart uploads (initiate, parts,
complete, abort, list), and misbehaves as the mode says:

    s3_fake.py PORT MODE [N]

    flaky N      the first N requests get 503 SlowDown
    flaky-parts N  the first attempt at every Nth part of a multipart
                 upload gets 500 InternalError, or the connection dropped
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
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OBJECTS = {}
UPLOADS = {}
STATE = {"requests": 0, "gets": 0, "parts_failed": set()}


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

    def query(self):
        q = self.path.split("?", 1)[1] if "?" in self.path else ""
        return dict((p.split("=", 1) + [""])[:2] for p in q.split("&") if p)

    def send_xml(self, xml):
        body = xml.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        q = self.query()
        if "uploads" in q:
            uid = "u%d" % (len(UPLOADS) + 1)
            UPLOADS[uid] = {"key": self.path_key(), "parts": {}}
            self.send_xml("<InitiateMultipartUploadResult><UploadId>%s</UploadId>"
                          "</InitiateMultipartUploadResult>" % uid)
        elif q.get("uploadId") in UPLOADS:
            up = UPLOADS.pop(q["uploadId"])
            numbers = [int(n) for n in re.findall(rb"<PartNumber>(\d+)</PartNumber>", body)]
            data = b"".join(up["parts"][n] for n in numbers)
            OBJECTS[up["key"]] = data
            digests = b"".join(hashlib.md5(up["parts"][n]).digest() for n in numbers)
            etag = "%s-%d" % (hashlib.md5(digests).hexdigest(), len(numbers))
            self.send_xml("<CompleteMultipartUploadResult><ETag>&quot;%s&quot;</ETag>"
                          "</CompleteMultipartUploadResult>" % etag)
        else:
            error(self, 404, "NoSuchUpload")

    def do_DELETE(self):
        q = self.query()
        if UPLOADS.pop(q.get("uploadId"), None) is None:
            error(self, 404, "NoSuchUpload")
            return
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PUT(self):
        if self.flaky():
            return
        length = int(self.headers.get("Content-Length") or 0)
        q = self.query()
        number = int(q.get("partNumber", 0))
        if MODE == "flaky-parts" and number % N == 0 and number not in STATE["parts_failed"]:
            STATE["parts_failed"].add(number)
            if len(STATE["parts_failed"]) % 2:
                self.rfile.read(length)
                error(self, 500, "InternalError")
            else:
                self.rfile.read(length // 2)
                self.close_connection = True
                self.connection.shutdown(2)
            return
        body = self.rfile.read(length)
        md5 = hashlib.md5(body).digest()
        sent = self.headers.get("Content-MD5")
        if MODE == "bad-digest" or (sent and base64.b64decode(sent) != md5):
            error(self, 400, "BadDigest")
            return
        if number:
            if q.get("uploadId") not in UPLOADS:
                error(self, 404, "NoSuchUpload")
                return
            UPLOADS[q["uploadId"]]["parts"][number] = body
        else:
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
        if "uploads" in self.query():
            self.send_xml("<ListMultipartUploadsResult>%s</ListMultipartUploadsResult>" %
                          "".join("<Upload><UploadId>%s</UploadId></Upload>" % u
                                  for u in UPLOADS))
            return
        self.answer(True)

    def do_HEAD(self):
        self.answer(False)


if __name__ == "__main__":
    PORT, MODE = int(sys.argv[1]), sys.argv[2]
    N = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print("ready", flush=True)
    server.serve_forever()
