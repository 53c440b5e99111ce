#!/usr/bin/env python3
"""pktflows.py WANT[:L2] GOT[:L2] FILTER [GOT_FILTER]: compare two captures flow by flow.

Each file is read with tshark, keeping the packets FILTER (a display filter)
selects, and in GOT those GOT_FILTER selects too (its interface); L2 is the bytes of link-layer header before the IP header in that
file's frames (14 for tcpdump's Ethernet and loopback files, 0 for sysrec's).
A flow is the packets between two endpoints (address and port, or an ICMP
echo identifier), both ways. For each flow the packets must be the same:
as many, of the same IP lengths, in the same order each way. One packet may
come before another in one file and after it in the other only when WANT
stamps them at most TOL_US microseconds apart across the two directions, or
TOL_SAME_DIR_US in one direction: two CPUs handled them at the same moment,
and a file's order is the order its tap ran on each CPU, which two observers
of one interface see differently there (docs/packets.md).

Prints one line per flow that differs and a summary; exit 1 when any differs.
"""
import collections
import subprocess
import sys

TOL_US = 500
TOL_SAME_DIR_US = 50
FIELDS = ["frame.time_epoch", "frame.len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.proto", "ipv6.nxt",
          "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "icmp.ident", "icmpv6.echo.identifier"]


def read(spec, flt):
    path, _, l2 = spec.partition(":")
    cmd = ["tshark", "-r", path, "-Y", flt, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    pkts = []
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        src, dst = v["ip.src"] or v["ipv6.src"], v["ip.dst"] or v["ipv6.dst"]
        proto = v["ip.proto"] or v["ipv6.nxt"]
        sp = v["tcp.srcport"] or v["udp.srcport"] or v["icmp.ident"] or v["icmpv6.echo.identifier"] or "0"
        dp = v["tcp.dstport"] or v["udp.dstport"] or v["icmp.ident"] or v["icmpv6.echo.identifier"] or "0"
        a, b = (src, int(sp, 0)), (dst, int(dp, 0))
        pkts.append({"key": (proto, min(a, b), max(a, b)), "src": a, "len": int(v["frame.len"]) - int(l2 or 0),
                     "us": float(v["frame.time_epoch"]) * 1e6})
    return pkts


def flows(pkts):
    fl = collections.OrderedDict()
    for p in pkts:
        p["dir"] = ">" if p["src"] == p["key"][1] else "<"
        fl.setdefault(p["key"], []).append(p)
    return fl


def compare(w, g):
    """'' when the flow's packets are the same, else what differs; the pairs found swapped, their widest gap."""
    for d in "><":
        a = [p["len"] for p in w if p["dir"] == d]
        b = [p["len"] for p in g if p["dir"] == d]
        if sorted(a) != sorted(b):
            i = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
            return "%s: tcpdump %d packets (%d bytes), sysrec %d (%d bytes); packet %d: tcpdump %s, sysrec %s" % (
                d, len(a), sum(a), len(b), sum(b), i + 1, a[i:i + 3], b[i:i + 3]), 0, 0
    # the same packets each way: where each of w's stands in g (the k-th of a direction and length is the k-th)
    seen = collections.Counter()
    rank = {}
    for i, p in enumerate(g):
        k = (p["dir"], p["len"])
        rank[(k, seen[k])] = i
        seen[k] += 1
    seen.clear()
    order = []
    for p in w:
        k = (p["dir"], p["len"])
        order.append((rank[(k, seen[k])], p))
        seen[k] += 1
    swapped = gap = 0
    for i in range(len(order)):
        for j in range(i + 1, len(order)):
            if order[j][0] < order[i][0]:
                a, b = order[i][1], order[j][1]
                tol = TOL_US if a["dir"] != b["dir"] else TOL_SAME_DIR_US
                if abs(b["us"] - a["us"]) > tol:
                    return "packets %d (%s %d) and %d (%s %d), %d us apart in tcpdump's file, are the other way round" % (
                        i + 1, a["dir"], a["len"], j + 1, b["dir"], b["len"], abs(b["us"] - a["us"])), swapped, gap
                swapped += 1
                gap = max(gap, abs(b["us"] - a["us"]))
    return "", swapped, gap


def main():
    want, got, flt = sys.argv[1], sys.argv[2], sys.argv[3]
    gflt = "(%s) and (%s)" % (flt, sys.argv[4]) if len(sys.argv) > 4 else flt
    fw, fg = flows(read(want, flt)), flows(read(got, gflt))
    bad = npk = swapped = widest = 0
    for k in list(fw) + [k for k in fg if k not in fw]:
        w, g = fw.get(k, []), fg.get(k, [])
        npk += len(w)
        what, n, gap = compare(w, g)
        swapped += n
        widest = max(widest, gap)
        if what:
            bad += 1
            print("flow %s %s:%d %s:%d: %s" % (k[0], k[1][0], k[1][1], k[2][0], k[2][1], what))
    print("%d flows, %d packets, %d differ; %d pairs of packets stamped at the same moment in the other order "
          "(at most %d us apart; %d allowed, %d in one direction)" % (len(fw), npk, bad, swapped, widest, TOL_US,
                                                                      TOL_SAME_DIR_US))
    return 1 if bad or not fw else 0


if __name__ == "__main__":
    sys.exit(main())
