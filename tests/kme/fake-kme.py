# SPDX-License-Identifier: BSD-3-Clause
"""Two QKD Key Management Entities sharing one key store, written from ETSI
GS QKD 014 V1.1.1 (the REST API a QKD network gives its applications), with
the ways public KMEs differ from it, each switchable while running.

    fake-kme.py --ca CA --dir DIR --kme NAME,CERT,KEY,SAE[,SAE...] (twice)
                [--tls12-only] [--ready FILE]

Each --kme is one KME: its certificate and key, and the Secure Application
Entities attached to it (an SAE is known by its client certificate's CN).
Each listens on 127.0.0.1 on a free port, written to DIR/NAME.port (a
restart takes the port written there before), with
mutual TLS (clients need a certificate from CA). The API, under
/api/v1/keys/{SAE_ID}/:

    GET status                       the link to SAE_ID (the caller: master)
    POST enc_keys {"number","size"}  new keys shared with slave SAE_ID
    GET  enc_keys?number=&size=      the same
    POST dec_keys {"key_IDs":[{"key_ID"}]}  the keys master SAE_ID made for us
    GET  dec_keys?key_ID=            the same

Keys are {"keys": [{"key_ID": UUID, "key": base64}]}; errors 400, 401 and
503 with {"message": ..., "details": [...]}. A slave gets each key once.

DIR/modes holds words, read at every request, that make the KMEs behave as
some real ones do:

    repeat-delivery   dec_keys hands a key out again and again
    repeat-enc        enc_keys hands out the key it made last, again
    ignore-size       every key is 256 bits, whatever size was asked
    refill:N          the next N enc_keys calls get 400 "try again later",
                      and status shows stored_key_count 0 meanwhile
    empty-pool        enc_keys gets 503 and status stored_key_count 0
    unknown-401 / unknown-500   an unknown key_ID gets 401 / 500
    html-errors       error bodies are text/html
    extensions        extension members in every answer
    upper-ids / other-ids   key_IDs in upper-case UUID form / "qkd-key-N"
    wrong-id          dec_keys answers with another key_ID than asked
    short-key         keys 16 bytes shorter than asked
    garbage           200 answers that are not JSON
    huge              200 answers of 10 MB
    slow:MS           every answer waits MS milliseconds
    drop              the connection closes without an answer
    starting:S        status is 503 for the first S seconds after start
    status-down       status answers 503 (the KME cannot reach its peer)

DIR/requests.log gets one line per request: KME, method, path, the
Content-Type and body, so tests can check what the bridge sent; and
DIR/keys.log one line per key made, "key_ID HEX", so tests can check that
the bridge passes keys on unchanged (a fake's record: no real KME writes
its keys down).
"""
import argparse
import base64
import json
import os
import secrets
import socket
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

KEY_SIZE, MIN_KEY_SIZE, MAX_KEY_SIZE = 256, 64, 1024
MAX_KEY_COUNT, MAX_KEY_PER_REQUEST = 100000, 128

store = {}  # key_ID -> {"key", "master", "slave", "delivered"}
lock = threading.Lock()
state = {"last": None, "refill_used": 0, "next_id": 1, "refilling": False}
started = time.monotonic()


