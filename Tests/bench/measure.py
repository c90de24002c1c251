#!/usr/bin/env python3
"""Runs a command and prints its wall time and peak memory (the child's
maximum resident set size), without relying on GNU time being installed."""
import resource
import subprocess
import sys
import time

start = time.monotonic()
proc = subprocess.run(sys.argv[1:])
wall = time.monotonic() - start
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"wall time: {wall:.2f} s, peak memory: {peak_kib / 1024:.1f} MiB, exit code: {proc.returncode}")
sys.exit(proc.returncode)
