"""A scheduler in its own process for the tests: `ticker.py STORE NOW GO_FILE` waits for GO_FILE, ticks at the fixed
time NOW a few times and prints the `schedule@due` of every run it started as JSON."""

import json
import os
import sys
import time

from ai4mlops_lab.scheduling import Scheduler

store, now, go = sys.argv[1], float(sys.argv[2]), sys.argv[3]
started = []
scheduler = Scheduler(
    store, lambda schedule, due: started.append(f"{schedule['name']}@{due.isoformat()}") or "r", lambda: now
)
print("ready", flush=True)
deadline = time.monotonic() + 30
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.001)
for _ in range(3):
    scheduler.tick()
print(json.dumps(started), flush=True)
