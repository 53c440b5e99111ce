#!/usr/bin/env python3
"""soak_clients: N concurrent API clients against a sysrec agent for SECS seconds.

usage: soak_clients.py URL TOKEN CLIENTS SECS

Each client is a thread with its own keep-alive connection that loops over the
requests a busy web UI and a careless script make: the status, a page of
captures, a search, one capture's record, the metrics, a request without the
token and one for an unknown capture. Prints one line: requests done, answers
by status class, connection errors. Traffic goes to the loopback address given.
"""
import http.client
import sys
import threading
import time
import urllib.parse

PATHS = [
    ("/api/status", True),
    ("/api/captures?limit=20", True),
    ("/api/captures?search=soak&sort=name", True),
    ("/metrics", True),
    ("/api/status", False),  # no token: 401
    ("/api/captures/20990101T000000Z-00000000", True),  # unknown: 404
]


def client(url, token, deadline, counts, lock):
    u = urllib.parse.urlsplit(url)
    conn = None
    done = {"2xx": 0, "4xx": 0, "5xx": 0, "errors": 0}
    i = 0
    while time.monotonic() < deadline:
        path, auth = PATHS[i % len(PATHS)]
        i += 1
        try:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            conn.request("GET", path, headers={"Authorization": "Bearer " + token} if auth else {})
            r = conn.getresponse()
            r.read()
            done["%dxx" % (r.status // 100)] = done.get("%dxx" % (r.status // 100), 0) + 1
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            done["errors"] += 1
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.05)
    if conn is not None:
        conn.close()
    with lock:
        for k, v in done.items():
            counts[k] = counts.get(k, 0) + v


def main():
    if len(sys.argv) != 5:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        sys.exit(2)
    url, token, n, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    if urllib.parse.urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        print("soak_clients: only a loopback URL", file=sys.stderr)
        sys.exit(2)
    counts, lock = {}, threading.Lock()
    deadline = time.monotonic() + secs
    threads = [threading.Thread(target=client, args=(url, token, deadline, counts, lock)) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(v for k, v in counts.items() if k != "errors")
    print("requests %d %s" % (total, " ".join("%s %d" % kv for kv in sorted(counts.items()))))


if __name__ == "__main__":
    main()
