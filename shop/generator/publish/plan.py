"""What a publish or rollback does, and in which order, so no shopper meets a broken page.

The order of writes:

1. bytes into the content store (`_shop/objects/`), which no page refers to;
2. new and changed assets (css, js, fonts, images, search index chunks): whatever a page
   may point at exists before any page that points at it;
3. new pages, then changed pages: a new page is reachable only through a changed page or
   an index, so it is in place before anything links to it;
4. indexes (sitemap, feeds, robots.txt, the search entry point), which point at pages;
5. deletions, once nothing published refers to what goes;
6. the records: the release, then `current.json` last.

Each stage finishes before the next begins. Stopped anywhere, the live site is the old
release with some files already new, every one of them complete and pointing at files that
exist; the next run starts from the record that still says "old" and finishes the job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shop.generator.publish.files import FileEntry, Files
from shop.generator.publish.headers import Kind, kind_of


@dataclass(frozen=True, slots=True)
class Step:
    path: str
    entry: FileEntry


@dataclass(slots=True)
class Plan:
    store: list[Step] = field(default_factory=list)  # one per new content hash
    stages: list[tuple[str, list[Step]]] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)  # files the release no longer has
    stray: list[str] = field(default_factory=list)  # left by an unfinished run; not live
    unchanged: int = 0
    changed_pages: list[str] = field(default_factory=list)  # replaced or deleted html

    @property
    def writes(self) -> list[Step]:
        return [step for _, steps in self.stages for step in steps]

    @property
    def store_bytes(self) -> int:
        return sum(step.entry.size for step in self.store)

    @property
    def has_changes(self) -> bool:
        return bool(self.writes or self.deletes or self.stray)

    @property
    def operations(self) -> int:
        return len(self.store) + len(self.writes) + len(self.deletes) + len(self.stray)


def make_plan(desired: Files, live: Files, *, pending: list[str] | tuple[str, ...] = ()) -> Plan:
    """Turn the live files into the desired ones; `pending` lists what an unfinished run wrote.

    The record of the live release may be behind what an unfinished run already replaced,
    so a path in `pending` is never taken as unchanged, and one that neither release has
    is removed.
    """
    plan = Plan()
    assets: list[Step] = []
    new_pages: list[Step] = []
    changed_pages: list[Step] = []
    indexes: list[Step] = []
    known = {entry.sha256 for entry in live.values()}
    # What an unfinished run wrote may differ from the record, so it is written again.
    dirty = set(pending)
    for path in sorted(desired):
        entry = desired[path]
        old = live.get(path)
        if old == entry and path not in dirty:
            plan.unchanged += 1
            continue
        if entry.sha256 not in known:
            known.add(entry.sha256)
            plan.store.append(Step(path, entry))
        step = Step(path, entry)
        kind = kind_of(path)
        if kind is Kind.ASSET:
            assets.append(step)
        elif kind is Kind.INDEX:
            indexes.append(step)
        elif old is None:
            new_pages.append(step)
        else:
            changed_pages.append(step)
            plan.changed_pages.append(path)
    plan.stages = [
        (name, steps)
        for name, steps in (
            ("assets", assets),
            ("new pages", new_pages),
            ("changed pages", changed_pages),
            ("indexes", indexes),
        )
        if steps
    ]
    plan.deletes = sorted(set(live) - set(desired))
    plan.changed_pages.extend(p for p in plan.deletes if kind_of(p) is Kind.PAGE)
    plan.stray = sorted(set(pending) - set(live) - set(desired))
    return plan
