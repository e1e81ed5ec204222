"""Issue 11, point 1: a dead import is known to be dead. A running job holds a lease it
renews; a job whose lease lapsed is settled from the database's truth (the commit writes "done"
in its own transaction) as interrupted with nothing imported, and can be retried or cancelled;
its files are removed when it ends. Point 3: the import tasks are idempotent and resume a job
whose run died."""

import datetime
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from gonghui.core import imports, tasks
from gonghui.core.models import ImportJob, ImportStatus
from gonghui.members.models import Membership, Person
from gonghui.testing.factories import new_id_number, new_mobile
from gonghui.testing.sheets import csv_upload

pytestmark = pytest.mark.django_db


def rows(n=3):
    return [
        ["李四", new_id_number(), new_mobile(), "UNION_a", "2023-05-01", "农村户籍", "高中、中专"]
        for _ in range(n)
    ]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(world, n=3):
    actor = world.staff("city", "clerk")
    return imports.import_job_create(actor=actor, kind="members", upload=csv_upload(rows(n))), actor


def died(job, status, *, ago=1):
    """The job as a run that died ``ago`` seconds after its lease's end leaves it."""
    ImportJob.unscoped.filter(pk=job.pk).update(
        status=status,
        lease_owner="worker-1:4242:dead",
        lease_until=timezone.now() - datetime.timedelta(seconds=ago),
    )
    job.refresh_from_db()
    return job


def files(media):
    return sorted(p.name.rsplit(".", 2)[-1] for p in Path(media).rglob("*") if p.is_file())


def test_a_dry_run_that_died_is_interrupted_then_retried_to_the_end(world, media):
    job, actor = upload(world)
    died(job, ImportStatus.CHECKING)

    imports.import_job_settle(job)

    assert job.status == ImportStatus.INTERRUPTED
    assert "校验进程意外中断" in job.message and "未导入任何数据" in job.message
    assert files(media) == ["sealed"]  # the upload is kept, to retry
    imports.import_job_retry(actor=actor, job=job)
    assert job.status == ImportStatus.UPLOADED
    imports.run_check(job, actor)
    assert job.status == ImportStatus.CHECKED
    imports.run_commit(job, actor)
    assert job.status == ImportStatus.DONE
    assert Membership.unscoped.filter(source_import=job).count() == 3


def test_a_commit_that_died_imported_nothing_and_commits_again(world, media):
    job, actor = upload(world)
    imports.run_check(job, actor)
    died(job, ImportStatus.COMMITTING)

    imports.import_job_settle(job)

    assert job.status == ImportStatus.INTERRUPTED
    assert "导入进程意外中断" in job.message and "未导入任何数据" in job.message
    assert Person.unscoped.count() == 0
    assert files(media) == ["sealed", "stage"]
    imports.import_job_retry(actor=actor, job=job)
    assert job.status == ImportStatus.CHECKED  # its dry run had passed
    imports.run_commit(job, actor)
    assert job.status == ImportStatus.DONE
    assert job.summary and Person.unscoped.count() == 3


def test_a_live_lease_is_left_alone(world, media):
    job, _actor = upload(world)
    died(job, ImportStatus.COMMITTING, ago=-30)  # its lease runs for 30 more seconds

    imports.import_job_settle(job)
    assert imports.import_jobs_settle() == {"settled": 0, "expired": 0}

    job.refresh_from_db()
    assert job.status == ImportStatus.COMMITTING


def test_the_periodic_job_settles_every_dead_run_once(world, media):
    first, _ = upload(world)
    second, _ = upload(world)
    died(first, ImportStatus.CHECKING)
    died(second, ImportStatus.COMMITTING)

    assert tasks.settle_imports() == {"settled": 2, "expired": 0}
    assert tasks.settle_imports() == {"settled": 0, "expired": 0}
    assert set(ImportJob.unscoped.values_list("status", flat=True)) == {"interrupted"}


def test_cancel_ends_the_job_and_deletes_its_files(
    world, media, django_capture_on_commit_callbacks
):
    job, actor = upload(world)
    imports.run_check(job, actor)
    died(job, ImportStatus.COMMITTING)
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_job_cancel(actor=actor, job=job)
    assert job.status == ImportStatus.FAILED and "已取消" in job.message
    assert files(media) == []
    assert not job.file
    with pytest.raises(ValidationError):
        imports.import_job_retry(actor=actor, job=job)
    with pytest.raises(ValidationError):
        imports.import_job_cancel(actor=actor, job=job)


