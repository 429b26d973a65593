"""RQ entry point of the what-if: the edit in, the report out (kept in Redis with the job,
as its result); progress in the job's meta for the admin page to poll. Reads only."""

from __future__ import annotations

from rq import get_current_job

from whatif.compare import what_if
from whatif.configuration import Edit


def run_what_if(edit: Edit | None, days: int) -> dict:
    job = get_current_job()
    last = {"share": -1.0}

    def progress(share: float) -> None:
        if job is None or share - last["share"] < 0.01 and share < 1:
            return
        last["share"] = share
        job.meta["progress"] = share
        job.save_meta()

    return what_if(edit, days=days, progress=progress)
