"""The template helpers of a build."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from markupsafe import escape as markupsafe_escape

from shop.generator.templating import Memo, TrackingEnvironment, escape


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


def test_a_builds_memo_holds_every_card_of_a_catalog_up_to_its_limit() -> None:
    def room(memo: Memo) -> int:
        for i in range(Memo.LIMIT + 1):
            memo(i, caller=lambda: "")
        return sum(1 for i in range(Memo.LIMIT + 1) if memo._cache.get((i,)) is not None)

    assert room(Memo.for_catalog(1_000, 30)) == 2 * 1_000 + 4 * 30 + 64
    assert room(Memo.for_catalog(50_000, 1_100)) == Memo.LIMIT


class _Html:
    def __html__(self) -> str:
        return "<i>mine</i>"


@given(
    st.one_of(
        st.text(),
        st.text().map(Markup),
        st.integers(),
        st.booleans(),
        st.floats(allow_nan=False),
        st.none(),
        st.just(_Html()),
    )
)
def test_escape_gives_what_markupsafe_gives(value: object) -> None:
    mine = escape(value)
    assert type(mine) is Markup
    assert mine == markupsafe_escape(value)


def test_templates_escape_with_it_and_still_escape() -> None:
    env = TrackingEnvironment(autoescape=True)
    template = env.from_string("{{ a }}|{{ b }}|{{ n }}|{{ m }}")
    assert template.root_render_func.__globals__["escape"] is escape
    out = template.render(a="<script>&'\"", b=Markup("<em>ok</em>"), n=-3, m=_Html())
    assert out == "&lt;script&gt;&amp;&#39;&#34;|<em>ok</em>|-3|<i>mine</i>"
