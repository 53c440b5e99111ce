#!/usr/bin/env python3
"""scapstat.py FILE [TID]: count a .scap file's events by walking its blocks.
scapstat.py --events FILE: one line per event: "flags ts tid type cpu".
scapstat.py --nparams FILE CODES_H: each event code of FILE whose events hold
other than the parameter count event_codes.h gives it ("code name got want
events"); exits 1 when there is one.

An independent count for the record tests (it shares no code with sysrec's
reader): prints "events N tid_events N lost N drop_marks N", where tid_events
counts the events of thread TID, lost sums the counts of sysrec's drop
notifications, drop_marks counts drop begin/end events and containers the
container events. --events lists every event block with its EVF flags
(1: hidden, state only), for comparing what two writers kept; container
events ahead of the first other event (the container table) are left out.

sysdig 0.29.3's -w writes an IL_V2 block whose length fields are short by
its entries' own length words; a block whose trailer does not match its
header is therefore skipped to the next block that is consistent.
"""
import gzip
import re
import struct
import sys

EV_BLOCKS = {0x216: 2, 0x221: 2, 0x217: 6, 0x222: 6}  # block type -> bytes before the event


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def consistent(data, off):
    if off + 12 > len(data):
        return False
    blen = struct.unpack_from("<I", data, off + 4)[0]
    return blen >= 12 and blen % 4 == 0 and off + blen <= len(data) and \
        struct.unpack_from("<I", data, off + blen - 4)[0] == blen


def blocks(data):
    """(offset, type, length) of each block."""
    off = 0
    while off + 8 <= len(data):
        btype, blen = struct.unpack_from("<II", data, off)
        if blen < 12 or off + blen > len(data):
            sys.exit("scapstat: bad block at offset %d" % off)
        if not consistent(data, off):
            nxt = off + 4
            while nxt + 12 <= len(data) and not consistent(data, nxt):
                nxt += 4
            off = nxt
            continue
        yield off, btype, blen
        off += blen


def list_events(path):
    data = load(path)
    head = True
    for off, btype, _blen in blocks(data):
        pre = EV_BLOCKS.get(btype)
        if pre is None:
            continue
        flags = struct.unpack_from("<I", data, off + 10)[0] if pre == 6 else 0
        cpu = struct.unpack_from("<H", data, off + 8)[0]
        ts, etid, _elen, etype = struct.unpack_from("<QqIH", data, off + 8 + pre)
        if etype in (272, 324) and head:
            continue  # the head's container table: sysdig's -w rewrites it, stamped with the time now
        head = False
        print(flags, ts, etid, etype, cpu)


def check_nparams(path, codes_h):
    """Compare each event's parameter count with PPME_<name>_NPARAMS."""
    names, want = {}, {}
    with open(codes_h) as f:
        for m in re.finditer(r"^#define PPME_(\w+?_[EX])(_NPARAMS)? +(\d+)$", f.read(), re.M):
            if m.group(2):
                want[m.group(1)] = int(m.group(3))
            else:
                names[int(m.group(3))] = m.group(1)
    data = load(path)
    bad = {}
    for off, btype, _blen in blocks(data):
        pre = EV_BLOCKS.get(btype)
        if pre is None:
            continue
        etype, nparams = struct.unpack_from("<HI", data, off + 8 + pre + 20)
        name = names.get(etype, "?")
        if nparams != want.get(name, -1):
            key = (etype, name, nparams, want.get(name, -1))
            bad[key] = bad.get(key, 0) + 1
    for (etype, name, got, exp), n in sorted(bad.items()):
        print("%d %s %d %d %d" % (etype, name, got, exp, n))
    sys.exit(1 if bad else 0)


def main():
    if sys.argv[1] == "--events":
        list_events(sys.argv[2])
        return
    if sys.argv[1] == "--nparams":
        check_nparams(sys.argv[2], sys.argv[3])
        return
    path = sys.argv[1]
    tid = int(sys.argv[2]) if len(sys.argv) > 2 else None
    data = load(path)
    events = tid_events = lost = marks = containers = 0
    for off, btype, _blen in blocks(data):
        pre = EV_BLOCKS.get(btype)
        if pre is not None:
            ev = off + 8 + pre
            _ts, etid, _elen, etype, nparams = struct.unpack_from("<QqIHI", data, ev)
            events += 1
            if tid is not None and etid == tid:
                tid_events += 1
            if etype == 324:
                containers += 1
            if etype in (148, 149):
                marks += 1
            if etype == 280:
                width = 2
                lens = struct.unpack_from("<%dH" % nparams, data, ev + 26)
                vals = ev + 26 + width * nparams
                ident = data[vals : vals + lens[0]].rstrip(b"\0")
                desc = data[vals + lens[0] : vals + lens[0] + lens[1]].rstrip(b"\0")
                if ident == b"sysrec-drops":
                    lost += int(re.match(rb"(\d+) events lost", desc).group(1))
    print(
        "events %d tid_events %d lost %d drop_marks %d containers %d"
        % (events, tid_events, lost, marks, containers)
    )


main()
