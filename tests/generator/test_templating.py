"""The template helpers of a build."""

from __future__ import annotations

from shop.generator.templating import Memo


def test_memo_makes_a_block_once_per_key_and_keeps_only_the_most_recently_used() -> None:
    memo = Memo(size=2)
    made: list[str] = []

    def block(text: str):
        return lambda: made.append(text) or f"<b>{text}</b>"

    assert memo("a", caller=block("a")) == "<b>a</b>"
    assert memo("a", caller=block("a")) == "<b>a</b>"
    memo("b", caller=block("b"))
    memo("a", caller=block("a"))  # "a" is now the most recently used
    memo("c", caller=block("c"))  # so "b" goes
    memo("a", caller=block("a"))
    memo("b", caller=block("b"))
    assert made == ["a", "b", "c", "b"]
