"""Publishing a built site to a target, and rolling a target back to an earlier release."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from shop.generator.publish import invalidation
from shop.generator.publish.files import Source
from shop.generator.publish.headers import CachePolicy
from shop.generator.publish.lock import lease
from shop.generator.publish.plan import Plan, Step, make_plan
from shop.generator.publish.prune import prune_releases
from shop.generator.publish.releases import (
    ReleaseInfo,
    State,
    clear_pending,
    new_release_id,
    object_key,
    read_pending,
    read_release,
    read_state,
    write_pending,
    write_release,
    write_state,
)
from shop.generator.publish.targets import Headers, Target
from shop.generator.publish.transfer import run_parallel

MIN_DELETE_LIMIT = 50
DELETE_FRACTION = 10  # by default a publish may delete at most 1/10 of the site (or 50 files)


class PublishError(Exception):
    """A publish or rollback that was refused or could not finish; the message says why."""


class Reporter:
    """Progress callbacks; the CLI draws a bar, tests and scripts ignore them."""

    def planned(self, plan: Plan) -> None: ...

    def stage(self, name: str, count: int) -> None: ...

    def advance(self) -> None: ...


@dataclass(slots=True)
class CDN:
    distribution_id: str
    client: Any
    wildcard_over: int = invalidation.WILDCARD_OVER


@dataclass(slots=True)
class Options:
    dry_run: bool = False
    max_deletes: int | None = None  # None: the default fraction of the site
    jobs: int = 8
    cdn: CDN | None = None  # invalidate pages there after publishing
    keep: int | None = None  # after publishing, prune to this many releases (None: keep all)
    policy: CachePolicy = field(default_factory=CachePolicy)
    reporter: Reporter = field(default_factory=Reporter)


@dataclass(slots=True)
class Result:
    action: str  # publish | rollback
    target: str
    release: str | None  # live after this run (None: nothing published, or a dry run's new one)
    previous: str | None
    uploaded: int = 0
    unchanged: int = 0
    deleted: int = 0
    bytes_uploaded: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    invalidated: list[str] = field(default_factory=list)
    invalidation_ids: list[str] = field(default_factory=list)
    pruned_releases: list[str] = field(default_factory=list)
    pruned_objects: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def default_delete_limit(live_files: int) -> int:
    return max(MIN_DELETE_LIMIT, live_files // DELETE_FRACTION)


def publish(source: Source, target: Target, options: Options | None = None) -> Result:
    """Make the target hold exactly `source`'s files, as a new release."""
    options = options or Options()
    started = time.monotonic()
    state, plan, result = _plan_publish(source, target, options)
    if options.dry_run or not plan.has_changes:
        return _finish(result, plan, options, started, dry=options.dry_run)
    with lease(target, "publish"):
        # Planned again under the lease: another run may have published since the first look.
        state, plan, result = _plan_publish(source, target, options)
        if plan.has_changes:
            _publish_planned(source, target, options, state, plan, result)
        if options.keep and result.release != state.release:
            pruned = prune_releases(target, options.keep)
            result.pruned_releases, result.pruned_objects = pruned.releases, pruned.objects
    return _finish(result, plan, options, started)


def _plan_publish(source: Source, target: Target, options: Options) -> tuple[State, Plan, Result]:
    state = read_state(target)
    plan = make_plan(source.files, state.files, pending=read_pending(target))
    _check_deletes(plan, state, options.max_deletes)
    return state, plan, _result("publish", target, state, plan)


def _publish_planned(
    source: Source, target: Target, options: Options, state: State, plan: Plan, result: Result
) -> None:
    if not plan.writes and not plan.deletes:  # only leftovers of an unfinished run
        target.delete(plan.stray)
        clear_pending(target)
        return
    release = new_release_id()
    options.reporter.planned(plan)
    write_pending(target, release, [step.path for step in plan.writes] + plan.stray)

    def store(step: Step) -> None:
        target.upload(
            object_key(step.entry.sha256),
            source.path(step.path),
            _headers(options, step.path),
            step.entry.sha256,
        )

    options.reporter.stage("storing", len(plan.store))
    run_parallel(plan.store, store, jobs=options.jobs, done=options.reporter.advance)
    _apply(plan, target, options)

    info = ReleaseInfo(
        id=release,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        files=len(source.files),
        bytes=sum(entry.size for entry in source.files.values()),
        previous=state.release,
    )
    write_release(target, info, source.files)
    write_state(target, State(release, dict(source.files), [info, *state.history]))
    clear_pending(target)
    result.release = release
    result.bytes_uploaded = plan.store_bytes


