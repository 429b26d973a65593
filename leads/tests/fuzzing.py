"""Hypothesis profiles shared by the fuzz tests (test_intake_fuzz.py, test_api_schema_fuzz.py).

`ci` (the default) keeps the suite quick on 2 cores; `HYPOTHESIS_PROFILE=thorough` runs
many more examples for a longer hunt. Deadlines are off: the database and shared cores
make single examples slow now and then, and that is not what these tests look for."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Function-scoped fixtures (the client, the intake key, the test's database transaction)
# are shared by all examples of a test on purpose: leads pile up and duplicates show.
SUPPRESSED = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=SUPPRESSED, print_blob=True)
settings.register_profile("thorough", max_examples=3000, deadline=None, suppress_health_check=SUPPRESSED)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)


def examples(ci: int) -> int:
    """The example count for one test: `ci` normally, 20 times more in the thorough profile."""
    return ci * 20 if PROFILE == "thorough" else ci
