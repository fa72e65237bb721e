"""The FAQ skill: answers questions from the knowledge base with cited sources, or says it does not know."""

from __future__ import annotations

from skills.faq.skill import FaqSkill

__all__ = ["FaqSkill"]