def test_only_the_uploader_may_retry_or_cancel(world, media):
    job, _actor = upload(world)
    died(job, ImportStatus.CHECKING)
    other = world.staff("city", "admin")
    with pytest.raises(PermissionDenied):
        imports.import_job_retry(actor=other, job=job)
    with pytest.raises(PermissionDenied):
        imports.import_job_cancel(actor=other, job=job)
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKING  # nothing was settled by a refused request


def test_a_running_job_cannot_be_cancelled(world, media):
    job, actor = upload(world)
    died(job, ImportStatus.COMMITTING, ago=-30)
    with pytest.raises(ValidationError) as refused:
        imports.import_job_cancel(actor=actor, job=job)
    assert "不能取消" in str(refused.value)


def test_an_interrupted_upload_left_for_a_day_is_deleted(
    world, media, django_capture_on_commit_callbacks
):
    job, _actor = upload(world)
    died(job, ImportStatus.CHECKING)
    imports.import_job_settle(job)
    ImportJob.unscoped.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert imports.import_jobs_settle() == {"settled": 0, "expired": 1}
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "超过一天" in job.message
    assert files(media) == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the file lock speaks on SQLite")
def test_on_sqlite_a_run_that_holds_its_file_lock_is_alive_whatever_its_lease(world, media):
    # On SQLite the commit holds the only write lock, so the heartbeat cannot renew the lease
    # while it runs: the lock on the file beside the upload shows the run is alive.
    job, _actor = upload(world)
    died(job, ImportStatus.COMMITTING)
    lock = imports._FileLock(job)
    assert lock.acquire()
    try:
        imports.import_job_settle(job)
        assert job.status == ImportStatus.COMMITTING
    finally:
        lock.release()
    imports.import_job_settle(job)
    assert job.status == ImportStatus.INTERRUPTED


