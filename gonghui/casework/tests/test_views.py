"""Casework pages and API as a user meets them: forms, escaping, double submits, files,
figures, the periodic job."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gonghui.accounts.services import api_token_issue
from gonghui.casework.models import Case, CaseState
from gonghui.casework.services import cases as cases_services
from gonghui.casework.services import materials as materials_services
from gonghui.casework.services import sweep as sweep_services
from gonghui.casework.tasks import case_sweep_task
from gonghui.organizations.models import ServiceType
from gonghui.testing.factories import new_id_number
from gonghui.testing.world import build_world


@pytest.fixture
def world(db):
    return build_world()


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_portal_double_submit_creates_one_case(world):
    worker = world.worker("union_b")
    client = login(worker)
    page = client.get(reverse("portal:case_new") + "?type=legal_aid")
    key = page.context["form"].initial["idempotency_key"]
    data = {
        "service_type": ServiceType.objects.get(code="legal_aid").pk,
        "title": "欠薪",
        "description": "拖欠工资",
        "idempotency_key": key,
    }
    first = client.post(reverse("portal:case_new"), data)
    second = client.post(reverse("portal:case_new"), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Case.unscoped.filter(person=worker.person).count() == 1


def test_text_is_shown_escaped(world):
    worker = world.worker("union_b")
    case = cases_services.case_open(
        actor=worker,
        person=worker.person,
        service_type=ServiceType.objects.get(code="petition"),
        title="反映问题",
        description="a < b & c > d",
    )
    page = login(world.staff("town_b", "clerk")).get(reverse("console:case_detail", args=[case.pk]))
    text = page.content.decode()
    assert "a &lt; b &amp; c &gt; d" in text and "a < b & c > d" not in text


def test_wrong_file_type_gets_a_chinese_message_and_nothing_is_saved(world):
    worker = world.worker("union_b")
    case = cases_services.case_open(
        actor=worker,
        person=worker.person,
        service_type=ServiceType.objects.get(code="petition"),
        title="反映问题",
        description="说明",
    )
    client = login(worker)
    bad = SimpleUploadedFile("病历.pdf", b"not a pdf", content_type="application/pdf")
    response = client.post(
        reverse("portal:case_material_upload", args=[case.pk]), {"file": bad}, follow=True
    )
    assert "文件内容与扩展名不符" in response.content.decode()
    assert case.materials.count() == 0
    good = SimpleUploadedFile("病历.pdf", b"%PDF-1.4 ok", content_type="application/pdf")
    client.post(reverse("portal:case_material_upload", args=[case.pk]), {"file": good})
    material = case.materials.get()
    download = client.get(reverse("portal:case_material", args=[case.pk, material.pk]))
    assert download.content == b"%PDF-1.4 ok"


def test_console_flow_and_illegal_action_message(world):
    worker = world.worker("union_b")
    case = cases_services.case_open(
        actor=worker,
        person=worker.person,
        service_type=ServiceType.objects.get(code="legal_aid"),
        title="工伤认定",
        description="说明",
    )
    clerk = login(world.staff("town_b", "clerk"))
    queue = clerk.get(reverse("console:case_list"))
    assert case.number in queue.content.decode()
    response = clerk.post(
        reverse("console:case_act", args=[case.pk, "resolve"]), {"resolution": "x"}, follow=True
    )
    assert "不能执行此操作" in response.content.decode()
    clerk.post(reverse("console:case_act", args=[case.pk, "accept"]))
    clerk.post(reverse("console:case_act", args=[case.pk, "escalate"]), {"reason": "复杂"})
    case.refresh_from_db()
    assert case.handler == world.district_b and case.state == CaseState.SUBMITTED
    # the town still follows the case, but its actions are refused politely
    response = clerk.post(reverse("console:case_act", args=[case.pk, "accept"]), follow=True)
    assert "您可以查看进度，但不能办理" in response.content.decode()


def test_counter_intake_finds_or_registers_the_worker(world):
    clerk = login(world.staff("town_b", "clerk"))
    page = clerk.get(reverse("console:case_open"))
    data = {
        "channel": "hotline",
        "id_number": new_id_number(),
        "name": "热线来电人",
        "mobile": "",
        "service_type": ServiceType.objects.get(code="employment").pk,
        "title": "求职",
        "description": "失业求助",
        "idempotency_key": page.context["form"].initial["idempotency_key"],
    }
    response = clerk.post(reverse("console:case_open"), data)
    assert response.status_code == 302
    case = Case.unscoped.get(title="求职")
    assert case.channel == "hotline" and case.visits == 0 and case.handler == world.town_b
    data["name"] = "冒名"
    data["idempotency_key"] = "other"
    response = clerk.post(reverse("console:case_open"), data)
    assert "姓名与该身份证号登记的姓名不一致" in response.content.decode()


def test_figures_page_and_export(world):
    leader = login(world.staff("district_b", "leader"))
    page = leader.get(reverse("console:case_figures"))
    assert page.status_code == 200 and "case-figures-data" in page.content.decode()
    export = leader.get(reverse("console:case_figures"), {"format": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert b"".join(export.streaming_content).startswith(b"PK")
    export.close()


def test_worker_api_open_follow_and_confirm(world):
    worker = world.worker("union_b")
    key, _ = api_token_issue(user=worker)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    client = Client()
    body = {
        "service_type": "hardship",
        "title": "大病",
        "description": "住院",
        "idempotency_key": "a",
    }
    first = client.post(
        "/api/me/cases", json.dumps(body), content_type="application/json", **headers
    )
    again = client.post(
        "/api/me/cases", json.dumps(body), content_type="application/json", **headers
    )
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    case = Case.unscoped.get(pk=first.json()["id"])
    clerk = world.staff("union_b", "clerk")
    cases_services.case_accept(actor=clerk, case=case)
    cases_services.case_resolve(actor=clerk, case=case, resolution="已发放救助金")
    bad = client.post(
        f"/api/me/cases/{case.pk}/confirm",
        json.dumps({"rating": 0}),
        content_type="application/json",
        **headers,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "rating"
    done = client.post(
        f"/api/me/cases/{case.pk}/confirm",
        json.dumps({"rating": 5, "comment": "谢谢"}),
        content_type="application/json",
        **headers,
    )
    assert done.json()["state"] == "closed"
    assert [e["kind"] for e in done.json()["timeline"]][-1] == "confirmed"


def test_sweep_is_scheduled_and_runs_as_a_task(world):
    from gonghui.celery import app

    schedule = app.conf.beat_schedule["casework-sweep"]
    assert schedule["task"] == "gonghui.casework.tasks.case_sweep_task"
    assert case_sweep_task.delay().get() == {"escalated": 0, "closed": 0}


def test_staff_download_of_a_material_needs_the_reveal_role_and_is_logged(world):
    from gonghui.core.models import PersonalDataAccess

    worker = world.worker("union_b")
    case = cases_services.case_open(
        actor=worker,
        person=worker.person,
        service_type=ServiceType.objects.get(code="hardship"),
        title="大病救助",
        description="住院",
    )
    pdf = SimpleUploadedFile("病历.pdf", b"%PDF-1.4 record", content_type="application/pdf")
    material = materials_services.case_material_add(actor=worker, case=case, upload=pdf)
    url = reverse("console:case_material", args=[case.pk, material.pk])
    assert login(world.staff("city", "leader")).get(url).status_code == 403
    response = login(world.staff("town_b", "clerk")).get(url)
    assert response.content == b"%PDF-1.4 record"
    log = PersonalDataAccess.objects.visible_to(world.staff("city", "admin")).get()
    assert log.subject_id == worker.person_id and log.reason == "case"


def test_bad_query_values_get_pages_not_errors(world):
    leader = login(world.staff("district_b", "leader"))
    assert leader.get(reverse("console:case_figures"), {"month": "9999-12"}).status_code == 200
    assert leader.get(reverse("console:case_figures"), {"org": "²"}).status_code == 404
    clerk = login(world.staff("town_b", "clerk"))
    response = clerk.post(
        reverse("console:case_bulk_assign"),
        {"case": ["²"], "assignee": "x", "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("console:case_list")


def test_make_run_serves_with_the_runserver_that_starts_the_beat():
    from django.core.management import get_commands

    assert get_commands()["runserver"] == "gonghui.core"


def test_the_inprocess_beat_runs_the_sweep_eagerly(db, monkeypatch, tmp_path):
    """Celery's beat, started by runserver without a broker, runs the sweep in-process: the
    task is known to the app, so beat applies it (eagerly) instead of queueing it."""
    import threading

    from gonghui.celery import app
    from gonghui.core.management.commands import runserver

    ran = threading.Event()
    monkeypatch.setattr(
        sweep_services, "case_sweep", lambda: ran.set() or sweep_services.SweepResult(0, 0)
    )
    monkeypatch.setattr(settings, "CELERY_BEAT_SCHEDULE_FILENAME", str(tmp_path / "beat"))
    monkeypatch.setitem(
        app.conf,
        "beat_schedule",
        {"sweep": {"task": "gonghui.casework.tasks.case_sweep_task", "schedule": 0.2}},
    )
    service = runserver.start_inprocess_beat()
    assert service is not None
    try:
        assert ran.wait(timeout=10), "the sweep did not run in-process"
    finally:
        service.stop()
        service.thread.join(timeout=10)


def test_a_large_material_never_touches_the_disk_unsealed(world, settings, tmp_path, monkeypatch):
    """A 3 MB scan of a medical record: Django would spool it to a temporary file past
    FILE_UPLOAD_MAX_MEMORY_SIZE; it stays in memory until the service seals it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "tmp"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    worker = world.worker("union_b")
    case = cases_services.case_open(
        actor=worker,
        person=worker.person,
        service_type=ServiceType.objects.get(code="hardship"),
        title="大病救助",
        description="附病历。",
    )
    marker = b"PATIENT-330402199001011230"
    scan = b"%PDF-1.4\n" + marker + b"\n" + b"0" * (3 * 1024 * 1024)
    seen: list[str] = []
    add = materials_services.case_material_add

    def add_and_look(**kwargs):
        seen.extend(str(p) for p in tmp_path.rglob("*") if p.is_file() and marker in p.read_bytes())
        return add(**kwargs)

    monkeypatch.setattr(materials_services, "case_material_add", add_and_look)
    upload = SimpleUploadedFile("病历.pdf", scan, content_type="application/pdf")
    response = login(worker).post(
        reverse("portal:case_material_upload", args=[case.pk]), {"file": upload}
    )
    assert response.status_code == 302 and case.materials.count() == 1
    assert seen == []
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and marker in p.read_bytes()]


