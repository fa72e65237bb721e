"""The whole assistant on a real PostgreSQL store (store.url): turns, confirmations, owners and history, and a second
assistant process on the same database seeing them."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant
from tests.postgres import (
    PostgresServer,
    postgres,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.slow


def test_the_assistant_runs_on_postgresql(postgres: PostgresServer, tmp_path: Path) -> None:  # noqa: F811
    url = postgres.database()
    first = Assistant.create(data_dir=str(tmp_path / "one"), store={"url": url})
    second = Assistant.create(data_dir=str(tmp_path / "two"), store={"url": url})
    try:
        assert first.db.dialect == "postgresql"
        r = first.handle_text("turn on the kitchen light", owner="alice")
        assert r.actions and r.actions[0].success, r.reply
        asked = first.handle_text("unlock the front door", conversation_id=r.conversation_id, owner="alice")
        assert asked.needs_confirmation
        done = first.handle_text("yes", conversation_id=r.conversation_id, owner="alice")
        assert done.actions and done.actions[0].confirmed_by_user
        # another process on the same database: the history, the owner and the search are shared
        assert [t.user_text for t in second.db.conversations.turns(r.conversation_id)] == [
            "turn on the kitchen light", "unlock the front door", "yes"]  # fmt: skip
        assert second.db.conversations.owner_of(r.conversation_id) == "alice"
        assert [c.id for c in second.db.conversations.list_conversations(owner="alice")] == [r.conversation_id]
        refused = second.handle_text("turn off the kitchen light", conversation_id=r.conversation_id, owner="bob")
        assert refused.error == "conversation-forbidden"
        assert second.db.conversations.search_turns("KITCHEN", owner="alice")
        # a confirmation asked on one worker is answered on the other, exactly once
        again = first.handle_text("open the garage door", conversation_id=r.conversation_id, owner="alice")
        assert again.needs_confirmation and second.pending(r.conversation_id, owner="alice") is not None
        answered = second.handle_text("yes", conversation_id=r.conversation_id, owner="alice")
        assert answered.actions and all(a.success and a.confirmed_by_user for a in answered.actions), answered.reply
        assert second.home.states()["cover.garage_door"]["state"] == "open"
        late = first.handle_text("yes", conversation_id=r.conversation_id, owner="alice")
        assert late.actions == () and first.home.states()["cover.garage_door"]["state"] == "closed"
        # a follow-up on the other worker refers to what this one did
        lit = first.handle_text("turn on the living room lamps", conversation_id=r.conversation_id, owner="alice")
        assert lit.actions and lit.actions[0].success, lit.reply
        off = second.handle_text("turn it off", conversation_id=r.conversation_id, owner="alice")
        assert [x.entity_id for x in off.actions] == [lit.actions[0].entity_id], off.reply
    finally:
        first.close()
        second.close()