def test_the_heartbeat_renews_the_lease_while_the_run_works(world, media, settings):
    job, actor = upload(world)
    settings.GONGHUI_IMPORT_LEASE_SECONDS = 0.3
    seen = []
    stop = threading.Event()
    ImportJob.unscoped.filter(pk=job.pk).update(
        status=ImportStatus.CHECKING, lease_owner="me", lease_until=timezone.now()
    )
    # The heartbeat runs on its own connection; here (inside the test's transaction) it is
    # called directly, as the run's thread calls it.
    beat = threading.Thread(target=imports._renew, args=(job.pk, "me", stop))
    renewals = []

    def update(**fields):
        renewals.append(fields["lease_until"])
        return 1

    class Rows:
        def filter(self, **kwargs):
            seen.append(kwargs)
            return SimpleNamespace(update=update)

    original = ImportJob.unscoped
    ImportJob.unscoped = Rows()
    try:
        beat.start()
        stop.wait(0.5)
        stop.set()
        beat.join()
    finally:
        ImportJob.unscoped = original
    assert len(renewals) >= 2 and renewals == sorted(renewals)
    assert seen[0]["lease_owner"] == "me" and set(seen[0]["status__in"]) == {
        "checking",
        "committing",
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_after_commit_failure_leaves_a_committed_import_done(settings, tmp_path):
    """Point 2: what runs after the commit (here a hook that raises out of the commit, as a
    cache bump did with Redis down) may fail; the job that committed stays done with its
    summary, instead of "已全部撤销" over rows that are in the database."""
    from django.db import transaction

    from gonghui.testing.world import build_world

    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world()
    job, actor = upload(world)
    imports.run_check(job, actor)

    def broken():
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    importer = imports.importer_for("members")
    commit = importer.commit

    def commit_then_hook_something_that_fails(**kwargs):
        transaction.on_commit(broken)  # not robust: it raises out of the commit
        return commit(**kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(importer, "commit", commit_then_hook_something_that_fails)
        imports.run_commit(job, actor)

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.message
    assert job.summary == {"new_people": 3}
    assert Person.unscoped.count() == 3


# --- the tasks: idempotent, and they resume a job whose worker died ----------------------------


def test_each_import_task_run_twice_does_its_work_once(world, media):
    job, actor = upload(world)
    assert tasks.import_check(job.pk, actor.pk) == "checked"
    assert tasks.import_check(job.pk, actor.pk) == "checked"
    assert tasks.import_commit(job.pk, actor.pk) == "done"
    assert tasks.import_commit(job.pk, actor.pk) == "done"
    assert Membership.unscoped.filter(source_import=job).count() == 3
    job.refresh_from_db()
    assert job.summary == {"new_people": 3}


def test_a_redelivered_task_resumes_a_job_whose_worker_died(world, media):
    job, actor = upload(world)
    died(job, ImportStatus.CHECKING)
    assert tasks.import_check(job.pk, actor.pk) == "checked"
    died(job, ImportStatus.COMMITTING)
    assert tasks.import_check(job.pk, actor.pk) == "interrupted"  # not the dry run's to resume
    assert tasks.import_commit(job.pk, actor.pk) == "done"
    assert Person.unscoped.count() == 3


def test_a_task_meeting_a_live_lease_waits_for_it_to_lapse(world, media):
    job, actor = upload(world)
    died(job, ImportStatus.COMMITTING, ago=-20)
    # On the embedded default another thread of this process runs it (a double click).
    assert tasks.import_commit.apply(args=[job.pk, actor.pk]).get() == "committing"

    class AgainError(Exception):
        pass

    retried = {}

    def retry(countdown):
        retried["countdown"] = countdown
        return AgainError()

    task = SimpleNamespace(request=SimpleNamespace(is_eager=False), retry=retry)
    with pytest.raises(AgainError):
        tasks._held_elsewhere(task, job)
    assert 19 < retried["countdown"] <= 21


# --- the pages --------------------------------------------------------------------------------


def test_the_page_of_a_dead_job_says_so_and_offers_retry_and_cancel(
    world, media, client, django_capture_on_commit_callbacks
):
    job, actor = upload(world)
    imports.run_check(job, actor)
    died(job, ImportStatus.COMMITTING)
    client.force_login(actor)

    page = client.get(reverse("console:import_detail", args=[job.pk])).content.decode()

    assert "导入进程意外中断" in page and "未导入任何数据" in page
    assert 'data-testid="retry-import"' in page and 'data-testid="cancel-import"' in page
    assert 'data-testid="import-progress"' not in page  # no endless progress bar
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("console:import_retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE  # the embedded default ran the commit at once
    assert Person.unscoped.count() == 3


def test_the_progress_poll_stops_when_the_run_died(world, media, client):
    job, actor = upload(world)
    died(job, ImportStatus.CHECKING)
    client.force_login(actor)
    response = client.get(reverse("console:import_progress", args=[job.pk]))
    assert response["HX-Refresh"] == "true"
    job.refresh_from_db()
    assert job.status == ImportStatus.INTERRUPTED


def test_cancel_from_the_page(world, media, client):
    job, actor = upload(world)
    imports.run_check(job, actor)
    client.force_login(actor)
    response = client.post(reverse("console:import_cancel", args=[job.pk]), follow=True)
    assert "已取消本次导入" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_commit_that_lost_its_lease_rolls_back(settings, tmp_path):
    """A run that stalled past its lease and was settled meanwhile (by another process) must
    not commit: its "done" is written only while it still holds the job, in the same
    transaction as the rows."""
    from gonghui.testing.world import build_world

    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world()
    job, actor = upload(world)
    imports.run_check(job, actor)
    importer = imports.importer_for("members")
    commit = importer.commit

    def settled_meanwhile():
        ImportJob.unscoped.filter(pk=job.pk).update(
            status=ImportStatus.INTERRUPTED, lease_until=None, message="settled elsewhere"
        )
        connection.close()

    def commit_while_another_process_settles(**kwargs):
        outcome = commit(**kwargs)
        other = threading.Thread(target=settled_meanwhile)
        other.start()
        other.join()
        return outcome

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(importer, "commit", commit_while_another_process_settles)
        imports.run_commit(job, actor)

    assert job.status == ImportStatus.INTERRUPTED and job.message == "settled elsewhere"
    assert Person.unscoped.count() == 0
    imports.import_job_retry(actor=actor, job=job)
    imports.run_commit(job, actor)
    assert job.status == ImportStatus.DONE and Person.unscoped.count() == 3
