#!/usr/bin/env python3
"""artifacts.py: the e2e check of `sysrec record --capture write=... --capture exec`.

  artifacts.py work DIR        writes and runs what the check expects to be kept
                               (under DIR/keepA and DIR/keepB) and not kept
                               (DIR/other); prints what each kept file must hold
  artifacts.py check OUT WANT  compares OUT/manifest.json and the files under OUT
                               with WANT (the work step's output); prints what
                               differs, exit 1 when anything does
  artifacts.py work2 DIR WXBIN MODULE
                               memory made executable (WXBIN), a module object
                               (MODULE) given to init_module and finit_module, a
                               BPF program, a binary run twice
  artifacts.py check2 OUT WANT [SCAP SYSREC]
                               the same for work2; with SCAP (the -w file
                               beside) each of those artifacts names its
                               events in it, which SYSREC read and sysdig show
                               as its call, by its owner

The work: plain writes, pwrite at two offsets with a hole between, writev of
three buffers (one larger than a record), a 5 MB write, a file deleted right
after it was written, a file renamed between two writes, a file under the
second prefix, one outside both; binaries run: /usr/bin/true (ends at once),
a shell script (kept itself, besides its interpreter), a copy of cat deleted
while it runs, and sleep run from a memfd (fileless).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time


def sha(b):
    return hashlib.sha256(b).hexdigest()


def sha_file(p):
    with open(p, "rb") as f:
        return sha(f.read())


def work(d):
    want = {"files": [], "absent": [], "execs": []}
    for sub in ("keepA", "keepB", "other", "exe"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)

    def keep(paths, content):
        want["files"].append({"paths": paths, "sha256": sha(content), "size": len(content)})

    p = os.path.join(d, "keepA", "plain")
    with open(p, "wb", buffering=0) as f:
        for i in range(3):
            f.write(b"alpha %d\n" % i * 1000)
    keep([p], b"".join(b"alpha %d\n" % i * 1000 for i in range(3)))

    p = os.path.join(d, "keepA", "holes")
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.pwrite(fd, b"X" * 1000, 0)
    os.pwrite(fd, b"Y" * 500, 1000000)
    os.close(fd)
    keep([p], b"X" * 1000 + bytes(1000000 - 1000) + b"Y" * 500)

    p = os.path.join(d, "keepA", "vector")
    bufs = [b"a" * 100, b"b" * 70000, b"c" * 5]
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.writev(fd, bufs)
    os.close(fd)
    keep([p], b"".join(bufs))

    p = os.path.join(d, "keepA", "big")
    big = os.urandom(5 << 20)
    with open(p, "wb", buffering=0) as f:
        f.write(big)
    keep([p], big)

    p = os.path.join(d, "keepA", "gone")
    with open(p, "wb", buffering=0) as f:
        f.write(b"secret " * 100)
    os.unlink(p)
    keep([p], b"secret " * 100)

    p1, p2 = os.path.join(d, "keepA", "before-rename"), os.path.join(d, "keepA", "after-rename")
    with open(p1, "wb", buffering=0) as f:
        f.write(b"r1" * 50)
        os.rename(p1, p2)
        f.write(b"r2" * 50)
    keep([p1, p2], b"r1" * 50 + b"r2" * 50)

    p = os.path.join(d, "keepB", "bee")
    with open(p, "wb", buffering=0) as f:
        f.write(b"bee\n")
    keep([p], b"bee\n")

    for p in (os.path.join(d, "other", "not-me"), os.path.join(d, "keepAB")):
        with open(p, "wb", buffering=0) as f:
            f.write(b"not kept\n")
        want["absent"].append(p)

    # binaries
    true = shutil.which("true") or "/usr/bin/true"
    subprocess.run([true], check=True)
    want["execs"].append({"path": true, "sha256": sha_file(true)})

    cat = shutil.which("cat") or "/usr/bin/cat"
    dcat = os.path.join(d, "exe", "deleted-cat")
    shutil.copy(cat, dcat)
    c = subprocess.Popen([dcat], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    os.unlink(dcat)
    c.stdin.close()
    c.wait()
    want["execs"].append({"path": dcat, "sha256": sha_file(cat)})

    script = os.path.join(d, "exe", "a-script")
    with open(script, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(script, 0o755)
    subprocess.run([script], check=True)
    want["execs"].append({"path": script, "sha256": sha_file(script)})

    sleep = shutil.which("sleep") or "/usr/bin/sleep"
    with open(sleep, "rb") as f:
        body = f.read()
    mfd = os.memfd_create("fileless", 0)
    os.write(mfd, body)
    pid = os.fork()
    if pid == 0:
        try:
            os.execve(mfd, ["fileless", "0.5"], {})
        finally:
            os._exit(127)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        sys.exit("the memfd's sleep failed: status %d" % status)
    want["execs"].append({"path": "memfd:fileless", "sha256": sha(body)})
    json.dump(want, sys.stdout, indent=1)


def load(out, wantf):
    """What the work step expected, and the manifest under OUT."""
    with open(wantf) as f:
        want = json.load(f)
    with open(os.path.join(out, "manifest.json")) as f:
        return want, json.load(f)


def check(out, wantf):
    want, man = load(out, wantf)
    problems = []
    arts = man.get("artifacts", [])
    writes = [a for a in arts if a.get("kind") == "write"]
    execs = [a for a in arts if a.get("kind") == "exec"]

    def content_sha(a):
        p = os.path.join(out, a["file"]) if a.get("file") else None
        return sha_file(p) if p and os.path.exists(p) else None

    for w in want["files"]:
        hit = [a for a in writes if w["paths"][0] in a.get("paths", [])]
        if len(hit) != 1:
            problems.append("%s: %d artifacts name it" % (w["paths"][0], len(hit)))
            continue
        a = hit[0]
        if sorted(a.get("paths", [])) != sorted(w["paths"]):
            problems.append("%s: paths %s, want %s" % (w["paths"][0], a.get("paths"), w["paths"]))
        if a.get("truncated"):
            problems.append("%s: truncated" % w["paths"][0])
        got = content_sha(a)
        if got != w["sha256"] or a.get("sha256") != w["sha256"]:
            problems.append("%s: content sha256 %s (manifest %s), want %s (%d bytes; size said %s)" % (
                w["paths"][0], got, a.get("sha256"), w["sha256"], w["size"], a.get("size")))
        if a.get("owner", {}).get("comm") != "python3":
            problems.append("%s: owner %s" % (w["paths"][0], a.get("owner")))
    for p in want["absent"]:
        if any(p in a.get("paths", []) for a in writes):
            problems.append("%s: kept, but no prefix names it" % p)
    for x in want["execs"]:
        # by its content and the name it ran by (a memfd's: /dev/fd/N)
        hit = [a for a in execs if a.get("sha256") == x["sha256"] and (
            x["path"] in a.get("paths", []) or
            (x["path"].startswith("memfd:") and any(p.startswith("/dev/fd/") for p in a.get("paths", []))))]
        if not hit:
            problems.append("exec %s: no binary of its sha256 %s (execs: %s)" % (
                x["path"], x["sha256"][:12], [(e.get("paths"), e.get("not_kept")) for e in execs]))
        elif content_sha(hit[0]) != x["sha256"]:
            problems.append("exec %s: the file kept is not its binary" % x["path"])
    dropped = {k: v for k, v in man.get("dropped_bytes", {}).items() if v}
    if dropped:
        problems.append("bytes not kept: %s" % dropped)
    for p in problems:
        print(p)
    if not problems:
        print("%d written files, %d binaries as written and run; %d not kept" % (
            len(want["files"]), len(want["execs"]), len(want["absent"])))
    return 1 if problems else 0


def work2(d, wxbin, module):
    """Memory unpacked W+X then made executable (wxbin, a C program), kernel modules (init_module,
    finit_module: both fail here), a BPF program loaded, true run twice (stored once, and in the profile)."""
    import ctypes
    import errno
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    want = {}
    os.makedirs(d, exist_ok=True)

    # memory: the C program maps read-write-execute, writes code, makes it read-execute
    region = os.path.join(d, "region.bin")
    out = subprocess.run([wxbin, region], check=True, capture_output=True, text=True).stdout.split()
    want["mem"] = {"address": out[0], "length": int(out[1]), "sha256": sha_file(region)}

    # kernel modules: the images are kept even though the calls fail
    with open(module, "rb") as f:
        image = f.read()
    buf = ctypes.create_string_buffer(image, len(image))
    rc = libc.syscall(175, buf, ctypes.c_ulong(len(image)), b"")  # init_module
    want["init_module"] = {"sha256": sha(image), "rc": rc, "errno": errno.errorcode.get(ctypes.get_errno(), "?")}
    # the same module, a byte changed in its .modinfo copy, from a file: another content
    image2 = image.replace(b"sysrec e2e", b"sysrec E2E")
    path = os.path.join(d, "sysrec_e2e.ko")
    with open(path, "wb") as f:
        f.write(image2)
    fd = os.open(path, os.O_RDONLY)
    rc = libc.syscall(313, fd, b"", 0)  # finit_module
    os.close(fd)
    want["finit_module"] = {"sha256": sha(image2), "path": path, "rc": rc}

    # a BPF program: r0 = 0; exit (a socket filter)
    insns = bytes([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0])
    ibuf = ctypes.create_string_buffer(insns, len(insns))
    lic = ctypes.create_string_buffer(b"GPL")
    attr = ctypes.create_string_buffer(144)
    ctypes.memmove(ctypes.addressof(attr), (1).to_bytes(4, "little"), 4)  # BPF_PROG_TYPE_SOCKET_FILTER
    ctypes.memmove(ctypes.addressof(attr) + 4, (2).to_bytes(4, "little"), 4)  # insn_cnt
    ctypes.memmove(ctypes.addressof(attr) + 8, ctypes.addressof(ibuf).to_bytes(8, "little"), 8)
    ctypes.memmove(ctypes.addressof(attr) + 16, ctypes.addressof(lic).to_bytes(8, "little"), 8)
    ctypes.memmove(ctypes.addressof(attr) + 48, b"sysrec_e2e", 10)
    pfd = libc.syscall(321, 5, attr, 144)  # bpf(BPF_PROG_LOAD)
    if pfd >= 0:
        os.close(pfd)
    want["bpf"] = {"sha256": sha(insns), "name": "sysrec_e2e", "loaded": pfd >= 0}

    true = shutil.which("true") or "/usr/bin/true"
    subprocess.run([true], check=True)
    subprocess.run([true], check=True)
    want["profile"] = {"path": true, "sha256": sha_file(true)}
    json.dump(want, sys.stdout, indent=1)


def read_events(cmd, nums):
    """evt.num -> (evt.type, evt.dir, proc.pid) of events nums, as a reader (sysrec read, sysdig) shows them."""
    flt = "evt.num in (%s)" % ", ".join(str(n) for n in sorted(nums))
    res = subprocess.run(cmd + ["-p", "%evt.num %evt.type %evt.dir %proc.pid", flt], capture_output=True, text=True)
    got = {}
    for line in res.stdout.splitlines():
        f = line.split()
        if len(f) == 4 and f[0].isdigit():
            got[int(f[0])] = (f[1], f[2], f[3])
    return got, res.returncode, res.stderr.strip()[:200]


def check_events(chosen, scap, sysrec):
    """Each chosen artifact (label, artifact, event type, direction, pid or None) names its events in scap,
    and those events, read by sysrec read and by sysdig, are of that type and direction, by its owner."""
    problems, nums = [], set()
    for label, a, typ, d, pid in chosen:
        evs = (a.get("events") or {}).get(scap)
        if not evs or a.get("events_not_found"):
            problems.append("%s: events %s, not found %s (want its events in %s)" % (
                label, a.get("events"), a.get("events_not_found"), scap))
        nums.update(evs or [])
    if problems or not nums:
        return problems
    readers = [("sysrec read", [sysrec, "read", "-r", scap])]
    if shutil.which("sysdig"):
        readers.append(("sysdig", ["sysdig", "-r", scap]))
    for name, cmd in readers:
        got, rc, err = read_events(cmd, nums)
        if rc != 0:
            problems.append("%s -r %s: exit %d: %s" % (name, scap, rc, err))
            continue
        for label, a, typ, d, pid in chosen:
            for n in a["events"][scap]:
                want = (typ, d, str(pid) if pid else None)
                have = got.get(n)
                if not have or have[0] != want[0] or have[1] != want[1] or (want[2] and have[2] != want[2]):
                    problems.append("%s: event %d as %s shows it: %s, want %s" % (label, n, name, have, want))
    return problems


def check2(out, wantf, scap=None, sysrec=None):
    want, man = load(out, wantf)
    arts = man.get("artifacts", [])
    problems = []
    chosen = []  # (label, artifact, its events' type, direction, pid)

    def kept_sha(a):
        p = os.path.join(out, a["file"]) if a.get("file") else None
        return sha_file(p) if p and os.path.exists(p) else None

    w = want["mem"]
    mem = [a for a in arts if a.get("kind") == "mem" and a.get("address") in (w["address"], "0x" + w["address"])]
    # the region's protections: PROT_READ|PROT_WRITE|PROT_EXEC, then PROT_READ|PROT_EXEC
    kept = [a for a in mem if a.get("file")]
    noted = [a for a in mem if a.get("note")]
    if kept:
        chosen.append(("memory at %s" % w["address"], kept[0], "mprotect", "<", kept[0]["owner"]["pid"]))
    if len(kept) != 1 or kept_sha(kept[0]) != w["sha256"] or kept[0].get("prot_before") != 7 or \
            kept[0].get("prot_after") != 5 or kept[0].get("length") != w["length"]:
        problems.append("memory at %s: want its %d bytes (sha256 %s), protections 7 then 5; got %s" % (
            w["address"], w["length"], w["sha256"][:12], [(a.get("file"), a.get("prot_before"), a.get("prot_after"),
                                                           a.get("length"), (a.get("sha256") or "")[:12]) for a in mem]))
    if not noted:
        problems.append("memory at %s: its W+X mapping is not noted" % w["address"])
    mods = [a for a in arts if a.get("kind") == "module"]
    for k in ("init_module", "finit_module"):
        w = want[k]
        hit = [a for a in mods if a.get("sha256") == w["sha256"] and kept_sha(a) == w["sha256"]]
        if not hit:
            problems.append("%s (returned %s): no module of its image's sha256; modules: %s" % (
                k, w["rc"], [(a.get("paths"), a.get("not_kept")) for a in mods]))
        elif k == "finit_module" and w["path"] not in hit[0].get("paths", []):
            problems.append("finit_module: paths %s, want %s" % (hit[0].get("paths"), w["path"]))
        if hit:
            chosen.append((k, hit[0], k, ">", hit[0]["owner"]["pid"]))
    w = want["bpf"]
    hit = [a for a in arts if a.get("kind") == "bpf" and a.get("sha256") == w["sha256"]]
    if hit:
        chosen.append(("bpf program", hit[0], "bpf", ">", hit[0]["owner"]["pid"]))
    if not hit or kept_sha(hit[0]) != w["sha256"] or w["name"] not in hit[0].get("names", []):
        problems.append("bpf program %s: want its instructions (sha256 %s); bpf: %s" % (
            w["name"], w["sha256"][:12], [(a.get("names"), (a.get("sha256") or "")[:12]) for a in arts
                                          if a.get("kind") == "bpf"]))
    w = want["profile"]
    twice = [a for a in arts if a.get("kind") == "exec" and a.get("sha256") == w["sha256"]]
    if twice:  # each run's execve: pids differ
        chosen.append((w["path"], twice[0], "execve", "<", None))
    if len(twice) != 1 or twice[0].get("count", 0) < 2:
        problems.append("%s run twice: %d entries, counts %s (want one, counted twice)" % (
            w["path"], len(twice), [a.get("count") for a in twice]))
    try:
        with open(os.path.join(out, "profile.json")) as f:
            prof = json.load(f)
        if not any(p.get("path") == w["path"] and p.get("sha256") == w["sha256"] for p in prof.get("programs", [])):
            problems.append("profile: no %s with sha256 %s" % (w["path"], w["sha256"][:12]))
    except (OSError, ValueError) as e:
        problems.append("profile: %s" % e)
    dropped = {k: v for k, v in man.get("dropped_bytes", {}).items() if v}
    if dropped:
        problems.append("bytes not kept: %s" % dropped)
    if scap:
        problems += check_events(chosen, scap, sysrec)
    for p in problems:
        print(p)
    if not problems:
        print("memory made executable, 2 module images, a BPF program, a binary run twice stored once, "
              "the profile" + (", each naming its events (%s)" % ", ".join(
                  "%s %s" % (c[0].split("/")[-1], c[1]["events"][scap]) for c in chosen) if scap else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "work":
        work(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "work2":
        work2(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) in (4, 6) and sys.argv[1] == "check2":
        sys.exit(check2(*sys.argv[2:]))
    else:
        sys.exit(__doc__)
