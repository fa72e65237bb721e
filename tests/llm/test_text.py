"""Stop-string scanning and plain chat prompts."""

from __future__ import annotations

from assistant.llm.text import StopScanner, plain_chat_prompt


def _stream(pieces: list[str], stops: list[str]) -> str:
    scanner = StopScanner(stops)
    text, out = "", []
    for piece in pieces:
        text += piece
        out.append(scanner.feed(text))
        if scanner.stopped:
            break
    else:
        out.append(scanner.feed(text, final=True))
    return "".join(out)


def test_stop_split_across_pieces_is_not_emitted() -> None:
    assert _stream(["Hello", " there\nUs", "er: hi"], ["\nUser:"]) == "Hello there"


def test_partial_stop_prefix_is_released_at_the_end() -> None:
    assert _stream(["Hello", " there\nUs"], ["\nUser:"]) == "Hello there\nUs"


def test_earliest_stop_wins() -> None:
    assert _stream(["a. b, c"], [",", "."]) == "a"


def test_no_stops_streams_everything() -> None:
    assert _stream(["x", "y", "z"], []) == "xyz"


def test_plain_chat_prompt_has_roles_and_example() -> None:
    prompt = plain_chat_prompt([{"role": "system", "content": "Be brief."}, ("user", "Hi there")])
    assert prompt.startswith("Be brief.")
    assert "User: Hi there\nAssistant:" in prompt
    assert prompt.endswith("Assistant:")
    assert prompt.count("User:") == 2  # the example exchange + the question
