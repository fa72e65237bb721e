"""Make the source tree's ``benchmarks/`` importable (it is a folder of scripts, not an installed package)."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
