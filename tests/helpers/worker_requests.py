"""Task messages for the compute worker, as the site builds them, for a submission the stub site serves."""

from __future__ import annotations

from typing import Any

from compute_worker import protocol
from tests.helpers.archives import sha256, tar_gz
from tests.helpers.stub_site import StubSite


def make_request(site: StubSite, image: str, scoring_image: str, *, input_files: dict[str, bytes] | None = None,
                 reference_files: dict[str, bytes] | None = None, **overrides: Any) -> dict[str, Any]:
    """Task kwargs for a submission served by ``site``."""
    limits = {"time_limit_s": 20, "memory_mb": 256, "cpus": 1.0, "pids": 64, "gpus": 0, "output_max_mb": 16,
              "log_max_kb": 64}
    limits.update(overrides.pop("limits", {}))
    kwargs: dict[str, Any] = {
        "submission_id": site.submission_id, "image": image, "scoring_image": scoring_image,
        "api_url": site.api_url, "token": site.token, "limits": limits, "schema": protocol.SCHEMA_VERSION,
    }
    if input_files is not None:
        data = tar_gz(input_files)
        kwargs["input_data_url"] = site.add_file(protocol.INPUT_DATA_PATH, data)
        kwargs["input_data_sha256"] = sha256(data)
    if reference_files is not None:
        data = tar_gz(reference_files)
        kwargs["reference_data_url"] = site.add_file(protocol.REFERENCE_DATA_PATH, data)
        kwargs["reference_data_sha256"] = sha256(data)
    kwargs.update(overrides)
    return protocol.RunRequest.from_kwargs(kwargs).to_kwargs()
