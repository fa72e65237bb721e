"""The app's tabs, one module each: ``build`` makes a tab's components (returned by name in a frozen dataclass) inside
the current ``gr.Tab``, ``wire`` connects its callbacks once every tab exists. ``common`` holds what they share."""
