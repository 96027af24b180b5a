# SPDX-License-Identifier: BSD-3-Clause
"""A SKIP Key Provider written from the draft's text alone (HTTPS with a
certificate, one site that is both initiator's and responder's KP), with the
stricter behaviours other public KPs show, each chosen by a flag:

    strict-kp.py PORT CERT KEY [--entropy-sizes 128,192,256]
                 [--entropy-max BITS] [--upper-hex] [--extra-members]
                 [--missing-status 422] [--ready FILE]

--entropy-sizes: /entropy only at these minentropy values (else 400);
--entropy-max: /entropy above BITS is 400; --upper-hex: keys, keyIds and
random strings in upper-case hex; --extra-members: unknown members in every
JSON answer; --missing-status: the status for a missing parameter (400 by
default). Errors carry {"message": ...}. --ready: a file written once the
port listens. HTTP/1.1 with keep-alive, so a client may reuse its link.
"""
import argparse
import json
import os
import secrets
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCAL_ID = "Strict"
REMOTES = ["Alice", "Bob"]
keys = {}  # keyId (lower-case hex) -> key bytes


def options():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("cert")
    p.add_argument("key")
    p.add_argument("--entropy-sizes")
    p.add_argument("--entropy-max", type=int)
    p.add_argument("--upper-hex", action="store_true")
    p.add_argument("--extra-members", action="store_true")
    p.add_argument("--missing-status", type=int, default=400)
    p.add_argument("--ready")
    return p.parse_args()


OPTS = options()


def hexof(data):
    text = data.hex()
    return text.upper() if OPTS.upper_hex else text


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("strict-kp: " + (fmt % args) + "\n")

    def answer(self, status, body):
        if OPTS.extra_members:
            body = dict(body, vendor={"build": 7}, served_by=LOCAL_ID)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def refuse(self, status, message):
        self.answer(status, {"message": message})

    def do_GET(self):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = url.path.strip("/").split("/")
        if parts == ["capabilities"]:
            self.answer(200, {"entropy": True, "key": True,
                              "algorithm": "strict test KP",
                              "localSystemID": LOCAL_ID,
                              "remoteSystemID": REMOTES})
        elif parts[0] == "key" and len(parts) <= 2:
            self.key(parts[1] if len(parts) == 2 else None, query)
        elif parts == ["entropy"]:
            self.entropy(query)
        else:
            self.refuse(404, "no such path")

    def key(self, key_id, query):
        if "remoteSystemID" not in query:
            self.refuse(OPTS.missing_status, "remoteSystemID is required")
            return
        if query["remoteSystemID"] not in REMOTES:
            self.refuse(400, "unknown remoteSystemID")
            return
        if key_id is None:  # the initiator's: a fresh key, kept for the peer
            key_id = secrets.token_bytes(16).hex()
            key = secrets.token_bytes(int(query.get("size", "256")) // 8)
            keys[key_id] = key
        else:  # the responder's: delivered once
            key = keys.pop(key_id.lower(), None)
            if key is None:
                self.refuse(400, "key not found")
                return
        self.answer(200, {"keyId": hexof(bytes.fromhex(key_id)),
                          "key": hexof(key)})

    def entropy(self, query):
        bits = int(query.get("minentropy", "256"))
        if OPTS.entropy_sizes and \
                str(bits) not in OPTS.entropy_sizes.split(","):
            self.refuse(400, "minentropy must be one of "
                        + OPTS.entropy_sizes)
            return
        if OPTS.entropy_max and bits > OPTS.entropy_max:
            self.refuse(400, "minentropy above %d" % OPTS.entropy_max)
            return
        self.answer(200, {"randomStr": hexof(secrets.token_bytes(bits // 8)),
                          "minentropy": bits})


def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(OPTS.cert, OPTS.key)
    server = ThreadingHTTPServer(("127.0.0.1", OPTS.port), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    if OPTS.ready:
        with open(OPTS.ready + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(OPTS.ready + ".tmp", OPTS.ready)
    server.serve_forever()


if __name__ == "__main__":
    main()
