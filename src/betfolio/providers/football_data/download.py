"""Download football-data.co.uk season files (results, statistics and odds; data by football-data.co.uk).

The files live at ``<base>/mmz4281/<yyzz>/<Div>.csv`` (``2019-20`` → ``1920``). Every request goes through the
resilient HTTP client (rate limit, retries with backoff, circuit breaker). A manifest beside the files
(``.football-data.json``) keeps each file's SHA-256, size, ETag and Last-Modified:

* **skip unchanged** — the next run sends ``If-None-Match``/``If-Modified-Since``; a 304 (or a 200 with the
  same SHA-256) leaves the file alone;
* **resumable** — bytes arrive in ``<file>.part``; a download cut off midway (network, server, Ctrl-C) keeps
  its ``.part`` and the next attempt asks only for the rest (``Range``, guarded by ``If-Range``);
* **no partial file in place** — a file is moved into place only once complete and checked (it must look like
  a football-data CSV: a ``Div`` column in its header); until then the previous version, if any, is untouched;
* **checksums** — a local file whose SHA-256 no longer matches the manifest is fetched again in full.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from betfolio.providers.http import HttpProviderClient, HttpSettings, ProviderError

BASE_URL = "https://www.football-data.co.uk"
CREDIT = "Data: football-data.co.uk (Joseph Buchdahl) — free for personal use; credit the site."
MANIFEST = ".football-data.json"

Status = Literal["downloaded", "resumed", "unchanged", "failed"]


@dataclass
class FetchedFile:
    league: str
    season: str
    path: str
    status: Status
    size: int = 0
    sha256: str | None = None
    attempts: int = 0
    error: str | None = None


@dataclass
class FetchReport:
    dest: str
    files: list[FetchedFile] = field(default_factory=list)
    credit: str = CREDIT

    @property
    def failed(self) -> list[FetchedFile]:
        return [f for f in self.files if f.status == "failed"]

    def as_dict(self) -> dict[str, object]:
        counts = {s: sum(f.status == s for f in self.files) for s in ("downloaded", "resumed", "unchanged", "failed")}
        return {"dest": self.dest, "credit": self.credit, **counts, "files": [asdict(f) for f in self.files]}


def season_code(season: str) -> str:
    """'2019-20' → '1920' (the folder football-data.co.uk uses)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", season)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(f"not a season: {season!r} (expected e.g. 2019-20)")
    return match.group(1)[2:] + match.group(2)


def client_for(
    base_url: str = BASE_URL, *, per_minute: int = 30, sleep: Callable[[float], None] | None = None
) -> HttpProviderClient:
    """The resilient client for the site: polite rate (30 files a minute by default), 5 attempts, backoff."""
    settings = HttpSettings(base_url=base_url, per_minute=per_minute, attempts=5, timeout=60.0)
    return HttpProviderClient("football-data", settings, sleep=sleep)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _looks_like_football_data(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf")
    first = head.split(b"\n", 1)[0]
    return first.split(b",", 1)[0].strip() == b"Div"


def _load_manifest(dest: Path) -> dict[str, dict[str, object]]:
    path = dest / MANIFEST
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}  # a damaged manifest only costs re-validation: every file is checked against the server again
    return data if isinstance(data, dict) else {}


def _save_manifest(dest: Path, manifest: dict[str, dict[str, object]]) -> None:
    path = dest / MANIFEST
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    os.replace(tmp, path)


def fetch_football_data(
    leagues: Sequence[str],
    seasons: Sequence[str],
    dest: Path,
    *,
    client: HttpProviderClient | None = None,
    on_file: Callable[[FetchedFile], None] | None = None,
) -> FetchReport:
    """Download every league × season into ``dest/<season>/<Div>.csv``; one failed file does not stop the rest."""
    own = client is None
    http = client or client_for()
    dest.mkdir(parents=True, exist_ok=True)
    manifest = _load_manifest(dest)
    report = FetchReport(dest=str(dest))
    try:
        for season in seasons:
            code = season_code(season)
            for league in leagues:
                result = _fetch_one(http, league, season, code, dest, manifest)
                report.files.append(result)
                _save_manifest(dest, manifest)
                if on_file is not None:
                    on_file(result)
    finally:
        if own:
            http.close()
    return report


def _fetch_one(
    http: HttpProviderClient,
    league: str,
    season: str,
    code: str,
    dest: Path,
    manifest: dict[str, dict[str, object]],
) -> FetchedFile:
    target = dest / season / f"{league}.csv"
    part = target.with_name(target.name + ".part")
    key = f"{season}/{league}.csv"
    known = manifest.get(key, {})
    headers: dict[str, str] = {}
    intact = target.exists() and known.get("sha256") == _sha256(target)
    if intact:
        if known.get("etag"):
            headers["If-None-Match"] = str(known["etag"])
        if known.get("last_modified"):
            headers["If-Modified-Since"] = str(known["last_modified"])
    resuming = part.exists() and part.stat().st_size > 0
    if resuming and known.get("part_etag"):
        headers["If-Range"] = str(known["part_etag"])
    elif resuming:
        part.unlink()  # no validator to prove the server's file is the one we started: start again
        resuming = False
    result = FetchedFile(league, season, str(target), "failed")
    try:
        response = http.download(f"mmz4281/{code}/{league}.csv", part, headers)
    except ProviderError as exc:
        if part.exists() and "etag" in http.last_download_headers:
            known["part_etag"] = http.last_download_headers["etag"]
            manifest[key] = known
        result.error = str(exc)
        return result
    result.attempts = response.attempts
    if response.status_code == 304:
        result.status, result.size, result.sha256 = "unchanged", target.stat().st_size, str(known["sha256"])
        return result
    if not _looks_like_football_data(part):
        part.unlink(missing_ok=True)
        result.error = f"{key}: the server's reply is not a football-data CSV (no 'Div' column)"
        return result
    digest = _sha256(part)
    if intact and digest == known.get("sha256"):
        part.unlink()
        result.status = "unchanged"
    else:
        os.replace(part, target)
        result.status = "resumed" if response.status_code == 206 else "downloaded"
    result.size, result.sha256 = target.stat().st_size, digest
    manifest[key] = {
        "sha256": digest,
        "size": result.size,
        "etag": response.headers.get("etag"),
        "last_modified": response.headers.get("last-modified"),
    }
    return result