def rollback(target: Target, release: str | None = None, options: Options | None = None) -> Result:
    """Make `release` (default: the one before the live one) live again, byte for byte."""
    options = options or Options()
    if options.dry_run:
        return _rollback(target, release, options)
    with lease(target, "rollback"):
        return _rollback(target, release, options)


def _rollback(target: Target, release: str | None, options: Options) -> Result:
    started = time.monotonic()
    state = read_state(target)
    if state.release is None:
        raise PublishError(f"{target.url}: nothing has been published there; nothing to roll back")
    info = state.info(release) if release else state.previous()
    if info is None:
        if release:
            raise PublishError(f"{target.url}: no release {release}; `shop releases` lists them")
        raise PublishError(f"{target.url}: no release before {state.release} to roll back to")
    files = read_release(target, info.id)
    plan = make_plan(files, state.files, pending=read_pending(target))
    _check_deletes(plan, state, options.max_deletes)
    result = _result("rollback", target, state, plan)
    result.release = info.id
    if options.dry_run or (info.id == state.release and not plan.has_changes):
        if options.dry_run:
            result.release = state.release
        return _finish(result, plan, options, started, dry=options.dry_run)

    # Every byte must be at hand before the first live file changes.
    options.reporter.planned(plan)
    options.reporter.stage("checking", len(plan.store))
    missing: list[str] = []

    def check(step: Step) -> None:
        if not target.exists(object_key(step.entry.sha256)):
            missing.append(step.path)

    run_parallel(plan.store, check, jobs=options.jobs, done=options.reporter.advance)
    if missing:
        raise PublishError(
            f"{target.url}: the stored bytes of {sorted(missing)[0]} in release {info.id} are "
            f"gone ({len(missing)} files); that release cannot be restored"
        )
    write_pending(target, info.id, [step.path for step in plan.writes] + plan.stray)
    _apply(plan, target, options)
    write_state(target, State(info.id, files, state.history))
    clear_pending(target)
    return _finish(result, plan, options, started)


def _apply(plan: Plan, target: Target, options: Options) -> None:
    def place(step: Step) -> None:
        target.copy(
            object_key(step.entry.sha256),
            step.path,
            _headers(options, step.path),
            step.entry.sha256,
        )

    for name, steps in plan.stages:
        options.reporter.stage(name, len(steps))
        run_parallel(steps, place, jobs=options.jobs, done=options.reporter.advance)
    gone = plan.deletes + plan.stray
    if gone:
        options.reporter.stage("deleting", len(gone))
        target.delete(gone)
        for _ in gone:
            options.reporter.advance()


def _headers(options: Options, path: str) -> Headers:
    return Headers(**options.policy.headers(path))


def _check_deletes(plan: Plan, state: State, max_deletes: int | None) -> None:
    limit = default_delete_limit(len(state.files)) if max_deletes is None else max_deletes
    if len(plan.deletes) > limit:
        raise PublishError(
            f"this would delete {len(plan.deletes)} of the {len(state.files)} live files, more "
            f"than the limit of {limit}; check the build, or pass --max-deletes "
            f"{len(plan.deletes)} if that is intended"
        )


def _result(action: str, target: Target, state: State, plan: Plan) -> Result:
    return Result(
        action=action,
        target=target.url,
        release=state.release,
        previous=state.release,
        uploaded=len(plan.writes),
        unchanged=plan.unchanged,
        deleted=len(plan.deletes),
        bytes_uploaded=plan.store_bytes if action == "publish" else 0,
    )


def _finish(result: Result, plan: Plan, options: Options, started: float, *, dry: bool = False) -> Result:
    result.dry_run = dry
    if options.cdn and plan.changed_pages:
        result.invalidated = invalidation.paths_for(
            plan.changed_pages, wildcard_over=options.cdn.wildcard_over
        )
        if not dry:
            try:
                result.invalidation_ids = invalidation.invalidate(
                    options.cdn.client,
                    options.cdn.distribution_id,
                    result.invalidated,
                    reference=f"{result.action}-{result.release}-{time.time_ns()}",
                )
            except Exception as exc:
                raise PublishError(
                    f"release {result.release} is live, but invalidating CloudFront distribution "
                    f"{options.cdn.distribution_id} failed: {exc}"
                ) from exc
    result.seconds = round(time.monotonic() - started, 3)
    return result
