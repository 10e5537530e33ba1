#!/usr/bin/env python3
"""Holds N idle keep-alive connections to a running server and measures how fast others are
served meanwhile.  Usage: idle-connections.py PORT N SERVER_PID
(start e.g. HTTPBenchServer --port 18080 first; needs `ulimit -n` above N on both sides)."""
import socket, sys, time, resource
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
port = int(sys.argv[1]); n = int(sys.argv[2])
def timed_request():
    t = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        d = s.recv(4096)
        if not d: break
        data += d
    s.close()
    assert data.startswith(b"HTTP/1.1 200"), data[:40]
    return (time.perf_counter() - t) * 1000
base = sorted(timed_request() for _ in range(200))
idle = []
t = time.time()
for i in range(n):
    idle.append(socket.create_connection(("127.0.0.1", port)))
print(f"opened {n} idle connections in {time.time()-t:.2f}s")
time.sleep(1)
loaded = sorted(timed_request() for _ in range(200))
print(f"request latency without: p50 {base[100]:.3f} ms p99 {base[198]:.3f} ms; with {n} idle: p50 {loaded[100]:.3f} ms p99 {loaded[198]:.3f} ms")
# the idle ones still work
ok = 0
for s in idle[::1000]:
    s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
    if s.recv(4096).startswith(b"HTTP/1.1 200"): ok += 1
print(f"sampled idle connections answering: {ok}/{len(idle[::1000])}")
print("server VmHWM:", open(f"/proc/{sys.argv[3]}/status").read().split("VmHWM:")[1].split("\n")[0].strip())
