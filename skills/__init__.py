"""Skills: the plugin API (``skills.api``), the registry (``skills.registry``) and the built-in skills."""
