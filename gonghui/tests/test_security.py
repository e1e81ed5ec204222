"""Defects a security review found, kept found."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from gonghui.accounts import services as account_services
from gonghui.core import imports
from gonghui.core.models import ImportJob
from gonghui.members import services
from gonghui.members.models import Membership
from gonghui.testing.factories import new_id_number, new_mobile, person_input
from gonghui.testing.sheets import csv_upload

pytestmark = pytest.mark.django_db


def test_a_mobile_number_given_up_does_not_lead_to_the_old_account(world):
    old, new = new_mobile(), new_mobile()
    worker = account_services.worker_account_for_mobile(mobile=old)
    account_services.worker_register(
        actor=worker, mobile=old, name="钱多多", id_number=new_id_number()
    )
    worker.refresh_from_db()
    services.person_update(
        actor=worker,
        person=worker.person,
        data=services.PersonInput(
            name="钱多多", id_number=worker.person.id_number.reveal(), mobile=new
        ),
    )
    stranger = account_services.worker_account_for_mobile(mobile=old)
    assert stranger.pk != worker.pk and stranger.person_id is None
    assert account_services.worker_account_for_mobile(mobile=new).pk == worker.pk


def test_a_union_the_person_left_cannot_change_their_details(world, client):
    membership = world.member("union_a")
    transfer = services.transfer_request(
        actor=world.staff("town_a", "clerk"),
        membership=membership,
        to_union=world.union_b,
        reason="调动",
    )
    services.transfer_decide(actor=world.staff("town_b", "clerk"), transfer=transfer, accept=True)
    client.force_login(world.staff("town_a", "clerk"))
    assert client.get(reverse("console:member_edit", args=[membership.pk])).status_code == 404
    from gonghui.core.scoping import NotFound

    with pytest.raises(NotFound):
        services.person_update(
            actor=world.staff("town_a", "clerk"),
            person=membership.person,
            data=person_input(id_number=membership.person.id_number.reveal()),
        )


def test_only_the_uploader_checks_and_confirms_an_import(world, client):
    job = imports.import_job_create(
        actor=world.staff("union_a", "clerk"), kind="members", upload=csv_upload([])
    )
    client.force_login(world.staff("district_a", "clerk"))
    assert client.post(reverse("console:import_start", args=[job.pk])).status_code == 403


def test_a_union_in_another_branch_is_not_named_in_refusals(world):
    membership = world.member("union_b")
    with pytest.raises(Exception) as caught:
        services.member_add(
            actor=world.staff("town_a", "clerk"),
            union=world.union_a,
            data=person_input(
                name=membership.person.name, id_number=membership.person.id_number.reveal()
            ),
            joined_on=datetime.date(2024, 1, 1),
        )
    message = " ".join(caught.value.messages)
    assert "其他工会" in message and world.union_b.name not in message


def test_uploaded_spreadsheets_are_deleted_when_the_job_ends(
    world, django_capture_on_commit_callbacks
):
    actor = world.staff("city", "clerk")
    row = ["孙九", new_id_number(), "", "UNION_a", "", "", ""]
    job = imports.import_job_create(actor=actor, kind="members", upload=csv_upload([row]))
    path = Path(job.file.path)
    imports.run_check(job, actor)
    with django_capture_on_commit_callbacks(execute=True):
        imports.run_commit(job, actor)
    assert job.status == "done" and not path.exists() and not job.file
    assert not Path(str(path) + ".stage").exists()
    stale = imports.import_job_create(actor=actor, kind="members", upload=csv_upload([row]))
    stale_path = Path(stale.file.path)
    ImportJob.unscoped.filter(pk=stale.pk).update(
        created_at=stale.created_at - datetime.timedelta(days=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_job_create(actor=actor, kind="members", upload=csv_upload([row]))
    stale.refresh_from_db()
    assert stale.status == "failed" and not stale_path.exists()


def test_an_id_number_in_a_url_finds_nothing(world, client):
    membership = world.member("union_a", name="周到")
    client.force_login(world.staff("town_a", "clerk"))
    number = membership.person.id_number.reveal()
    page = client.get(reverse("console:member_list"), {"q": number}).content.decode()
    assert "周到" not in page
    assert Membership.unscoped.filter(pk=membership.pk).exists()


def test_production_refuses_to_log_sign_in_codes(tmp_path):
    env = {
        **os.environ,
        "GONGHUI_ENV": "production",
        "GONGHUI_VAR_DIR": str(tmp_path),
        "GONGHUI_SMS_BACKEND": "gonghui.core.sms.LogBackend",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "gonghui.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "GONGHUI_SMS_BACKEND" in result.stderr


def test_registration_attempts_are_limited(world):
    mobile = new_mobile()
    user = account_services.worker_account_for_mobile(mobile=mobile)
    taken = world.member("union_a").person.id_number.reveal()
    for _ in range(account_services.REGISTER_ATTEMPTS_PER_HOUR):
        with pytest.raises(Exception, match="登记"):
            account_services.worker_register(actor=user, mobile=mobile, name="某", id_number=taken)
    with pytest.raises(Exception, match="尝试次数过多"):
        account_services.worker_register(
            actor=user, mobile=mobile, name="某", id_number=new_id_number()
        )
