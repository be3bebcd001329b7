#!/usr/bin/env python3
"""Compile every DRL file of a git repository (one file per knowledge base) and group the errors.

A tool for finding DRL forms the parser or compiler does not take yet, e.g. on kiegroup/drools 7.x:

    PYTHONPATH=. python scripts/drl_sweep.py /work/.mirror/kiegroup+drools/repo --ref 7.x --under drools-examples

Files that test compile errors on purpose fail too; read the examples before counting them.
"""
import argparse
import collections
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from containers.rules import build_kbase  # noqa: E402
from containers.values import TypeRegistry  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("git_dir", help="a git directory (a bare mirror works)")
    ap.add_argument("--ref", default="HEAD")
    ap.add_argument("--under", default="", help="only paths starting with this")
    ap.add_argument("--show", type=int, default=40, help="error kinds to list")
    args = ap.parse_args()
    files = subprocess.run(["git", "-C", args.git_dir, "ls-tree", "-r", "--name-only", args.ref],
                           capture_output=True, text=True, check=True).stdout.split()
    drls = [f for f in files if f.endswith(".drl") and f.startswith(args.under)]

    def timeout(*_a):
        raise TimeoutError("took more than 5 s")
    signal.signal(signal.SIGALRM, timeout)
    ok = 0
    kinds = collections.Counter()
    example = {}
    for f in drls:
        src = subprocess.run(["git", "-C", args.git_dir, "show", f"{args.ref}:{f}"],
                             capture_output=True, text=True).stdout
        signal.alarm(5)
        try:
            build_kbase([(f.rsplit("/", 1)[-1], src)], TypeRegistry())
            ok += 1
        except Exception as e:  # noqa: BLE001 - every failure is a finding
            for msg in str(e).split("\n")[:3]:
                kind = re.sub(r"'[^']*'", "'X'", re.sub(r"^.*?\]: ", "", msg))[:80]
                kinds[kind] += 1
                example.setdefault(kind, f"{f}: {msg[:160]}")
        finally:
            signal.alarm(0)
    print(f"{ok} of {len(drls)} files compile")
    for kind, n in kinds.most_common(args.show):
        print(f"{n:>4}  {kind}\n      e.g. {example[kind]}")


if __name__ == "__main__":
    main()
