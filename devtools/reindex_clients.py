"""`make reindex-clients [ARGS="--stage prod"]` / `python -m devtools.reindex_clients`: write the
client directory's search items (`?q=` on GET /agent/clients) for every client, once after
deploying the version that added the directory (clients written before it are not found by
name until then). Queries and batch writes only, never a Scan; safe to run again.

Without --stage it works on the running local stack (.local/stack.json); `--stage NAME` works
on that deployed stage's users table with your usual AWS credentials (AWS_PROFILE, AWS_REGION).
"""

from __future__ import annotations

import argparse
import sys

from devtools.mail_ops import use_stage


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reindex-clients", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", help="a deployed stage (default: the local stack)")
    parser.add_argument("--page-size", type=int, default=100, help="clients read per Query page")
    args = parser.parse_args(argv)
    use_stage(args.stage)
    from chalicelib.services.client_directory import reindex_all

    report = reindex_all(page_size=args.page_size)
    print(f"examined {report.examined} clients, updated {report.updated}, "
          f"skipped {report.skipped} (changed meanwhile: indexed by that change)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
