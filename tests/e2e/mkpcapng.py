#!/usr/bin/env python3
"""mkpcapng.py OUT HOST TSRESOL SEED N [START_US STEP_US [MAXLEN]]: a pcapng file for the
merge checks and benchmark, written without sysrec: one section whose comment is
"host=HOST", two Ethernet interfaces (eth0, eth1) with if_tsresol TSRESOL (6:
microseconds, 9: nanoseconds), and N Enhanced Packet Blocks of random bytes (14 to
MAXLEN, default 200) on either interface, every STEP_US microseconds from START_US (so
that files made with the same times tie), an interface statistics block each at the
end. SEED makes the bytes repeatable."""
import random
import struct
import sys


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def opt(code, value):
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def main():
    out, host, tsresol, seed, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    start_us = int(sys.argv[6]) if len(sys.argv) > 6 else 1700000000 * 1000000
    step_us = int(sys.argv[7]) if len(sys.argv) > 7 else 1000
    maxlen = int(sys.argv[8]) if len(sys.argv) > 8 else 200
    rnd = random.Random(seed)
    scale = 10 ** (tsresol - 6)  # units per microsecond
    shb = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + opt(1, ("host=%s" % host).encode()) + opt(0, b"")
    with open(out, "wb") as f:
        f.write(block(0x0A0D0D0A, shb))
        for name in (b"eth0", b"eth1"):
            f.write(block(1, struct.pack("<HHI", 1, 0, 0) + opt(2, name) + opt(9, bytes([tsresol])) + opt(0, b"")))
        counts = [0, 0]
        for i in range(n):
            iface = rnd.randrange(2)
            counts[iface] += 1
            pkt = rnd.randbytes(rnd.randrange(14, maxlen + 1))
            ts = (start_us + i * step_us) * scale
            body = struct.pack("<IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(pkt), len(pkt) + rnd.randrange(2) * 10)
            f.write(block(6, body + pkt))
        for iface in (0, 1):
            ts = (start_us + n * step_us) * scale
            f.write(block(5, struct.pack("<III", iface, ts >> 32, ts & 0xFFFFFFFF) +
                          opt(4, struct.pack("<Q", counts[iface])) + opt(5, struct.pack("<Q", 0)) + opt(0, b"")))


if __name__ == "__main__":
    main()