def test_a_new_case_moves_the_clerks_badge_at_once(world, django_capture_on_commit_callbacks):
    """The badge is cached until the cases change; the change must reach the cache even
    after the garbage collector has run (a weakly connected receiver would be gone)."""
    import gc

    from gonghui.core import modules

    def badge(actor):
        return next(
            e.badge for s in modules.console_menu(actor) for e in s.entries if e.key == "cases"
        )

    gc.collect()
    worker = world.worker("union_b")

    def open_case():
        with django_capture_on_commit_callbacks(execute=True):
            return cases_services.case_open(
                actor=worker,
                person=worker.person,
                service_type=ServiceType.objects.get(code="petition"),
                title="反映问题",
                description="车间噪声大",
            )

    case = open_case()
    key = next(k for k, org in world.orgs.items() if org.pk == case.handler_id)
    clerk = world.staff(key, "clerk")
    before = badge(clerk)
    open_case()
    assert badge(clerk) == before + 1


def test_the_count_receivers_are_held_strongly():
    """They are local functions of ``ready``: held by weak reference, the garbage collector
    may take them, and the badges would stay stale until their cache expired."""
    import weakref

    from django.db.models.signals import post_delete, post_save

    uids = {"count-Case", "count-CaseEvent", "count-Membership", "count-Person"}
    held = {
        lookup[0]: receiver
        for signal in (post_save, post_delete)
        for lookup, receiver, *_rest in signal.receivers
        if lookup[0] in uids
    }
    assert set(held) == uids
    assert not any(isinstance(r, weakref.ReferenceType) for r in held.values())
