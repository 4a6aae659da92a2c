"""One cluster (three nodes, nginx, Redis, a fresh PostgreSQL database) per test module."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.cluster.harness import Cluster, available, running_cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    missing = available()
    if missing is not None:
        if os.environ.get("CI") == "true" or "nginx" in missing:
            pytest.fail(missing)
        pytest.skip(missing)
    try:
        with running_cluster(tmp_path_factory.mktemp("cluster")) as made:
            yield made
    except RuntimeError as exc:  # a node or nginx did not start
        pytest.fail(str(exc))
