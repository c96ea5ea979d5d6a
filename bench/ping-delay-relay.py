#!/usr/bin/env python3
"""Accuracy of `mqtk ping` where netem is not available: a TCP relay that holds every chunk
going to the broker for DELAY ms (one way) sits between the pinger and a throwaway mosquitto.
The same relay is then measured by a minimal reference pinger (a raw socket that writes the
two PINGREQ bytes and reads the two PINGRESP bytes), so mqtk's median can be compared with
DELAY and with the reference. Usage: bench/ping-delay-relay.py [PROBES]
Env: MQTK (default target/release/mqtk), DELAY_MS (default 5), PORT (default 18994),
INTERVAL between probes in seconds (default 0.05).
"""
import asyncio, json, os, socket, statistics, struct, subprocess, sys, tempfile, threading, time

probes = int(sys.argv[1]) if len(sys.argv) > 1 else 50
mqtk = os.environ.get("MQTK", "target/release/mqtk")
delay = float(os.environ.get("DELAY_MS", "5")) / 1000
broker_port = int(os.environ.get("PORT", "18994"))
INTERVAL = os.environ.get("INTERVAL", "0.05")

with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as conf:
    conf.write(f"listener {broker_port} 127.0.0.1\nallow_anonymous true\n")
    if os.getuid() == 0:
        conf.write("user root\n")
broker = subprocess.Popen(["mosquitto", "-c", conf.name], stderr=subprocess.DEVNULL)
time.sleep(0.5)

async def pipe(reader, writer, hold):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()
    async def sender():
        while True:
            due, data = await queue.get()
            if data is None:
                writer.close()
                return
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
    task = asyncio.create_task(sender())
    while data := await reader.read(65536):
        await queue.put((loop.time() + hold, data))
    await queue.put((0, None))
    await task

async def handle(client_reader, client_writer):
    broker_reader, broker_writer = await asyncio.open_connection("127.0.0.1", broker_port)
    client_writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    broker_writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    await asyncio.gather(pipe(client_reader, broker_writer, delay), pipe(broker_reader, client_writer, 0))

relay_port = None
def serve():
    global relay_port
    async def main():
        global relay_port
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        relay_port = server.sockets[0].getsockname()[1]
        await server.serve_forever()
    asyncio.run(main())
threading.Thread(target=serve, daemon=True).start()
while relay_port is None:
    time.sleep(0.01)

def reference(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client_id = b"ref-pinger"
    body = b"\x00\x04MQTT\x04\x02\x00\x3c" + struct.pack("!H", len(client_id)) + client_id
    s.sendall(bytes([0x10, len(body)]) + body)
    assert s.recv(4)[0] == 0x20
    rtts = []
    for _ in range(probes):
        start = time.perf_counter()
        s.sendall(b"\xc0\x00")
        assert s.recv(2) == b"\xd0\x00"
        rtts.append((time.perf_counter() - start) * 1000)
        time.sleep(float(INTERVAL))
    s.close()
    return sorted(rtts)

def mqtk_ping(port):
    out = subprocess.run([mqtk, "ping", "-h", "127.0.0.1", "-p", str(port), "-c", str(probes),
                          "-i", INTERVAL, "--json"], capture_output=True, check=True, text=True)
    return sorted(r["rtt_ms"] for r in map(json.loads, out.stdout.splitlines())
                  if r["type"] == "probe" and not r["lost"])

def show(name, rtts):
    q = statistics.quantiles(rtts, n=20)
    print(f"{name:34} min {rtts[0]:7.3f}  p10 {q[1]:7.3f}  p25 {q[4]:7.3f}  "
          f"median {statistics.median(rtts):7.3f}  max {rtts[-1]:7.3f} ms")

try:
    print(f"{probes} PINGREQ probes each; relay holds client->broker data {delay * 1000:.1f} ms")
    show("loopback, reference pinger", reference(broker_port))
    show("loopback, mqtk ping", mqtk_ping(broker_port))
    ref = reference(relay_port)
    mine = mqtk_ping(relay_port)
    show("via delay relay, reference pinger", ref)
    show("via delay relay, mqtk ping", mine)
    diff = statistics.median(mine) - delay * 1000
    print(f"mqtk median - delay = {diff:+.3f} ms; mqtk median - reference median = "
          f"{statistics.median(mine) - statistics.median(ref):+.3f} ms")
finally:
    broker.kill()
    os.unlink(conf.name)
