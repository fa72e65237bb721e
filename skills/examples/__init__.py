"""Example skills from the skill guide (``skills/README.md``); not registered as entry points."""
