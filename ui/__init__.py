"""The Gradio web UI: display and input only (the engine lives in ``assistant``).

``ui.app.create_app(assistant)`` builds the app; ``ui.server.serve(assistant, host=..., port=...)`` runs it.
"""

from __future__ import annotations

__all__: list[str] = []
