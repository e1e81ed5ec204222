"""Child process of the benchmark: import one CSV through the pipeline, print timings as JSON."""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path


def main(path: str, actor_id: str) -> None:
    os.environ["GONGHUI_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonghui.settings")
    import django

    django.setup()
    from django.core.files import File

    from gonghui.accounts.models import User
    from gonghui.core import imports

    actor = User.objects.select_related("organization").get(pk=int(actor_id))
    with Path(path).open("rb") as fh:
        job = imports.import_job_create(
            actor=actor, kind="members", upload=File(fh, name="members.csv")
        )
    started = time.perf_counter()
    imports.run_check(job, actor)
    check = time.perf_counter() - started
    if job.status != "checked":
        raise SystemExit(f"check failed: {job.message} {job.errors[:5]}")
    started = time.perf_counter()
    imports.run_commit(job, actor)
    commit = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "rows": job.total_rows,
                "status": job.status,
                "check_s": check,
                "commit_s": commit,
                "maxrss_mb": peak_kb / 1024,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
