"""A subprocess for the kill -9 test: runs brightness commands in one conversation, printing each committed turn.

Usage: python kill_driver.py DATA_DIR CONVERSATION_ID TEXT...   (loops over the texts until killed)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> None:
    """Run turns forever; after each stored turn print one JSON line (the parent kills us with SIGKILL)."""
    data_dir, conversation_id, *texts = sys.argv[1:]
    os.environ["ASSISTANT_DATA_DIR"] = data_dir
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.reliability.helpers import build_assistant

    assistant = build_assistant(Path(data_dir), nlu={"semantic": False}, sentiment={"engine": "vader"})
    print(json.dumps({"ready": True}), flush=True)
    i = 0
    while True:
        text = texts[i % len(texts)]
        result = assistant.handle_text(text, conversation_id=conversation_id)
        states = assistant.home.states()
        print(
            json.dumps(
                {
                    "i": i,
                    "turn_id": result.turn_id,
                    "text": text,
                    "error": result.error,
                    "actions": [[a.entity_id, a.success] for a in result.actions],
                    "states": {a.entity_id: states.get(a.entity_id) for a in result.actions},
                }
            ),
            flush=True,
        )
        i += 1


if __name__ == "__main__":
    main()
