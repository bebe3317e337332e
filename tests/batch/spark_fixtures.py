"""The one Spark session the Spark tests share, and what happens where Spark cannot run.

A local session takes about ten seconds to start, so every Spark test uses this one
(local[2], no web UI, two shuffle partitions). Where Java 17 or pyspark is missing the
tests are skipped with a warning that says what to install; under CI (``CI=true``) they
fail instead, so a build can never pass without having run them.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from chronolex.batch.spark_session import SparkUnavailable, check_java, load_pyspark, spark_session

TEST_SETTINGS = {"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2"}


def spark_or_skip() -> None:
    """Nothing when Spark can run here; else a skip (a failure under CI) saying what to install."""
    try:
        load_pyspark()
        check_java()
    except SparkUnavailable as error:
        reason = f"the Spark tests cannot run: {error.diagnostics[0].message}; {error.diagnostics[0].help}"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(reason + " (CI runs them: .ci/run installs Java)")
        warnings.warn(reason, stacklevel=1)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    spark_or_skip()
    yield spark_session("local[2]", config=TEST_SETTINGS)
