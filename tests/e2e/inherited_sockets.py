import socket, sys
# (tests/e2e/record.sh, check record_inherited_sockets)
# inherited_sockets.py: connections made before the recording starts and used
# after it (a line on stdin says when): TCP over IPv4 and IPv6 (the listening
# and accepted ends in this process), and a bound UDP socket that receives.
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
port = srv.getsockname()[1]
cli = socket.create_connection(("127.0.0.1", port))
acc, _ = srv.accept()
srv6 = socket.socket(socket.AF_INET6)
srv6.bind(("::1", 0))
srv6.listen(1)
cli6 = socket.create_connection(("::1", srv6.getsockname()[1]))
acc6, _ = srv6.accept()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
u2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u2.connect(u.getsockname())
print("ready %d %d" % (port, cli.getsockname()[1]), flush=True)
sys.stdin.readline()
for i in range(3):
    cli.send(b"ping")
    acc.recv(10)
    acc.send(b"pong")
    cli.recv(10)
    cli6.send(b"ping6")
    acc6.recv(10)
    u2.send(b"dgram")
    u.recvfrom(100)
