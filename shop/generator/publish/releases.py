"""Publish's own records in the target, under the reserved prefix `_shop/`.

- `_shop/current.json`: the live release's id and file hashes, and the release history.
  One GET tells a publish what the target holds, so an unchanged site costs no listing.
  It is written last: until it is, the previous release is still the one on record.
- `_shop/releases/<id>.json`: each release's files, for rollback.
- `_shop/objects/<sha256>`: every file's bytes by content hash, so any recorded release
  can be restored byte for byte; shared files are stored once.
- `_shop/pending.json`: the paths an unfinished run may have written, so the next run can
  remove what neither release wants.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from shop.generator.publish.files import RESERVED_PREFIX, FileEntry, Files
from shop.generator.publish.targets import Headers, Target, TargetError

STATE_KEY = f"{RESERVED_PREFIX}current.json"
PENDING_KEY = f"{RESERVED_PREFIX}pending.json"
FORMAT = 1
_RECORD_HEADERS = Headers("application/json; charset=utf-8", "no-store")


def release_key(release: str) -> str:
    return f"{RESERVED_PREFIX}releases/{release}.json"


def object_key(sha256: str) -> str:
    return f"{RESERVED_PREFIX}objects/{sha256[:2]}/{sha256}"


def new_release_id(now: datetime | None = None) -> str:
    """Sorts by time as text: `20261125T093012483Z-a1b2`."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}Z-{secrets.token_hex(2)}"


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    id: str
    created_at: str  # ISO 8601, UTC
    files: int
    bytes: int
    previous: str | None = None  # the release that was live when this one was published


@dataclass(slots=True)
class State:
    release: str | None = None
    files: Files = field(default_factory=dict)
    history: list[ReleaseInfo] = field(default_factory=list)  # newest first

    def info(self, release: str) -> ReleaseInfo | None:
        return next((r for r in self.history if r.id == release), None)

    def previous(self) -> ReleaseInfo | None:
        """The release that was live before the live one was published.

        Not merely the next older id: after a rollback from R3 to R2 and a new publish R4,
        going back from R4 means R2, the last good one, not the rolled-back R3.
        """
        current = self.info(self.release) if self.release else None
        return self.info(current.previous) if current and current.previous else None


def _load(target: Target, key: str) -> dict[str, object] | None:
    raw = target.read(key)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise TargetError(f"{target.url}/{key}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise TargetError(f"{target.url}/{key}: not a publish record this version understands")
    return data


def _files(target: Target, key: str, raw: object) -> Files:
    try:
        return {path: FileEntry.from_json(entry) for path, entry in raw.items()}  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise TargetError(f"{target.url}/{key}: damaged file list ({exc})") from exc


def _dump(data: dict[str, object]) -> bytes:
    return json.dumps({"format": FORMAT, **data}, separators=(",", ":"), sort_keys=True).encode()


def read_state(target: Target) -> State:
    data = _load(target, STATE_KEY)
    if data is None:
        return State()
    history = [ReleaseInfo(**entry) for entry in data.get("releases", [])]  # type: ignore[attr-defined]
    return State(str(data["release"]), _files(target, STATE_KEY, data["files"]), history)


def write_state(target: Target, state: State) -> None:
    target.write(
        STATE_KEY,
        _dump(
            {
                "release": state.release,
                "files": {path: entry.to_json() for path, entry in sorted(state.files.items())},
                "releases": [asdict(info) for info in state.history],
            }
        ),
        _RECORD_HEADERS,
    )


def read_release(target: Target, release: str) -> Files:
    key = release_key(release)
    data = _load(target, key)
    if data is None:
        raise TargetError(f"{target.url}/{key}: the record of release {release} is missing")
    return _files(target, key, data["files"])


def write_release(target: Target, info: ReleaseInfo, files: Files) -> None:
    target.write(
        release_key(info.id),
        _dump(
            {
                "release": asdict(info),
                "files": {path: entry.to_json() for path, entry in sorted(files.items())},
            }
        ),
        _RECORD_HEADERS,
    )


def read_pending(target: Target) -> list[str]:
    data = _load(target, PENDING_KEY)
    paths = data.get("paths", []) if data else []
    return [p for p in paths if isinstance(p, str)] if isinstance(paths, list) else []


def write_pending(target: Target, release: str, paths: list[str]) -> None:
    target.write(PENDING_KEY, _dump({"release": release, "paths": sorted(paths)}), _RECORD_HEADERS)


def clear_pending(target: Target) -> None:
    target.delete([PENDING_KEY])
