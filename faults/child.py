"""An import run in a process of its own, for the suite to ``kill -9`` at a chosen moment:

    python -m faults.child check JOB_ID ACTOR_ID      # the dry run (imports.run_check)
    python -m faults.child commit JOB_ID ACTOR_ID     # the commit (imports.run_commit)
    python -m faults.child commit JOB_ID ACTOR_ID --pause-after-commit

With ``--pause-after-commit`` the process stops right after the import's transaction has
committed, before the job is marked done (a callback after commit prints ``committed`` and
sleeps): the moment "after the last row". The environment is the run's (``servers``)."""

from __future__ import annotations

import sys
import time
from typing import Any


def main(argv: list[str]) -> None:
    action, job_id, actor_id = argv[0], int(argv[1]), int(argv[2])
    pause = "--pause-after-commit" in argv[3:]
    import django

    django.setup()
    from django.db import transaction

    from gonghui.accounts.models import User
    from gonghui.core import imports
    from gonghui.core.models import ImportJob

    actor = User.objects.select_related("organization").get(pk=actor_id)
    job = ImportJob.unscoped.get(pk=job_id)
    if pause:
        importer = imports.importer_for(job.kind)
        commit = importer.commit

        def paused_commit(**kwargs: Any) -> Any:
            outcome = commit(**kwargs)
            transaction.on_commit(_pause)  # runs once the import's transaction committed
            return outcome

        importer.commit = paused_commit  # type: ignore[method-assign]
    if action == "check":
        imports.run_check(job, actor)
    else:
        imports.run_commit(job, actor)
    print(job.status, flush=True)


def _pause() -> None:
    print("committed", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main(sys.argv[1:])
