"""`shop publish` and `shop releases`: parse, open the target, call the publisher, print."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from shop.config import Settings
from shop.generator.publish.plan import Plan
from shop.generator.publish.publisher import Reporter, Result
from shop.generator.publish.targets import Target

publish_app = typer.Typer()

TargetOption = Annotated[
    str | None,
    typer.Option("--target", help="s3://BUCKET/PREFIX or file:///PATH (default SHOP_PUBLISH_TARGET)."),
]


class BarReporter(Reporter):
    """A rich progress bar on stderr, so `--json` output on stdout stays clean."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description:>14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("planning", total=None)

    def planned(self, plan: Plan) -> None:
        self.progress.update(self.task, total=plan.operations)
        self.progress.start()

    def stage(self, name: str, count: int) -> None:
        self.progress.update(self.task, description=name)

    def advance(self) -> None:
        self.progress.advance(self.task)

    def close(self) -> None:
        self.progress.stop()


def _target_url(settings: Settings, target: str | None) -> str:
    from shop.cli import fail

    url = target or settings.publish_target
    if not url:
        fail(
            "no publish target: pass --target s3://BUCKET/PREFIX or file:///PATH, or set SHOP_PUBLISH_TARGET"
        )
    return url


def _open(settings: Settings, url: str, jobs: int) -> Target:
    from shop.generator.publish.targets import TargetOptions, open_target

    return open_target(
        url,
        TargetOptions(endpoint_url=settings.s3_endpoint_url, region=settings.s3_region, jobs=jobs),
    )


