#!/usr/bin/env python
"""Parse every BPMN2 file under a directory and summarise how many load and why the others fail.

    python scripts/bpmn_bulk_check.py DIR [DIR...] [--parser module:function] [--list] [--top N] [--start]

DIR is searched recursively for *.bpmn2 and *.bpmn files (e.g. kiegroup/jbpm's
jbpm-bpmn2/src/test/resources, fetched outside the repo - never commit those files).  The parser
defaults to the project's `containers.bpmn:parse_processes` (the engine the process service runs); any callable taking
(xml_text, source_name) and returning the processes (or raising) can be named instead.

--start also starts every parsed process once in memory (containers.bpmn, no variables, built-in work item
handlers) and reports how many start and why the others stop (missing variables, XPath/rule/FEEL
conditions, ...).

Failure reasons are grouped by their message with ids, names, paths and numbers blanked, so
"unsupported element <x> 'id-1'" and "... 'id-2'" count as one reason.
"""
from __future__ import annotations

import argparse
import collections
import importlib
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_NORMALISERS = [
    (re.compile(r"^[^:]*\.bpmn2?(:\d+)?: "), ""),            # leading "file[:line]: "
    (re.compile(r"\bprocess \S+ "), "process … "),          # process ids
    (re.compile(r"'[^']*'"), "'…'"),                         # quoted ids / names
    (re.compile(r"\"[^\"]*\""), "\"…\""),
    (re.compile(r"\[[^\]]*\]"), "[…]"),
    (re.compile(r"(?<![A-Za-z])_[0-9A-Fa-f-]{6,}[^\s,:)]*"), "<id>"),
    (re.compile(r"\b\d+\b"), "N"),
]


def reason_of(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for rx, rep in _NORMALISERS:
        text = rx.sub(rep, text)
    return f"{type(exc).__name__}: {text}"[:160]


def find_files(dirs):
    out = []
    for d in dirs:
        if os.path.isfile(d):
            out.append(d)
            continue
        for root, _dirs, files in os.walk(d):
            for f in files:
                if f.endswith((".bpmn2", ".bpmn")):
                    out.append(os.path.join(root, f))
    return sorted(out)


def load_parser(spec):
    mod, _, fn = spec.partition(":")
    return getattr(importlib.import_module(mod), fn or "parse_processes")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--parser", default="containers.bpmn:parse_processes")
    ap.add_argument("--list", action="store_true", help="print every failing file with its reason")
    ap.add_argument("--top", type=int, default=25, help="how many failure reasons to print")
    ap.add_argument("--start", action="store_true", help="also start every parsed process once (containers.bpmn)")
    args = ap.parse_args(argv)
    parse = load_parser(args.parser)
    files = find_files(args.dirs)
    if not files:
        print("no .bpmn/.bpmn2 files found")
        return 1
    ok = 0
    processes = 0
    reasons = collections.Counter()
    examples = {}
    failures = []
    parsed = []
    started = time.perf_counter()
    for path in files:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
            result = parse(text, os.path.basename(path))
            ok += 1
            processes += len(result) if isinstance(result, (list, tuple)) else 1
            if args.start:
                for d in result if isinstance(result, (list, tuple)) else [result]:
                    parsed.append((path, d))
        except Exception as e:  # noqa: BLE001 - every failure is a data point
            r = reason_of(e)
            reasons[r] += 1
            examples.setdefault(r, os.path.relpath(path, args.dirs[0]) if os.path.isdir(args.dirs[0]) else path)
            failures.append((path, r))
    elapsed = time.perf_counter() - started
    total = len(files)
    print(f"parser: {args.parser}")
    print(f"files: {total}  loaded: {ok} ({100.0 * ok / total:.1f}%)  failed: {total - ok}  "
          f"processes: {processes}  time: {elapsed:.2f}s")
    if reasons:
        print(f"\nmain failure reasons ({len(reasons)} distinct):")
        for r, n in reasons.most_common(args.top):
            print(f"  {n:4d}  {r}    e.g. {examples[r]}")
    kinds = collections.Counter()
    for _path, r in failures:
        if "not run" not in r and "unsupported" not in r:
            continue
        for k in set(re.findall(r"<?([A-Za-z]+)>? '…'", r)):
            kinds[k] += 1
    if kinds:
        print("\nfiles refused per element kind named in the reasons:")
        for k, n in kinds.most_common(args.top):
            print(f"  {n:4d}  {k}")
    if args.list:
        print("\nfailing files:")
        for path, r in failures:
            print(f"  {path}: {r}")
    if args.start:
        start_all(parsed, args)
    return 0


def start_all(parsed, args):
    """Start each parsed process once in memory; count starts and group the reasons of the others."""
    import signal
    from containers.bpmn import Environment, default_handlers, start_process

    class _Slow(Exception):
        pass

    def _alarm(*_a):
        raise _Slow("still running after 5 s")
    signal.signal(signal.SIGALRM, _alarm)
    good, reasons, examples = 0, collections.Counter(), {}
    for path, d in parsed:
        env = Environment(handlers=default_handlers(out=lambda s: None), stdout=lambda s: None)
        signal.alarm(5)
        try:
            start_process(d, {}, env=env, instance_id=1)
            good += 1
        except Exception as e:  # noqa: BLE001 - every failure is a data point
            r = reason_of(e).replace("[…] -- ", "")
            reasons[r] += 1
            examples.setdefault(r, os.path.basename(path))
        finally:
            signal.alarm(0)
    print(f"\nstarted with no variables: {good} of {len(parsed)} processes")
    for r, n in reasons.most_common(args.top):
        print(f"  {n:4d}  {r}    e.g. {examples[r]}")


if __name__ == "__main__":
    sys.exit(main())
