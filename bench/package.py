"""The deployment package: `chalice package`'s zip (what Lambda gets) and what fills it.

Chalice pip-installs requirements.txt for the Lambda platform (from PyPI) and caches the
result in .chalice/deployments/ keyed by the requirements, so only the first run is slow.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.environment import ROOT

MB = 1024 * 1024


@dataclass
class Package:
    zips: dict[str, int]  # file name -> bytes
    contributors: list[tuple[str, int, int]]  # (top-level entry, compressed bytes, uncompressed bytes)

    @property
    def total(self) -> int:
        return sum(self.zips.values())


def _distribution(entry: str) -> str:
    """Group `botocore-1.44.8.dist-info` with `botocore`, `_cffi_backend.so` stays itself."""
    if entry.endswith((".dist-info", ".data")):
        return entry.split("-", 1)[0]
    return entry


def contributors(zip_paths: list[Path]) -> list[tuple[str, int, int]]:
    compressed: Counter = Counter()
    uncompressed: Counter = Counter()
    for path in zip_paths:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                top = _distribution(info.filename.split("/", 1)[0])
                compressed[top] += info.compress_size
                uncompressed[top] += info.file_size
    return [(name, size, uncompressed[name]) for name, size in compressed.most_common()]


def build(stage: str = "dev") -> Package:
    with tempfile.TemporaryDirectory(prefix="bench-package-") as tmp:
        out = Path(tmp) / "out"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")}
        env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        env["PIP_NO_DEPS"] = "1"  # as deployed: requirements.txt is the whole closure but botocore
        chalice = Path(sys.executable).with_name("chalice")
        result = subprocess.run([str(chalice), "package", "--stage", stage, str(out)], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=1200)
        if result.returncode != 0:
            raise RuntimeError(f"chalice package failed: {(result.stderr or result.stdout).strip()[-400:]}")
        zips = sorted(out.glob("*.zip"))
        return Package({z.name: z.stat().st_size for z in zips}, contributors(zips))
