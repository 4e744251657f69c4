"""Tabulate the outcomes of the bad-input corpus (``bad_inputs.py``).

Usage (from the repository root)::

    PYTHONPATH=src python tests/robustness/outcomes.py
    python tests/robustness/outcomes.py --src /path/to/another/checkout/src  # e.g. before a fix

Each case runs in a forked child with a time limit and an address-space limit, so that a hang
or a huge allocation is recorded as such instead of stopping the run. Prints one table (the
columns of the robustness issue) and the cases whose outcome is not the wanted one.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def _child(index: int, memory_gb: float, conn: Any) -> None:
    from bad_inputs import all_cases, classify

    limit = int(memory_gb * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        conn.send(classify(all_cases()[index]))
    except BaseException as err:  # the runner must record, not die
        conn.send(("other exception", f"{type(err).__name__}: {err}"))


def _run(index: int, timeout: float, memory_gb: float) -> tuple[str, str]:
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(index, memory_gb, child))
    proc.start()
    if parent.poll(timeout):
        outcome = parent.recv()
        proc.join()
        return outcome
    proc.kill()
    proc.join()
    return "hang or memory", f"no answer within {timeout:.0f} s (exit code {proc.exitcode})"


def main() -> None:
    """Run every case and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, help="import flashpoint from this src folder")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per case")
    parser.add_argument("--memory-gb", type=float, default=3.0, help="address space per case")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every case")
    args = parser.parse_args()
    if args.src is not None:
        sys.path.insert(0, str(args.src.resolve()))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bad_inputs import OUTCOMES, all_cases

    import flashpoint

    cases = all_cases()
    print(f"flashpoint from {Path(flashpoint.__file__).parent}; {len(cases)} cases", flush=True)
    results = [_run(i, args.timeout, args.memory_gb) for i in range(len(cases))]
    tally = Counter(outcome for outcome, _ in results)
    wrong = [
        (case, outcome, detail)
        for case, (outcome, detail) in zip(cases, results, strict=True)
        if outcome != case.wanted
    ]
    print()
    print("| bad inputs tried | " + " | ".join(OUTCOMES) + " |")
    print("|---" * (len(OUTCOMES) + 1) + "|")
    print(f"| {len(cases)} | " + " | ".join(str(tally[o]) for o in OUTCOMES) + " |")
    print(
        f"\nnot as wanted: {len(wrong)} (of which marked xfail: "
        f"{sum(1 for c, _, _ in wrong if c.xfail)})"
    )
    for case, outcome, detail in wrong if not args.verbose else []:
        flag = f" [xfail: {case.xfail}]" if case.xfail else ""
        print(f"- {case.id}: {outcome} (wanted {case.wanted}){flag}: {detail[:240]!r}")
    if args.verbose:
        for case, (outcome, detail) in zip(cases, results, strict=True):
            print(f"- {case.id}: {outcome}: {detail[:240]!r}")


if __name__ == "__main__":
    main()
