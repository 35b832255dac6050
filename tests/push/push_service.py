#!/usr/bin/env python3
"""A Web Push service for the tests, on 127.0.0.1 and a free port.

Usage: push_service.py DIR [PORT]. Prints "port N" once listening.

It plays both the browser and the push service, independently of the
server under test: it makes each device's keys (P-256 key pair and auth
secret, with `cryptography`), and for each push it receives it checks the
VAPID JWT (RFC 8292: ES256 signature by the `k` of the header, `aud`, `exp`,
`sub`) and decrypts the body with the reference implementation of RFC 8188
/ RFC 8291 (`http_ece`, aes128gcm). Each push is written to DIR/<n>.json:
the device, the request's headers, the JWT's header and claims, whether
the signature verified, and the decrypted JSON payload (or the error).

  GET  /new/<name>   a new device: {"endpoint", "keys": {"p256dh", "auth"}}
                     (PushSubscription.toJSON()'s shape)
  POST /push/<name>  a push; answers 201, or for names starting with
                     "gone" 410, "fail" 500 the first time then 201
"""
import base64
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

OUT = sys.argv[1]
devices = {}
failed_once = set()
lock = threading.Lock()
count = 0


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def check_vapid(authorization, origin):
    """The JWT's parts and whether it is a valid VAPID token for `origin`."""
    out = {"valid": False}
    if not authorization.startswith("vapid "):
        out["error"] = "not the vapid scheme"
        return out
    params = dict(p.strip().split("=", 1) for p in authorization[6:].split(","))
    token, key = params.get("t", ""), params.get("k", "")
    out["k"] = key
    head, claims, sig = token.split(".")
    out["header"] = json.loads(b64d(head))
    out["claims"] = json.loads(b64d(claims))
    raw = b64d(sig)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(key))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, (head + "." + claims).encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        out["error"] = "bad signature"
        return out
    c, now = out["claims"], time.time()
    problems = []
    if out["header"].get("alg") != "ES256" or len(raw) != 64:
        problems.append("alg")
    if c.get("aud") != origin:
        problems.append("aud %r != %r" % (c.get("aud"), origin))
    if not (now < c.get("exp", 0) <= now + 24 * 3600):
        problems.append("exp")
    if not str(c.get("sub", "")).startswith(("mailto:", "https://", "http://")):
        problems.append("sub")
    out["valid"] = not problems
    if problems:
        out["error"] = ", ".join(problems)
    return out


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if not self.path.startswith("/new/"):
            return self.answer(404)
        name = self.path[len("/new/"):]
        private = ec.generate_private_key(ec.SECP256R1())
        public = private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        auth = os.urandom(16)
        with lock:
            devices[name] = (private, auth)
        port = self.server.server_address[1]
        sub = {
            "endpoint": "http://127.0.0.1:%d/push/%s" % (port, name),
            "expirationTime": None,
            "keys": {"p256dh": b64e(public), "auth": b64e(auth)},
        }
        self.answer(200, json.dumps(sub).encode())

    def do_POST(self):
        global count
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        name = self.path[len("/push/"):] if self.path.startswith("/push/") else ""
        record = {
            "device": name,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "size": len(body),
        }
        origin = "http://127.0.0.1:%d" % self.server.server_address[1]
        try:
            record["vapid"] = check_vapid(self.headers.get("Authorization", ""), origin)
        except Exception as e:  # a malformed header is recorded, not fatal
            record["vapid"] = {"valid": False, "error": repr(e)}
        with lock:
            device = devices.get(name)
        if device is None:
            record["error"] = "unknown device"
        elif self.headers.get("Content-Encoding") != "aes128gcm":
            record["error"] = "content-encoding is not aes128gcm"
        else:
            try:
                plain = http_ece.decrypt(
                    body, private_key=device[0], auth_secret=device[1], version="aes128gcm"
                )
                record["payload"] = json.loads(plain.decode("utf-8"))
            except Exception as e:
                record["error"] = "cannot decrypt: %r" % e
        status = 201
        if name.startswith("gone"):
            status = 410
        elif name.startswith("fail"):
            with lock:
                if name not in failed_once:
                    failed_once.add(name)
                    status = 500
        record["status"] = status
        with lock:
            count += 1
            n = count
        tmp = os.path.join(OUT, ".%06d.json" % n)
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(OUT, "%06d.json" % n))
        self.answer(status)


def main():
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("port %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
