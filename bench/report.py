"""One table for every figure: what was measured, the value, its budget, the verdict."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

OK, OVER, ERROR, NOT_MEASURED, NOT_IN_APP, INFO = "ok", "OVER", "ERROR", "not measured", "not in app yet", "info"
FAILING = (OVER, ERROR)


@dataclass
class Row:
    section: str
    measure: str
    value: str
    budget: str
    verdict: str
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def verdict(ok: bool) -> str:
    return OK if ok else OVER


def render(rows: list[Row]) -> str:
    headers = ("section", "measure", "value", "budget", "verdict", "detail")
    cells = [headers, *[(r.section, r.measure, r.value, r.budget, r.verdict, r.detail) for r in rows]]
    widths = [max(len(str(c[i])) for c in cells) for i in range(5)]
    room = max(30, shutil.get_terminal_size((160, 20)).columns - sum(widths) - 2 * 5)
    lines = []
    for n, cell in enumerate(cells):
        detail = str(cell[5])
        detail = detail if len(detail) <= room else detail[: room - 1] + "…"
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(cell[:5], widths, strict=True)) + "  " + detail)
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * min(room, 40))
    return "\n".join(line.rstrip() for line in lines)


def markdown(rows: list[Row]) -> str:
    """The same table for README.md; routes that make no DynamoDB call share one line."""
    silent = [r for r in rows if r.section == "dynamodb calls" and r.value == "0" and r.verdict == OK
              and r.measure.startswith("GET ")]
    out = ["| section | measure | value | budget | verdict |", "|---|---|---|---|---|"]
    for r in rows:
        if r in silent:
            if r is silent[0]:
                out.append(f"| dynamodb calls | {len(silent)} GET routes (pages, assets, config, OpenAPI) | 0 | "
                           f"≤ 0 | ok |")
            continue
        out.append(f"| {r.section} | `{r.measure}` | {r.value} | {r.budget} | {r.verdict} |")
    return "\n".join(out)


def write(path: Path, rows: list[Row], meta: dict[str, Any]) -> None:
    failing = [r.measure for r in rows if r.verdict in FAILING]
    document = {**meta, "ok": not failing, "failing": failing, "rows": [asdict(r) for r in rows]}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
