#!/usr/bin/env python3
"""artifacts.py: the e2e check of `sysrec record --capture write=... --capture exec`.

  artifacts.py work DIR        writes and runs what the check expects to be kept
                               (under DIR/keepA and DIR/keepB) and not kept
                               (DIR/other); prints what each kept file must hold
  artifacts.py check OUT WANT  compares OUT/manifest.json and the files under OUT
                               with WANT (the work step's output); prints what
                               differs, exit 1 when anything does

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


def check(out, wantf):
    with open(wantf) as f:
        want = json.load(f)
    with open(os.path.join(out, "manifest.json")) as f:
        man = json.load(f)
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


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "work":
        work(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
