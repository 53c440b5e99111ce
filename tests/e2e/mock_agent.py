#!/usr/bin/env python3
"""mock_agent: a stand-in for the agent's HTTP API (docs/api.md), for trying `sysrec capture` by hand.

usage: mock_agent.py [--port N] [--token T] [--max-outstanding N] [--seed N] [--tls CERT KEY]
Listens on 127.0.0.1 (port 0: a free one), prints the port on stdout. A capture whose
name contains "fail" ends in error, "badsha" gets a wrong catalog sha256, "short" a
download cut short. Replaced by tests against the real agent.
"""
import argparse, hashlib, json, ssl, threading, time, uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

LOCK = threading.Lock()
CAPS = {}  # id -> capture object, plus private "_" members
ARGS = None


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_capture(name, before=0.0, after=5.0, trigger="manual", host="mock-1", filt="", t=None):
    t = time.time() if t is None else t
    cid = datetime.fromtimestamp(t, timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
    start = t - before
    cap = {"id": cid, "name": name, "host": host, "container": "", "trigger": trigger, "filter": filt,
           "filter_proclist": False, "storage": "local",
           "start": datetime.fromtimestamp(start, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f000Z"),
           "start_ns": int(start * 1e9), "duration": before + after, "before": before, "after": after,
           "size": 0, "sha256": "", "status": "recording", "error": "", "kept": False,
           "created": iso(t), "expires_at": iso(t + 90 * 86400), "_t": time.monotonic(), "_after": after}
    CAPS[cid] = cap
    return cap


def advance(cap):
    """Move a capture along its life: recording for `after` s, storing 0.3 s, then ok or error."""
    age = time.monotonic() - cap["_t"]
    if cap["status"] == "recording" and age >= cap["_after"]:
        cap["status"] = "storing"
    if cap["status"] == "storing" and age >= cap["_after"] + 0.3:
        if "fail" in cap["name"]:
            cap.update(status="error", error="the flight recorder lost events (ring full)")
            return
        data = (cap["id"].encode() * 7000)[:123457]
        cap["_data"] = data
        cap.update(status="ok", size=len(data), sha256=hashlib.sha256(data).hexdigest())
        if "badsha" in cap["name"]:
            cap["sha256"] = hashlib.sha256(b"other").hexdigest()


def public(cap):
    advance(cap)
    return {k: v for k, v in cap.items() if not k.startswith("_")}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):  # quiet
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")

    def route(self, method):
        if self.headers.get("Authorization") != "Bearer " + ARGS.token:
            return self.reply(401, {"error": "missing or wrong token"})
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.split("/")[1:]]
        if parts[:2] != ["api", "captures"]:
            return self.reply(404, {"error": "no such path: " + url.path})
        with LOCK:
            if len(parts) == 2 and method == "GET":
                return self.list(parse_qs(url.query))
            if len(parts) == 2 and method == "POST":
                return self.take()
            if parts[2:] == ["delete"] and method == "POST":
                return self.delete_many()
            cap = CAPS.get(parts[2]) if len(parts) > 2 else None
            if cap is None:
                return self.reply(404, {"error": "no such capture: %s" % parts[2]})
            obj, rest = public(cap), parts[3:]
            done = obj["status"] in ("ok", "error")
            if not rest and method == "GET":
                return self.reply(200, obj)
            if not rest and method == "DELETE":
                if not done:
                    return self.reply(409, {"error": "capture %s is %s: it cannot be deleted yet" % (cap["id"], obj["status"])})
                return self.reply(200, {"deleted": [CAPS.pop(cap["id"])["id"]]})
            if rest == ["download"] and method == "GET":
                return self.download(cap, obj)
            if rest in (["keep"], ["discard"]) and method == "POST" and not done:
                return self.reply(409, {"error": "capture %s is not complete" % cap["id"]})
            if rest == ["keep"] and method == "POST":
                cap["kept"] = True
                return self.reply(200, public(cap))
            if rest == ["discard"] and method == "POST":
                return self.reply(200, {"deleted": [CAPS.pop(cap["id"])["id"]]})
        return self.reply(405, {"error": "%s does not take %s" % (url.path, method)})

    def take(self):
        req = self.body()
        name = req.get("name") if isinstance(req, dict) else None
        if not isinstance(name, str) or not 1 <= len(name.encode()) <= 128:
            return self.reply(400, {"error": "name must be a string of 1 to 128 bytes"})
        nums = {k: req.get(k) for k in ("duration", "before", "after")}
        for k, v in nums.items():
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 300):
                return self.reply(400, {"error": "%s must be a number of seconds from 1 to 300" % k})
        before = nums["before"] or 0.0
        after = nums["after"] if nums["after"] is not None else (nums["duration"] or 5.0)
        if not 1 <= before + after <= 300:
            return self.reply(400, {"error": "duration must be a number of seconds from 1 to 300"})
        busy = sum(1 for c in CAPS.values() if public(c)["status"] in ("recording", "storing"))
        if busy >= ARGS.max_outstanding:
            return self.reply(409, {"error": "Maximum number of outstanding captures (%d) reached" % ARGS.max_outstanding})
        cap = new_capture(name, float(before), float(after), filt=req.get("filter", ""))
        return self.reply(201, public(cap))

    def list(self, q):
        one = lambda k, d=None: q.get(k, [d])[0]
        caps = [public(c) for c in CAPS.values()]
        s = (one("search") or "").lower()
        caps = [c for c in caps if any(s in c[k].lower() for k in ("name", "host", "trigger"))]
        if one("status") == "expiring":
            caps = [c for c in caps if c["expires_at"] <= iso(time.time() + 7 * 86400)]
        elif one("status"):
            caps = [c for c in caps if c["status"] == one("status")]
        caps.sort(key=lambda c: c[one("sort", "created")], reverse=one("order", "desc") == "desc")
        off, lim = int(one("offset", 0)), int(one("limit", 100))
        self.reply(200, {"captures": caps[off:off + lim], "total": len(caps), "offset": off, "limit": lim})

    def delete_many(self):
        ids = self.body().get("ids", [])
        out = {"deleted": [], "errors": {}}
        for i in ids:
            st = public(CAPS[i])["status"] if i in CAPS else None
            if st in ("ok", "error"):
                del CAPS[i]
                out["deleted"].append(i)
            else:
                out["errors"][i] = "the capture is still " + st if st else "no such capture"
        self.reply(200, out)

    def download(self, cap, obj):
        if obj["status"] != "ok":
            return self.reply(409, {"error": "capture %s is %s, not ok" % (cap["id"], obj["status"])})
        data, short = cap["_data"], "short" in cap["name"]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Disposition", 'attachment; filename="%s.scap"' % cap["name"])
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[:len(data) // 2] if short else data)
        self.close_connection = short


for _m in ("GET", "POST", "DELETE"):
    setattr(Handler, "do_" + _m, lambda self, m=_m: self.route(m))


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", default="mock-token")
    ap.add_argument("--max-outstanding", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0, help="start with N finished captures")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ARGS = ap.parse_args()
    now = time.time()
    for i in range(ARGS.seed):
        name = ["web-curl", "ssh-login-burst", "fail-crypto", "é" * 50 + "-very-long-name"][i % 4]
        cap = new_capture("%s-%d" % (name, i), 3.0, 2.0, trigger=["manual", "shell_in_container"][i % 2],
                          host="web-%d" % (i % 3), t=now - 3600 * (i + 1))
        cap["_t"] -= 3600
        cap["expires_at"] = iso(now + (3 if i % 4 == 1 else 90) * 86400)
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    if ARGS.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*ARGS.tls)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
