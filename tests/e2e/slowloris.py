#!/usr/bin/env python3
"""slowloris: a bounded slow-head client set against the agent's API on loopback.

Opens COUNT connections from each SOURCE address (127.x.y.z, all to
127.0.0.1:PORT), each sending a request head it never finishes, then one byte
every --trickle seconds. Once they are open, a token holder's curl asks for
/api/status. Then it watches until every connection is closed or --watch
seconds have passed, and prints one JSON object:

  opened, refused_connect   connections made / refused by the kernel
  token_status, token_wait  curl's status and its seconds
  evicted                   closed within --early seconds of their open
  lifetimes                 seconds from open to close of the others, sorted
  open_at_end               still open when the watch ended
  seconds                   the whole run

usage: slowloris.py PORT TOKEN_FILE SOURCE:COUNT... [--trickle S] [--watch S] [--early S]
"""
import argparse
import json
import resource
import selectors
import socket
import subprocess
import time

HEAD = b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("token_file")
    ap.add_argument("sources", nargs="+", help="SOURCE:COUNT, e.g. 127.0.0.2:30")
    ap.add_argument("--trickle", type=float, default=2.0)
    ap.add_argument("--watch", type=float, default=13.0)
    ap.add_argument("--early", type=float, default=1.0)
    a = ap.parse_args()
    want = sum(int(s.split(":")[1]) for s in a.sources) + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    token = open(a.token_file).read().strip()

    start = time.monotonic()
    sel = selectors.DefaultSelector()
    opened_at, closed_at = {}, {}
    refused = 0
    for spec in a.sources:
        src, n = spec.split(":")
        for _ in range(int(n)):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind((src, 0))
                s.connect(("127.0.0.1", a.port))
                s.sendall(HEAD)
            except OSError:
                refused += 1
                s.close()
                continue
            s.setblocking(False)
            opened_at[s] = time.monotonic()
            sel.register(s, selectors.EVENT_READ)

    def close(s, now):
        if s in opened_at and s not in closed_at:
            closed_at[s] = now
            sel.unregister(s)
            s.close()

    def watch(until):
        while time.monotonic() < until and len(closed_at) < len(opened_at):
            for key, _ in sel.select(timeout=0.02):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if not data:  # the server closed it (EOF or reset); a reply is not expected
                    close(s, time.monotonic())

    watch(time.monotonic() + 0.5)  # the server has taken them in
    t0 = time.monotonic()
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                        "-H", "Authorization: Bearer " + token,
                        "http://127.0.0.1:%d/api/status" % a.port], capture_output=True, text=True)
    token_wait = time.monotonic() - t0
    end = start + a.watch
    next_byte = time.monotonic() + a.trickle
    while time.monotonic() < end and len(closed_at) < len(opened_at):
        watch(min(end, next_byte))
        if time.monotonic() >= next_byte:
            for s in list(opened_at):
                if s in closed_at:
                    continue
                try:
                    s.send(b"a")
                except OSError:
                    close(s, time.monotonic())
            next_byte += a.trickle
    lifetimes = sorted(round(closed_at[s] - opened_at[s], 2) for s in closed_at)
    print(json.dumps({
        "opened": len(opened_at),
        "refused_connect": refused,
        "token_status": r.stdout.strip(),
        "token_wait": round(token_wait, 3),
        "evicted": sum(1 for t in lifetimes if t < a.early),
        "lifetimes": [t for t in lifetimes if t >= a.early],
        "open_at_end": len(opened_at) - len(closed_at),
        "seconds": round(time.monotonic() - start, 2),
    }))
    for s in opened_at:
        s.close()


if __name__ == "__main__":
    main()
