"""Shared fixtures."""

from __future__ import annotations

import os
import sys

import pytest


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """ONE Prefect test server (temporary SQLite database) for the whole session, with
    PREFECT_HOME in a temporary folder. Starting it is the dominant cost of the flow tests
    (7-19 s), so every flow test shares it. Prefect is imported here, after PREFECT_HOME is set,
    because its settings are read at import."""
    home = tmp_path_factory.mktemp("prefect-home")
    names = ("PREFECT_HOME", "PREFECT_SERVER_ANALYTICS_ENABLED", "PREFECT_PROFILES_PATH")
    saved = {name: os.environ.get(name) for name in names}
    os.environ["PREFECT_HOME"] = str(home)
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.pop("PREFECT_PROFILES_PATH", None)
    if "prefect.context" in sys.modules:
        from prefect.context import refresh_global_settings_context

        refresh_global_settings_context()
    from prefect.testing.utilities import prefect_test_harness

    try:
        with prefect_test_harness(server_startup_timeout=90):
            yield home
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        from prefect.context import refresh_global_settings_context

        refresh_global_settings_context()
