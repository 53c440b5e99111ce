#!/usr/bin/env python3
"""scapstat.py FILE [TID]: count a .scap file's events by walking its blocks.

An independent count for the record tests (it shares no code with sysrec's
reader): prints "events N tid_events N lost N drop_marks N", where tid_events
counts the events of thread TID, lost sums the counts of sysrec's drop
notifications, drop_marks counts drop begin/end events and containers the
container events.
"""
import gzip
import re
import struct
import sys

EV_BLOCKS = {0x216: 2, 0x221: 2, 0x217: 6}  # block type -> bytes before the event


def main():
    path = sys.argv[1]
    tid = int(sys.argv[2]) if len(sys.argv) > 2 else None
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    off = events = tid_events = lost = marks = containers = 0
    while off + 8 <= len(data):
        btype, blen = struct.unpack_from("<II", data, off)
        if blen < 12 or off + blen > len(data):
            sys.exit("scapstat: bad block at offset %d" % off)
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
        off += blen
    print(
        "events %d tid_events %d lost %d drop_marks %d containers %d"
        % (events, tid_events, lost, marks, containers)
    )


main()
