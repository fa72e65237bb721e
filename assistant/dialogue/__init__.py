"""Dialogue state per conversation: follow-ups, clarification answers, confirmations."""

from __future__ import annotations

from assistant.dialogue.conversation import ConversationState, ConversationStates
from assistant.dialogue.followup import answer_clarification, follow_up, is_follow_up
from assistant.dialogue.state import (
    CONFIRM,
    DENY,
    NEVERMIND,
    DialogueState,
    DialogueStore,
    Pending,
    parse_confirmation,
)

__all__ = [
    "CONFIRM",
    "DENY",
    "NEVERMIND",
    "ConversationState",
    "ConversationStates",
    "DialogueState",
    "DialogueStore",
    "Pending",
    "answer_clarification",
    "follow_up",
    "is_follow_up",
    "parse_confirmation",
]
