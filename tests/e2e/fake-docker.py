#!/usr/bin/env python3
"""fake-docker.py SOCKET ID[=NAME,POD,NAMESPACE]...: a stand-in for Docker's Engine API
on a unix socket, for the e2e checks of container metadata before a real daemon runs
it (issue 24) and of pcapdump's container filters. It answers GET /containers/<ID,
its first 12 digits or its name>/json with an inspection holding the fields sysdig
reads (name, image, labels of a Kubernetes pod, privileged, an address, a mount),
and 404 for anything else. A bare ID is web-1, pod shop-0 in namespace prod. Each
request is appended to SOCKET.log."""
import http.server
import json
import os
import socketserver
import sys

sock = sys.argv[1]


def inspect(cid, name, pod, ns):
    return {
        "Id": cid, "Created": "2026-12-05T10:20:30Z", "Name": "/" + name, "Image": "sha256:" + "1" * 64,
        "Config": {"Image": "registry.local:5000/shop/web:2.1",
                   "Labels": {"io.kubernetes.pod.name": pod, "io.kubernetes.pod.namespace": ns,
                              "io.kubernetes.pod.uid": "8d4e6f1a-0000-4000-8000-000000000001", "app": "shop"}},
        "HostConfig": {"Privileged": True},
        "NetworkSettings": {"IPAddress": "172.17.0.9"},
        "Mounts": [{"Source": "/srv/data", "Destination": "/data", "Mode": "ro", "RW": False,
                    "Propagation": "rprivate"}],
    }


PATHS = {}
for spec in sys.argv[2:]:
    cid, _, rest = spec.partition("=")
    name, pod, ns = rest.split(",") if rest else ("web-1", "shop-0", "prod")
    for key in (cid[:12], cid, name):
        PATHS["/containers/%s/json" % key] = inspect(cid, name, pod, ns)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(sock + ".log", "a") as f:
            f.write(self.path + "\n")
        if self.path in PATHS:
            body, status = json.dumps(PATHS[self.path]).encode(), 200
        else:
            body, status = b'{"message":"No such object"}', 404
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def address_string(self):
        return "unix"

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if os.path.exists(sock):
    os.unlink(sock)
Server(sock, Handler).serve_forever()
