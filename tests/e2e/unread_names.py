import ctypes, mmap, os, sys
# (tests/e2e/record.sh, check record_unread_names)
# unread_names.py WORKDIR: paths the driver cannot read at the syscall's entry: each lies in a page of
# a fresh file mapping not yet touched (eBPF may not fault it in); the kernel
# faults it in during the call, so the exit has it.
libc = ctypes.CDLL(None, use_errno=True)
work = sys.argv[1]
AT_FDCWD = -100
os.chdir(work)
for i, (path, flags) in enumerate([(b".", os.O_RDONLY | os.O_DIRECTORY), (b"unread-" + str(os.getpid()).encode(), os.O_WRONLY | os.O_CREAT)]):
    src = os.path.join(work, "name-%d" % i)
    with open(src, "wb") as f:
        f.write(path + b"\0" + b"\0" * (4096 - len(path) - 1))
    fd = os.open(src, os.O_RDWR)
    m = mmap.mmap(fd, 4096, flags=mmap.MAP_PRIVATE)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
    r = libc.openat(AT_FDCWD, ctypes.c_void_p(addr), flags, 0o600)
    if r < 0:
        sys.exit("openat: errno %d" % ctypes.get_errno())
    os.close(r)
