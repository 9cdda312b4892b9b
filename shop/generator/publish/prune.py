"""Forget old releases and delete the stored files only they used.

Every release keeps its files' bytes under `_shop/objects/` for rollback, so a target that
is published to daily grows for ever. Pruning keeps the newest releases, the live one and
the one a rollback would return to; an object is deleted only when no kept release and
not the live site names its hash.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shop.generator.publish.files import RESERVED_PREFIX
from shop.generator.publish.releases import State, read_release, read_state, release_key, write_state
from shop.generator.publish.targets import Target

OBJECTS_PREFIX = f"{RESERVED_PREFIX}objects/"


@dataclass(slots=True)
class Pruned:
    releases: list[str] = field(default_factory=list)  # ids forgotten, newest first
    objects: int = 0  # stored files deleted


def prune_releases(target: Target, keep: int, *, dry_run: bool = False) -> Pruned:
    """Keep the newest `keep` releases (plus live and rollback); the caller holds the lease."""
    if keep < 1:
        raise ValueError("keep at least one release")
    state = read_state(target)
    kept = {info.id for info in state.history[:keep]}
    live = state.info(state.release) if state.release else None
    if live is not None:
        kept.add(live.id)
        if live.previous:
            kept.add(live.previous)
    gone = [info.id for info in state.history if info.id not in kept]
    if not gone:
        return Pruned()
    wanted = {entry.sha256 for entry in state.files.values()}
    for release in kept:
        wanted.update(entry.sha256 for entry in read_release(target, release).values())
    objects = [key for key in target.keys(OBJECTS_PREFIX) if key.rsplit("/", 1)[-1] not in wanted]
    if not dry_run:
        # The history goes first: once it no longer names a release, nothing rolls back to it.
        history = [info for info in state.history if info.id in kept]
        write_state(target, State(state.release, state.files, history))
        target.delete([release_key(release) for release in gone] + objects)
    return Pruned(gone, len(objects))
