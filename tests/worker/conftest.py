"""Fixtures of the compute worker tests (defined in :mod:`tests.worker_fixtures`, shared with tests/security)."""

from tests.worker_fixtures import (  # noqa: F401 - fixtures and helpers used by the tests of this directory
    busybox,
    docker_client,
    make_request,
    scorer,
    sha256,
    stub_site,
    tar_gz,
    worker_config,
)
