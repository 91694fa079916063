"""The job's data step: the phase's data leased from the cache, or a results upload's predictions.

Both raise :class:`Failure` (``DATA_ERROR``, or ``BAD_OUTPUT`` for an unsafe predictions
archive) with a message for people; :class:`SubmissionGone` passes through.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from . import archives, outputs, protocol
from .data_cache import DataCache, DataError, Fetcher
from .failure import Failure
from .protocol import FailureReason
from .site_client import SiteError, SubmissionGone

logger = logging.getLogger(__name__)


def lease_data(stack: contextlib.ExitStack, cache: DataCache, url: str, sha256: str, *, fetch: Fetcher,
               work: Path, name: str, submission_id: int, before_fetch: Callable[[], None] | None = None) -> Path:
    """The extracted data at ``url``, leased until ``stack`` closes (an empty directory when there is none).

    ``before_fetch()`` runs before a download (:meth:`DataCache.lease`).
    """
    if not url:
        empty = work / f"empty-{name}"
        empty.mkdir(mode=0o755)
        return empty
    try:
        entry = stack.enter_context(cache.lease(sha256, url, fetch, before_fetch=before_fetch))
    except DataError as exc:
        raise Failure(FailureReason.DATA_ERROR, f"The {name} data could not be prepared: {exc}") from exc
    logger.info("submission %s: %s data %s (%s)", submission_id, name, sha256[:12],
                "fetched and extracted" if entry.fetched else "from the cache")
    return entry.path


def _download_checked(fetch: Fetcher, url: str, sha256: str, archive: Path) -> None:
    """Download ``url`` to ``archive``, once more when its sha256 does not match."""
    for attempt in (1, 2):
        try:
            actual = fetch(url, archive)
        except SubmissionGone:
            raise
        except SiteError as exc:
            raise Failure(FailureReason.DATA_ERROR, f"The predictions could not be downloaded: {exc}") from exc
        if actual == sha256:
            return
        archive.unlink(missing_ok=True)
        logger.warning("predictions sha256 mismatch (attempt %d)", attempt)
    raise Failure(FailureReason.DATA_ERROR, "The predictions archive's sha256 does not match (fetched twice).")


def fetch_predictions(fetch: Fetcher, request: protocol.RunRequest, work: Path, predictions: Path) -> None:
    """Results-upload submission: download the predictions archive and extract it safely into ``predictions``."""
    archive = work / "predictions.archive"
    _download_checked(fetch, request.predictions_url, request.predictions_sha256, archive)
    predictions.mkdir(mode=0o755)
    try:
        archives.extract(archive, predictions, max_bytes=request.limits.output_max_mb * (1 << 20),
                         max_files=outputs.MAX_OUTPUT_FILES)
    except archives.UnsafeArchive as exc:
        raise Failure(FailureReason.BAD_OUTPUT, f"The predictions archive was refused: {exc}") from exc
    finally:
        archive.unlink(missing_ok=True)
