"""Unit tests of the load benchmark's store audit: it must catch lost, duplicated, cross-wired and reordered turns."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.load_bench import ClientLog, _assign, _parse_chat_result, audit_store


@dataclass
class _Turn:
    user_text: str


class _Repo:
    def __init__(self, rows: dict[str, list[str]]) -> None:
        self.rows = rows

    def turns(self, conversation_id: str) -> list[_Turn]:
        return [_Turn(t) for t in self.rows[conversation_id]]


class _Db:
    def __init__(self, rows: dict[str, list[str]]) -> None:
        self.conversations = _Repo(rows)


def _logs() -> list[ClientLog]:
    return [
        ClientLog(client=0, conversation_id="a", texts=["a1", "a2", "a3"]),
        ClientLog(client=1, conversation_id="b", texts=["b1", "b2"]),
    ]


def test_a_faithful_store_passes() -> None:
    audit = audit_store(_Db({"a": ["a1", "a2", "a3"], "b": ["b1", "b2"]}), _logs())
    assert audit.ok and audit.stored_turns == audit.expected_turns == 5


def test_lost_duplicated_cross_wired_and_reordered_turns_are_caught() -> None:
    lost = audit_store(_Db({"a": ["a1", "a3"], "b": ["b1", "b2"]}), _logs())
    assert not lost.ok and lost.lost == 1
    dup = audit_store(_Db({"a": ["a1", "a2", "a2", "a3"], "b": ["b1", "b2"]}), _logs())
    assert not dup.ok and dup.duplicated == 1
    cross = audit_store(_Db({"a": ["a1", "a2", "a3", "b2"], "b": ["b1"]}), _logs())
    assert not cross.ok and cross.cross_wired == 1 and cross.lost == 1
    order = audit_store(_Db({"a": ["a2", "a1", "a3"], "b": ["b1", "b2"]}), _logs())
    assert not order.ok and order.out_of_order == 1
    foreign = audit_store(_Db({"a": ["a1", "a2", "a3", "zz"], "b": ["b1", "b2"]}), _logs())
    assert not foreign.ok and foreign.foreign == 1


def test_assign_gives_each_client_distinct_texts() -> None:
    texts = [f"t{i}" for i in range(12)]
    plan = _assign(texts, clients=3, turns=4)
    assert sorted(t for row in plan for t in row) == sorted(texts)
    assert plan[0] == ["t0", "t3", "t6", "t9"]


def test_chat_answers_in_the_ui_shape_are_parsed() -> None:
    assert _parse_chat_result(("Done.", {"conversation_id": "c1", "reply": "Done."}), None) == ("Done.", "c1")
    assert _parse_chat_result({"reply": "Hi", "conversation_id": "c2"}, None) == ("Hi", "c2")
    assert _parse_chat_result(["Hi", "c3"], None) == ("Hi", "c3")
