"""What exporting a torch model (ONNX + its onnxruntime check, pipeline/export.py) adds to saving it in a step.

Each sample is a fresh Python process, as a step is: it trains the example's MLP (examples/torch-train.ipynb's
train step: 10-32-2, 640 rows) and times `_save_model` without the export (`_export_model` replaced by a no-op),
with it (`cold`: a plain kfp.local subprocess), and with it after the imports the fork server of warm local runs
does beforehand (`warm`: runs/forkserver.EXPORT_MODULES), in random order. Prints the medians, the added time, and
the export's own record (its check's largest difference between onnxruntime and the eager model).

Run: `python bench/export.py [SAMPLES]`.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SAMPLE = r"""
import json, sys, tempfile, time, types
import numpy as np
import torch
from torch import nn
from ai4mlops_lab.pipeline import runtime

rng = np.random.default_rng(0)
x = rng.normal(size=(640, 10)).astype(np.float32)
y = (x @ rng.normal(size=10).astype(np.float32) > 0).astype(np.int64)
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(40):
    optimizer.zero_grad()
    nn.CrossEntropyLoss()(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    optimizer.step()
if sys.argv[1] == "without":
    runtime._export_model = lambda *args: None
if sys.argv[1] == "warm":
    import importlib
    from ai4mlops_lab.runs.forkserver import EXPORT_MODULES
    for name in EXPORT_MODULES:
        importlib.import_module(name)
artifact = types.SimpleNamespace(path=tempfile.mkdtemp() + "/model", metadata={})
started = time.perf_counter()
runtime._save_model(model, artifact, {"x_train": x}, {}, None, 10000)
print(json.dumps({"seconds": time.perf_counter() - started, "export": artifact.metadata["model"]["export"]}))
"""


def sample(mode: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SAMPLE, mode], cwd=ROOT, capture_output=True, text=True, check=True, timeout=300
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(samples: int) -> None:
    times = {"without": [], "cold": [], "warm": []}
    record = None
    for _ in range(samples):
        for mode in random.sample(list(times), len(times)):
            result = sample(mode)
            times[mode].append(result["seconds"])
            record = result["export"] if mode != "without" else record
    medians = {mode: statistics.median(values) for mode, values in times.items()}
    for mode, values in times.items():
        print(f"save, {mode:<8} median {medians[mode] * 1000:5.0f} ms  {[round(t * 1000) for t in values]}")
    for mode in ("cold", "warm"):
        print(f"added by the export ({mode}): {(medians[mode] - medians['without']) * 1000:.0f} ms per saved model")
    print(f"export record: {json.dumps(record)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
