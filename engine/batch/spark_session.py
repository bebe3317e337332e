"""The Spark session a batch replay runs in, set up so that Spark cannot change an answer.

A compiled plan compares instants and adds exact decimals; three Spark defaults could
change what it returns, so every session this module builds sets them explicitly:

- the session time zone is UTC (``spark.sql.session.timeZone``) and every JVM runs with
  ``-Duser.timezone=UTC``: a timestamp literal or a date taken from an instant never
  depends on the zone of the machine the driver or an executor happens to run on;
- ANSI mode is on (``spark.sql.ansi.enabled``): an overflow or a bad cast is an error,
  never a wrapped number or a quiet NULL (NULL is the plan's *unknown*);
- decimal arithmetic never rounds to fit (``spark.sql.decimalOperations.allowPrecisionLoss``
  off): a result that does not fit is an error, not a different amount.

pyspark is the optional ``spark`` extra and needs Java 17 or later for every master but
Spark Connect (``sc://host:port``), where the JVM runs on the server. Both are checked
before Spark starts, so a missing piece is a :class:`SparkUnavailable` that says what to
install instead of a Java stack trace. The engine is a library: the JVM's log is kept to
errors (``spark_log4j2.properties``) and pyspark's own error log lines are silenced,
since every failure reaches the caller as a :class:`~chronolex.errors.ChronolexError`.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from chronolex.batch.errors import BatchError
from chronolex.errors import ChronolexError, Diagnostic, Severity

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: The oldest Java that PySpark 4 runs on.
MINIMUM_JAVA = 17

#: The one apt package that brings a Java Spark runs on (Debian 12, Ubuntu 22.04 and later).
JAVA_PACKAGE = "openjdk-17-jre-headless"

#: Settings that decide answers: the same on every session, local or on a cluster.
EXACT_SETTINGS: Mapping[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    # a field named "Amount" is not the field "amount"
    "spark.sql.caseSensitive": "true",
    # instants and dates in Parquet are proleptic Gregorian (Arrow writes them so): read
    # them as they are, never shifted by the Julian-calendar rebase of old Spark files
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
}

#: Settings for a session this module starts in local mode: no web UI to bind a port for,
#: no progress bar on the terminal, few shuffle partitions for a machine's few cores.
LOCAL_SETTINGS: Mapping[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
}

#: pyspark's loggers that write an exception as a JSON line to stderr before raising it.
#: The one local setting every session gets: a library draws no progress bar.
QUIET_SETTINGS: Mapping[str, str] = {"spark.ui.showConsoleProgress": "false"}

_PYSPARK_ERROR_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")

_LOG4J = Path(__file__).with_name("spark_log4j2.properties")


class SparkUnavailable(BatchError):
    """Spark cannot run here: pyspark is not installed, or there is no Java 17 or later."""

    code = "spark-unavailable"

    def __init__(self, message: str, help: str) -> None:
        ChronolexError.__init__(self, [Diagnostic(self.code, Severity.ERROR, message, help=help)])


def is_connect(master: str) -> bool:
    """Whether ``master`` is a Spark Connect server (``sc://host:port``) rather than a cluster manager.

    >>> is_connect("sc://spark.example.com:15002"), is_connect("local[2]"), is_connect("yarn")
    (True, False, False)
    """
    return master.startswith("sc://")


def is_local(master: str) -> bool:
    """Whether ``master`` runs Spark inside this process's JVM (``local``, ``local[N]``, ``local[*]``).

    >>> is_local("local[*]"), is_local("local"), is_local("spark://host:7077")
    (True, True, False)
    """
    return master == "local" or master.startswith("local[")


@dataclass(frozen=True, slots=True)
class PySpark:
    """pyspark, loaded: its ``sql`` module and the exceptions a failing Spark call raises."""

    sql: ModuleType
    failures: tuple[type[BaseException], ...]


def load_pyspark() -> PySpark:
    """pyspark, or :class:`SparkUnavailable` saying how to install it.

    pyspark is imported here, not at the top of the module: it is an optional extra and
    takes a second to import, and only a Spark replay needs it."""
    try:
        from py4j import protocol  # type: ignore[import-untyped]
        from pyspark import errors, sql
    except ImportError as error:
        raise SparkUnavailable(f"the Spark engine needs pyspark, which cannot be imported here ({error})",
                               "install it with: pip install 'chronolex[spark]' (pyspark 4, Java 17 or later)"
                               ) from None
    for name in _PYSPARK_ERROR_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    return PySpark(sql, (errors.PySparkException, protocol.Py4JError))


def java_command() -> str | None:
    """The ``java`` that Spark's launcher would start: ``$JAVA_HOME/bin/java``, else the one on PATH.

    This reads the environment on purpose (the engine otherwise never does): the check
    must look at the very Java Spark will use, and Spark finds it this way."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return str(candidate) if candidate.is_file() else None
    return shutil.which("java")


def java_major(version_output: str) -> int | None:
    """The major version in the text ``java -version`` writes, or None when there is none.

    >>> java_major('openjdk version "17.0.15" 2025-04-15'), java_major('java version "1.8.0_392"')
    (17, 8)
    >>> java_major('openjdk version "21" 2023-09-19'), java_major("no java here")
    (21, None)
    """
    found = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if found is None:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def check_java(java: str | None = None) -> int:
    """The major version of the Java Spark will start, or :class:`SparkUnavailable` when
    there is none or it is older than Java 17. ``java`` defaults to :func:`java_command`."""
    install = (f"install Java {MINIMUM_JAVA} or later (Debian/Ubuntu: apt-get install {JAVA_PACKAGE}) "
               "or point JAVA_HOME at one")
    java = java if java is not None else java_command()
    if java is None:
        home = os.environ.get("JAVA_HOME")
        where = f"JAVA_HOME is {home}, which has no bin/java" if home else "no JAVA_HOME, no java on PATH"
        raise SparkUnavailable(f"the Spark engine needs Java, and there is none here ({where})", install)
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SparkUnavailable(f"the Spark engine needs Java, and {java} does not run ({error})", install) from None
    major = java_major(done.stderr + done.stdout)
    if done.returncode != 0 or major is None:
        raise SparkUnavailable(f"the Spark engine needs Java, and '{java} -version' does not tell a version",
                               install)
    if major < MINIMUM_JAVA:
        raise SparkUnavailable(f"the Spark engine needs Java {MINIMUM_JAVA} or later, and {java} is Java {major}",
                               install)
    return major


def spark_session(master: str | None = None, *, config: Mapping[str, str] | None = None,
                  app_name: str = "chronolex") -> SparkSession:
    """A Spark session for batch replay on ``master``, with the exact settings above.

    ``master`` is what ``spark-submit --master`` takes (``local[*]``, ``local[2]``,
    ``spark://host:7077``, ``yarn``, ``k8s://…``) or a Spark Connect address
    (``sc://host:15002``); None is the master ``spark-submit`` was given when this runs
    under it, else ``local[*]``. ``config`` adds settings (``spark.executor.memory``…);
    it may not change the exact settings. A session already running in this process (in
    a notebook, a second call) is reused and given the exact settings; its JVMs keep the
    options they were started with.

    >>> session = spark_session("local[2]")  # doctest: +SKIP
    >>> session.conf.get("spark.sql.session.timeZone")  # doctest: +SKIP
    'UTC'
    """
    extra = dict(config or {})
    clash = sorted(k for k in extra if k in EXACT_SETTINGS and extra[k] != EXACT_SETTINGS[k])
    if clash:
        raise ChronolexError.single("spark-setting", f"the Spark setting {clash[0]} decides answers and stays "
                                    f"{EXACT_SETTINGS[clash[0]]!r}", help="leave it out of the configuration")
    pyspark = load_pyspark()
    builder = pyspark.sql.SparkSession.builder.appName(app_name)
    if master is not None and is_connect(master):
        builder = builder.remote(master)
    else:
        check_java()
        if master is not None:
            builder = builder.master(master)
        jvm = f"-Duser.timezone=UTC -Dlog4j.configurationFile={_LOG4J.as_uri()}"
        builder = builder.config("spark.driver.extraJavaOptions", jvm)
        builder = builder.config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC")
        for key, value in (LOCAL_SETTINGS if master is not None and is_local(master) else QUIET_SETTINGS).items():
            builder = builder.config(key, value)
    for key, value in extra.items():
        builder = builder.config(key, value)
    try:
        session: SparkSession = builder.getOrCreate()
        for key, value in EXACT_SETTINGS.items():
            session.conf.set(key, value)
    except (ImportError, SystemExit) as error:
        # the Spark Connect client's own libraries (pandas, grpcio…) are missing; where the
        # main module has no file (python -c, a test worker) pyspark exits instead of raising
        raise SparkUnavailable(f"the Spark Connect client cannot be imported here: {_first_line(error)}",
                               "install it with: pip install 'pyspark[connect]'") from None
    except pyspark.failures as error:
        raise SparkUnavailable(f"Spark could not start on {master or 'local[*]'}: {_first_line(error)}",
                               "check the master URL and that the cluster or Spark Connect server is up") from None
    return session


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
