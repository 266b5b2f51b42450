#!/usr/bin/env python3
"""The toy simulator made deliberately slow: 0.2 s per design, like an external simulator
that takes real time. For throughput-under-load measurements (README, "Running on a Ray
cluster"): ``python slow_sim.py IN OUT``."""

from __future__ import annotations

import csv
import runpy
import sys
import time
from pathlib import Path

with open(sys.argv[1], newline="") as f:
    rows = sum(1 for _ in csv.DictReader(f))
time.sleep(0.2 * rows)
sys.argv = [str(Path(__file__).with_name("toy_chip_sim.py")), *sys.argv[1:]]
runpy.run_path(sys.argv[0], run_name="__main__")
