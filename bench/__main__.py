"""`make bench` (python -m bench): measure Portico against bench/budgets.json.

Prints one table and writes bench/results.json. Exits 1 when a figure is over its budget
or could not be measured because something broke.

  python -m bench                       everything
  python -m bench --only calls,portal   some parts (calls hotkeys growth coldstart memory package portal cpu
                                        timing search cost mail-in)
  python -m bench --rows 1000,100000    table sizes for the items-read check
  python -m bench --markdown            also print the table as Markdown (for README.md)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

PARTS = ("calls", "hotkeys", "growth", "coldstart", "memory", "package", "portal", "cpu", "timing", "search", "cost",
         "mail-in")
RESULTS = Path(__file__).resolve().parent / "results.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts to run")
    parser.add_argument("--rows", default="1000,10000", help="table sizes for the items-read check")
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown parts: {', '.join(unknown)} (known: {', '.join(PARTS)})")
    sizes = [int(n) for n in args.rows.split(",")]

    import warnings

    warnings.filterwarnings("ignore", category=UserWarning, module="chalice.local")
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    from bench import dynamo
    from bench.environment import local_stack
    from bench.report import FAILING, markdown, render, write
    from bench.sections import run_parts

    dynamo.install()
    started = time.time()
    # The app's EMF metrics and stray prints go to stdout in Lambda; here only the table does.
    with local_stack() as local, contextlib.redirect_stdout(io.StringIO()):
        rows = run_parts(local, parts, sizes)
    print(render(rows))
    if args.markdown:
        print("\n" + markdown(rows))
    failing = [r for r in rows if r.verdict in FAILING]
    write(RESULTS, rows, {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                          "seconds": round(time.time() - started, 1), "parts": parts, "rows_checked": sizes})
    print(f"\n{len(rows)} rows, {len(failing)} over budget or broken; written to {RESULTS.relative_to(Path.cwd())}"
          if RESULTS.is_relative_to(Path.cwd()) else f"\nwritten to {RESULTS}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
