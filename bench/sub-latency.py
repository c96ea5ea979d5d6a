#!/usr/bin/env python3
"""How long a sparse message takes to reach a pipe through `mqtk sub`.

Starts a throwaway mosquitto, runs `mqtk sub -F %U` (the receive time) into a pipe, publishes
one message every 200 ms, and reports pipe-read time minus receive time (min/median/max).
Usage: bench/sub-latency.py [COUNT]   Env: MQTK (default target/release/mqtk), PORT (18992).
"""
import os, statistics, subprocess, sys, tempfile, time

count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
mqtk = os.environ.get("MQTK", "target/release/mqtk")
port = os.environ.get("PORT", "18992")
with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as conf:
    conf.write(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
    if os.getuid() == 0:
        conf.write("user root\n")
broker = subprocess.Popen(["mosquitto", "-c", conf.name], stderr=subprocess.DEVNULL)
time.sleep(0.5)
sub = subprocess.Popen([mqtk, "sub", "-p", port, "-t", "lat", "-F", "%U"], stdout=subprocess.PIPE)
time.sleep(0.5)
lat = []
try:
    for i in range(count):
        publisher = subprocess.Popen([mqtk, "pub", "-p", port, "-t", "lat", "-m", str(i)])
        line = sub.stdout.readline()
        lat.append((time.time() - float(line)) * 1000)
        publisher.wait()
        time.sleep(0.2)
finally:
    sub.kill()
    broker.kill()
    os.unlink(conf.name)
lat.sort()
print(f"{count} sparse messages, receive -> pipe read: min {lat[0]:.3f} ms, "
      f"median {statistics.median(lat):.3f} ms, max {lat[-1]:.3f} ms")
