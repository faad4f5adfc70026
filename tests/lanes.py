"""Which lane a test runs in. `make test-fast` leaves out the tests marked `model`, `server`,
`browser` or `services` (pyproject.toml registers them); `make test` runs everything.

tests/conftest.py marks the tests that use the `model_path` or `assistant` fixture; the rest
declare what they need with `pytestmark` or `@pytest.mark...`. So that a test cannot slip
into the fast lane by mistake, the helpers that start a server or a store call `require`,
and a test that has not declared the marker fails, naming it."""

import pytest

LANE_MARKERS = ("model", "server", "browser", "services")
declared: set[str] = set(LANE_MARKERS)  # outside a test run (a helper used by hand): anything goes


def require(marker: str, what: str) -> None:
    if marker not in declared:
        pytest.fail(f"this test starts {what}: mark it `{marker}` (pytestmark = pytest.mark.{marker}), "
                    f"so that `make test-fast` leaves it out", pytrace=False)
