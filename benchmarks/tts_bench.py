"""TTS time-to-first-audio per engine: ``python benchmarks/tts_bench.py [--json]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.asr.evaluate import tts_first_audio

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Print first-audio and total synthesis times for espeak-ng and (if installed) Piper."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--text", default=None)
    args = parser.parse_args(argv)
    report = tts_first_audio(args.text) if args.text else tts_first_audio()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for engine, figures in report.items():
            print(f"{engine}: {figures}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
