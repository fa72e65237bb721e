"""The shared vocabulary of the assistant: typed messages, engine protocols, home API types, device intents and the
skill plugin API.

Every other package (the engine in ``assistant``, ``skills``, ``devices``, ``ui``) imports this one; it imports
nothing of ours and nothing outside the standard library, so a skill or a device integration depends on this
package alone (the way ``wyoming`` is its own package). import-linter checks both rules (pyproject.toml).

- ``contracts.messages``: frozen dataclasses passed between stages (Transcript, IntentMatch, SkillResult, Turn...),
  ``ErrorCode`` and ``AssistantError``.
- ``contracts.engines``: one Protocol per engine (SpeechRecognizer, LanguageModel, Retriever, Embedder...).
- ``contracts.home``: the home API (Entity, Area, Floor, RiskTier, HomeApi).
- ``contracts.features``: Home Assistant's supported-feature flags, services per domain, colour names.
- ``contracts.intents``: device intents and the service that carries each out on an entity.
- ``contracts.skills``: the skill plugin API (Skill, @intent, IntentSpec, SkillContext, Permission, SkillHost).
"""
