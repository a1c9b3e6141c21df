"""Pin the numeric libraries' thread pools to `--threads N` of the command line (default 1).

Thread pools are sized when numpy / torch load, so a benchmark imports this module before them."""

from __future__ import annotations

import os
import sys


def threads_from_argv() -> str:
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return "1"


for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = threads_from_argv()