def options():
    p = argparse.ArgumentParser()
    p.add_argument("--ca", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--kme", action="append", required=True)
    p.add_argument("--tls12-only", action="store_true")
    p.add_argument("--ready")
    return p.parse_args()


OPTS = options()
KMES = {}  # NAME -> list of its SAE IDs
for spec in OPTS.kme:
    name, _cert, _key, *saes = spec.split(",")
    KMES[name] = saes


def modes():
    try:
        with open(os.path.join(OPTS.dir, "modes")) as f:
            words = f.read().split()
    except FileNotFoundError:
        return {}
    out = {}
    for w in words:
        k, _, v = w.partition(":")
        out[k] = v
    return out


def kme_of(sae):
    for name, saes in KMES.items():
        if sae in saes:
            return name
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    kme = None  # set per server

    def setup(self):
        # headers and body go out as two writes: without this, Nagle and
        # the client's delayed ACK hold each answer back 40 ms
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def log_message(self, fmt, *args):
        sys.stderr.write("fake-kme %s: %s\n" % (self.kme, fmt % args))

    def caller(self):
        cert = self.connection.getpeercert()
        for rdn in cert.get("subject", ()):
            for k, v in rdn:
                if k == "commonName":
                    return v
        return None

    def answer(self, status, obj, m):
        if "slow" in m:
            time.sleep(int(m["slow"] or "0") / 1000)
        if "drop" in m:
            self.close_connection = True
            self.connection.close()
            return
        ctype = "application/json"
        if status != 200 and "html-errors" in m:
            body = ("<html><body><h1>%d</h1><p>%s</p></body></html>"
                    % (status, obj.get("message", ""))).encode()
            ctype = "text/html"
        elif status == 200 and "garbage" in m:
            body = b"<keys>not json</keys>"
        elif status == 200 and "huge" in m:
            body = b'{"keys": [], "pad": "' + b"x" * (10 << 20) + b'"}'
        else:
            if "extensions" in m:
                obj = dict(obj)
                obj["vendor_extension"] = {"build": "fake"}
                for k in obj.get("keys", []):
                    k["key_ID_extension"] = {"qber": 0.01}
                    k["key_extension"] = None
            body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, message, m):
        self.answer(status, {"message": message, "details": [{"fake": message}]}, m)

    def record(self, body):
        with lock, open(os.path.join(OPTS.dir, "requests.log"), "a") as f:
            f.write("%s %s %s %s %s\n" % (self.kme, self.command, self.path,
                                          self.headers.get("Content-Type"),
                                          body.decode(errors="replace")))

    def do_GET(self):
        self.handle_api(b"")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.handle_api(self.rfile.read(n))

    def handle_api(self, body):
        m = modes()
        self.record(body)
        me = self.caller()
        if me not in KMES[self.kme]:
            return self.error(401, "SAE %s is not attached to this KME" % me, m)
        url = urlsplit(self.path)
        parts = url.path.split("/")
        if len(parts) != 6 or parts[1:4] != ["api", "v1", "keys"]:
            return self.error(400, "no such path", m)
        other, call = parts[4], parts[5]
        if kme_of(other) is None or kme_of(other) == self.kme:
            return self.error(400, "unknown SAE %s" % other, m)
        query = parse_qs(url.query)
        if self.command == "POST":
            if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
                return self.error(400, "Content-Type must be application/json", m)
            try:
                req = json.loads(body)
            except ValueError:
                return self.error(400, "body is not JSON", m)
            if not isinstance(req, dict):
                return self.error(400, "body is not an object", m)
        elif self.command == "GET":
            req = None
        else:
            return self.error(405, "method", m)
        if call == "status" and self.command == "GET":
            return self.status(me, other, m)
        if call == "enc_keys":
            if req is None:
                req = {k: int(v[0]) for k, v in query.items() if k in ("number", "size")}
            return self.enc_keys(me, other, req, m)
        if call == "dec_keys":
            if req is None:
                req = {"key_IDs": [{"key_ID": v} for v in query.get("key_ID", [])]}
            return self.dec_keys(me, other, req, m)
        return self.error(400, "no such call", m)

    def pool_empty(self, m):
        # empty from the first refusal of a refill until a key is made again
        return "empty-pool" in m or state["refilling"]

    def status(self, me, other, m):
        if "status-down" in m or time.monotonic() - started < float(m.get("starting") or "0"):
            return self.error(503, "KME link to its peer is not up", m)
        self.answer(200, {
            "source_KME_ID": self.kme, "target_KME_ID": kme_of(other),
            "master_SAE_ID": me, "slave_SAE_ID": other,
            "key_size": KEY_SIZE,
            "stored_key_count": 0 if self.pool_empty(m) else 25000,
            "max_key_count": MAX_KEY_COUNT,
            "max_key_per_request": MAX_KEY_PER_REQUEST,
            "max_key_size": MAX_KEY_SIZE, "min_key_size": MIN_KEY_SIZE,
            "max_SAE_ID_count": 0}, m)

    def enc_keys(self, me, other, req, m):
        number, size = req.get("number", 1), req.get("size", KEY_SIZE)
        if type(number) is not int or type(size) is not int:
            return self.error(400, "number and size must be integers", m)
        if not 1 <= number <= MAX_KEY_PER_REQUEST:
            return self.error(400, "number out of range", m)
        if size % 8 or not MIN_KEY_SIZE <= size <= MAX_KEY_SIZE:
            return self.error(400, "size out of range", m)
        if "empty-pool" in m:
            return self.error(503, "no keys stored", m)
        with lock:
            if state["refill_used"] < int(m.get("refill") or "0"):
                state["refill_used"] += 1
                state["refilling"] = True
                return self.error(400, "try again later", m)
            state["refilling"] = False
        if "ignore-size" in m:
            size = 256
        keys = []
        with lock:
            for _ in range(number):
                if "repeat-enc" in m and state["last"] in store:
                    kid = state["last"]
                else:
                    if "other-ids" in m:
                        kid = "qkd-key-%d" % state["next_id"]
                        state["next_id"] += 1
                    else:
                        kid = str(uuid.uuid4())
                        if "upper-ids" in m:
                            kid = kid.upper()
                    nbytes = size // 8 - (16 if "short-key" in m else 0)
                    store[kid] = {"key": secrets.token_bytes(nbytes),
                                  "master": me, "slave": other, "delivered": False}
                    state["last"] = kid
                    with open(os.path.join(OPTS.dir, "keys.log"), "a") as f:
                        f.write("%s %s\n" % (kid, store[kid]["key"].hex()))
                keys.append({"key_ID": kid,
                             "key": base64.b64encode(store[kid]["key"]).decode()})
        self.answer(200, {"keys": keys}, m)

    def dec_keys(self, me, other, req, m):
        ids = req.get("key_IDs")
        if not isinstance(ids, list) or not ids:
            return self.error(400, "key_IDs missing", m)
        keys = []
        with lock:
            for item in ids:
                kid = item.get("key_ID") if isinstance(item, dict) else None
                k = store.get(kid)
                if (k is None or k["master"] != other or k["slave"] != me or
                        (k["delivered"] and "repeat-delivery" not in m)):
                    status = 401 if "unknown-401" in m else 500 if "unknown-500" in m else 400
                    return self.error(status, "key_ID %s not found" % kid, m)
                k["delivered"] = True
                keys.append({"key_ID": str(uuid.uuid4()) if "wrong-id" in m else kid,
                             "key": base64.b64encode(k["key"]).decode()})
        self.answer(200, {"keys": keys}, m)


def serve(name, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(OPTS.ca)
    ctx.verify_mode = ssl.CERT_REQUIRED
    if OPTS.tls12_only:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    handler = type("H" + name, (Handler,), {"kme": name})
    port_file = os.path.join(OPTS.dir, name + ".port")
    try:  # a restart keeps its port, so the KPs' URLs stay valid
        with open(port_file) as f:
            port = int(f.read())
    except (FileNotFoundError, ValueError):
        port = 0
    ThreadingHTTPServer.allow_reuse_address = True
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    httpd.daemon_threads = True
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    with open(port_file, "w") as f:
        f.write("%d\n" % httpd.server_address[1])
    threading.Thread(target=httpd.serve_forever, daemon=True).start()


for spec in OPTS.kme:
    n, c, k, *_ = spec.split(",")
    serve(n, c, k)
if OPTS.ready:
    with open(OPTS.ready, "w") as f:
        f.write("%d\n" % os.getpid())
threading.Event().wait()