@publish_app.command("publish")
def publish_command(
    release: Annotated[
        str | None,
        typer.Argument(
            help="With --rollback: the release to restore (default: the one before the live one)."
        ),
    ] = None,
    target: TargetOption = None,
    source: Annotated[
        Path | None,
        typer.Option("--from", help="The built site to publish (default: the output folder)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    invalidate: Annotated[
        bool,
        typer.Option(
            "--invalidate",
            help="Invalidate changed pages in CloudFront (SHOP_CDN_DISTRIBUTION_ID).",
        ),
    ] = False,
    max_deletes: Annotated[
        int | None,
        typer.Option(
            "--max-deletes",
            min=0,
            help="Refuse to delete more files than this (default: 10% of the site, at least 50).",
        ),
    ] = None,
    rollback: Annotated[
        bool,
        typer.Option("--rollback", help="Restore an earlier release instead of publishing the build."),
    ] = False,
    rehash: Annotated[
        bool,
        typer.Option("--rehash", help="Hash every file instead of trusting the build manifest."),
    ] = False,
    source_maps: Annotated[bool, typer.Option("--source-maps", help="Also publish *.map files.")] = False,
    jobs: Annotated[int, typer.Option(min=1, max=128, help="Parallel transfers.")] = 16,
    keep: Annotated[
        int | None,
        typer.Option(
            "--keep",
            min=0,
            help="Releases to keep for rollback; older ones are pruned (default "
            "SHOP_PUBLISH_KEEP_RELEASES, 20; 0 keeps all).",
        ),
    ] = None,
) -> None:
    """Publish the built storefront (only what changed), or roll back to an earlier release."""
    from shop.cli import fail, load_settings
    from shop.core.db import utcnow
    from shop.generator.publish import invalidation
    from shop.generator.publish.files import SourceError, collect
    from shop.generator.publish.headers import CachePolicy
    from shop.generator.publish.publisher import CDN, Options, PublishError, publish
    from shop.generator.publish.publisher import rollback as roll_back
    from shop.generator.publish.targets import TargetError

    settings = load_settings()
    if release and not rollback:
        fail(f"{release}: a release is named only with --rollback")
    url = _target_url(settings, target)
    folder = (source or settings.output_path).resolve()
    reporter = Reporter() if json_output else BarReporter()
    started_at = utcnow()
    kind = "rollback" if rollback else "publish"
    try:
        remote = _open(settings, url, jobs)
        if not rollback:
            _refuse_overlap(folder, remote)
        cdn = None
        if invalidate:
            if not settings.cdn_distribution_id:
                fail("--invalidate needs a CloudFront distribution: set SHOP_CDN_DISTRIBUTION_ID")
            cdn = CDN(settings.cdn_distribution_id, invalidation.cloudfront_client(settings.s3_region))
        options = Options(
            dry_run=dry_run,
            max_deletes=max_deletes,
            jobs=jobs,
            cdn=cdn,
            policy=CachePolicy(settings.publish_fingerprint_pattern),
            reporter=reporter,
            keep=(settings.publish_keep_releases if keep is None else keep) or None,
        )
        try:
            if rollback:
                result = roll_back(remote, release, options)
            else:
                built = collect(
                    folder,
                    manifest=build_manifest(settings, folder),
                    rehash=rehash,
                    source_maps=source_maps,
                )
                result = publish(built, remote, options)
        finally:
            if isinstance(reporter, BarReporter):
                reporter.close()
    except (PublishError, SourceError, TargetError) as exc:
        if not dry_run:
            _record(
                settings,
                kind=kind,
                target=url,
                started_at=started_at,
                release=None,
                summary={},
                error=str(exc),
            )
        fail(str(exc))
    if not dry_run:
        _record(
            settings,
            kind=kind,
            target=url,
            started_at=started_at,
            release=result.release,
            summary=result.to_json(),
        )
    typer.echo(json.dumps(result.to_json(), indent=2) if json_output else summary_line(result))


def build_manifest(settings: Settings, folder: Path) -> Path:
    """Where `shop build` left the manifest of `folder` (one per output folder)."""
    from shop.generator.manifest import manifest_path

    return manifest_path(settings.dir, folder, settings.output_path)


def _refuse_overlap(folder: Path, remote: object) -> None:
    from shop.cli import fail
    from shop.generator.publish.local import LocalTarget

    if isinstance(remote, LocalTarget) and (
        remote.root.is_relative_to(folder) or folder.is_relative_to(remote.root)
    ):
        fail(
            f"{remote.url}: the target folder overlaps the build output {folder}; "
            "publish to a folder of its own"
        )


def _record(settings: Settings, **fields: object) -> None:
    """Best effort: the site is already published (or not) whatever the database says."""
    from shop.cli import unit_of_work
    from shop.generator.publish.runs import record_run

    try:
        with unit_of_work(settings) as session:
            record_run(session, **fields)  # type: ignore[arg-type]
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        typer.echo(f"warning: this {fields['kind']} was not recorded in the database: {first}", err=True)


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    raise AssertionError("unreachable")


def summary_line(result: Result) -> str:
    counts = (
        f"{result.uploaded:,} uploaded ({_size(result.bytes_uploaded)}), "
        f"{result.unchanged:,} unchanged, {result.deleted:,} deleted"
    )
    if result.action == "rollback":
        counts = f"{result.uploaded:,} restored, {result.unchanged:,} unchanged, {result.deleted:,} deleted"
    invalidated = f"; invalidated {len(result.invalidated)} CDN paths" if result.invalidation_ids else ""
    if result.pruned_releases:
        invalidated += (
            f"; pruned {len(result.pruned_releases)} old releases ({result.pruned_objects:,} stored files)"
        )
    if result.dry_run:
        would = f"; would invalidate {len(result.invalidated)} CDN paths" if result.invalidated else ""
        return f"Dry run, nothing changed at {result.target}: would have {counts}{would}"
    if result.action == "publish" and result.release == result.previous:
        return (
            f"Nothing to publish: release {result.release} at {result.target} is up to date "
            f"({result.unchanged:,} files, {result.seconds:.1f} s)"
        )
    verb = "Rolled back" if result.action == "rollback" else "Published"
    return (
        f"{verb} {result.target} to release {result.release}: {counts} in {result.seconds:.1f} s{invalidated}"
    )


@publish_app.command("releases")
def releases_command(
    target: TargetOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the releases as JSON.")] = False,
    keep: Annotated[
        int | None,
        typer.Option(
            "--keep",
            min=1,
            help="First prune to the newest N releases (the live one and its rollback stay).",
        ),
    ] = None,
) -> None:
    """List the releases published to the target, newest first; * marks the live one."""
    from dataclasses import asdict

    from shop.cli import fail, load_settings
    from shop.generator.publish.lock import lease
    from shop.generator.publish.prune import prune_releases
    from shop.generator.publish.releases import read_state
    from shop.generator.publish.targets import TargetError

    settings = load_settings()
    url = _target_url(settings, target)
    try:
        remote = _open(settings, url, 4)
        if keep is not None:
            with lease(remote, "prune"):
                pruned = prune_releases(remote, keep)
            if pruned.releases and not json_output:
                typer.echo(
                    f"Pruned {len(pruned.releases)} releases and {pruned.objects} stored files "
                    "no kept release uses"
                )
        state = read_state(remote)
    except TargetError as exc:
        fail(str(exc))
    if json_output:
        typer.echo(
            json.dumps(
                [{**asdict(info), "current": info.id == state.release} for info in state.history],
                indent=2,
            )
        )
        return
    if not state.history:
        typer.echo(f"No releases at {url} yet")
        return
    typer.echo(f"  {'release':<26} {'published (UTC)':<26} {'files':>7} {'size':>10}")
    for info in state.history:
        mark = "*" if info.id == state.release else " "
        typer.echo(f"{mark} {info.id:<26} {info.created_at:<26} {info.files:>7,} {_size(info.bytes):>10}")
