#!/usr/bin/env python3
"""Runs a command that must fail cleanly: exit code 1 (not a signal or an
abort), exactly one line on stderr, nothing on stdout, and none of the
--absent paths created. Prints the stderr line for FileCheck.

  check_error.py [--absent PATH]... -- command args...
"""
import os
import subprocess
import sys

args = sys.argv[1:]
absent = []
while args and args[0] == "--absent":
    absent.append(args[1])
    args = args[2:]
assert args and args[0] == "--", "usage: check_error.py [--absent P]... -- cmd"
cmd = args[1:]
r = subprocess.run(cmd, capture_output=True, text=True)
lines = r.stderr.splitlines()
problems = []
if r.returncode != 1:
    problems.append(f"exit code {r.returncode}, expected 1")
if len(lines) != 1:
    problems.append(f"{len(lines)} lines on stderr, expected 1")
if r.stdout:
    problems.append("unexpected stdout output")
for p in absent:
    if os.path.exists(p):
        problems.append(f"{p} was left behind")
leftovers = [f for p in absent for f in os.listdir(os.path.dirname(p) or ".")
             if ".tmp-" in f] if absent else []
if leftovers:
    problems.append(f"temporary files left: {leftovers}")
print(r.stderr, end="")
if problems:
    print("check_error: " + "; ".join(problems))
    sys.exit(1)
