"""The module registry: a throw-away module plugged in appears in every place the platform
builds from the registry, and leaves when unplugged."""

from __future__ import annotations

import contextlib
import importlib
import sys

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import clear_url_caches, reverse

from gonghui.core import inbox, modules
from gonghui.core.modules import (
    BenchScenario,
    DemoStep,
    Figure,
    HomeTile,
    InboxKind,
    MenuEntry,
    MenuSection,
    Module,
    PeriodicJob,
    PersonPanel,
    PortalTile,
)
from gonghui.core.scoping import NotFound
from gonghui.core.tests import trial_module

TRIAL = Module(
    name="trial",
    label="试办",
    urls="gonghui.core.tests.trial_module",
    sections=(MenuSection("trial", "试办模块", 45),),
    menu=(
        MenuEntry(
            "trial_list",
            "trial",
            "试办事项",
            "console:trial_list",
            "bi-star",
            badge=trial_module.waiting,
        ),
    ),
    home_tiles=(
        HomeTile("trial", "待处理的试办事项", "console:trial_list", trial_module.tile_count),
    ),
    portal_tiles=(PortalTile("trial", "试办申请", "portal:trial_apply", "bi-star"),),
    enterprise_tiles=(PortalTile("trial", "试办认领", "enterprise:trial_adopt", "bi-star"),),
    inbox=(InboxKind("trial", "试办事项", "gonghui.core.tests.trial_module.items"),),
    periodic=(PeriodicJob("trial-job", "gonghui.core.tests.trial_module.task", 42),),
    demo=(DemoStep("trial", "gonghui.core.tests.trial_module.demo_step", after=("tree",)),),
    bench=(
        BenchScenario(
            "trial",
            "gonghui.core.tests.trial_module.bench_run",
            arguments="gonghui.core.tests.trial_module.bench_arguments",
            after=("members",),
        ),
    ),
    figures=(
        Figure(
            "trial.staff",
            "试办人员",
            "人",
            lambda actor, org, year: org.staff.all(),
        ),
    ),
    person_panels=(
        PersonPanel("trial", "试办记录", "gonghui.core.tests.trial_module.person_records"),
    ),
)


def reload_urls() -> None:
    import gonghui.urls

    clear_url_caches()
    importlib.reload(gonghui.urls)


@pytest.fixture
def trial():
    with modules.installed(TRIAL):
        reload_urls()
        yield TRIAL
    reload_urls()


def test_the_trial_module_appears_in_the_console_menu_with_its_badge(world, trial):
    client = Client()
    client.force_login(world.staff("town_a", "clerk"))
    page = client.get(reverse("console:home")).content.decode()
    assert "试办模块" in page
    assert 'href="/console/trial/"' in page
    assert '试办事项 <span class="badge text-bg-warning">7</span>' in page
    # ...before the sections declared after it, after those declared before it.
    headers = [h.split("<")[0] for h in page.split('px-3">')[1:]]
    assert headers.index("文化服务") < headers.index("试办模块") < headers.index("三建联动")
    assert client.get("/console/trial/").content.decode() == "试办事项列表"


def test_the_trial_module_adds_a_tile_to_the_staff_home(world, trial):
    client = Client()
    client.force_login(world.staff("town_a", "clerk"))
    page = client.get(reverse("console:home")).content.decode()
    assert 'data-tile="trial"' in page and "待处理的试办事项" in page
    assert [
        t.count for t in modules.home_tiles(world.staff("town_a", "clerk")) if t.key == "trial"
    ] == [3]


def test_the_trial_module_adds_a_tile_and_inbox_items_to_the_portal(world, trial):
    client = Client()
    client.force_login(world.worker("union_a"))
    home = client.get(reverse("portal:home")).content.decode()
    assert 'data-testid="trial"' in home and "试办申请" in home
    assert 'href="/m/trial/"' in home
    assert "试办申请一号" in client.get(reverse("portal:inbox")).content.decode()


def test_the_trial_module_adds_a_tile_to_the_enterprise_area(world, trial):
    client = Client()
    client.force_login(world.contact("enterprise_a"))
    home = client.get(reverse("enterprise:home")).content.decode()
    assert 'data-testid="trial"' in home and 'href="/enterprise/trial/"' in home
    assert client.get("/enterprise/trial/").content.decode() == "试办事项列表"


def test_the_trial_module_joins_the_beat_schedule(trial):
    assert modules.beat_schedule()["trial-job"] == {
        "task": "gonghui.core.tests.trial_module.task",
        "schedule": 42,
    }


def test_the_beat_schedule_in_force_is_the_registrys():
    from gonghui.celery import app

    assert app.conf.beat_schedule == modules.beat_schedule()
    assert {"casework-sweep", "culture-sweep"} <= set(app.conf.beat_schedule)


def test_the_trial_module_runs_its_demo_step_after_the_one_it_names(db, trial):
    only_tree = Module("demo", "演示数据", demo=(DemoStep("tree", "gonghui.demo.loader.tree"),))
    trial_module.ran.clear()
    with modules.installed(only_tree):
        # Other modules name steps this trimmed demo lacks: the error says which.
        with pytest.raises(LookupError, match="which no module declares"):
            call_command("load_demo", members=10)
        others = [m.name for m in modules.modules() if m.demo and m.name not in ("demo", "trial")]
        with contextlib.ExitStack() as stack:
            for name in others:  # their steps need the foundation this demo lacks
                stack.enter_context(modules.installed(Module(name, "-")))
            assert [s.key for s in modules.demo_steps()] == ["tree", "trial"]
            call_command("load_demo", members=10)
    assert trial_module.ran["demo"], "the trial step ran with the builder's staff"


def test_the_trial_module_adds_a_bench_scenario_with_its_options(trial, monkeypatch):
    from bench.__main__ import main

    assert [s.key for s in modules.bench_scenarios()] == [
        "members",
        "cases",
        "flash",
        "assistance",
        "pages",
        "mutualaid",
        "trial",
    ]
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nothing")
    monkeypatch.setattr(sys, "argv", ["bench", "--only", "trial", "--trial-size", "5"])
    trial_module.ran.clear()
    main()
    assert trial_module.ran["bench"] == 5


def test_the_trial_module_adds_a_figure_scoped_to_the_actor(world, trial):
    actor = world.staff("district_a", "admin")
    assert "trial.staff" in [f.key for f in modules.figures()]
    assert modules.figure_value("trial.staff", actor=actor, org=world.town_a, year=2026) == len(
        world.town_a.staff.all()
    )
    with pytest.raises(NotFound):
        modules.figure_value("trial.staff", actor=actor, org=world.town_b, year=2026)


def test_the_trial_module_adds_a_panel_to_the_member_page(world, trial):
    membership = world.member("union_a")
    client = Client()
    client.force_login(world.staff("town_a", "clerk"))
    page = client.get(reverse("console:member_detail", args=[membership.pk])).content.decode()
    assert 'data-testid="person-panel-trial"' in page
    assert f"试办记录：{membership.person_id} 号" in page
    # The tag works on any page for one person or several (a household), and a panel with
    # nothing to show is left out.
    shown = modules.person_panels(world.staff("town_a", "clerk"), [1, 2])
    assert [p.items for p in shown if p.key == "trial"] == [["试办记录：1 号", "试办记录：2 号"]]
    assert [p for p in modules.person_panels(None, [1]) if p.key == "trial"] == []


def test_the_person_panels_tag_takes_a_person_or_several(world, trial, rf):
    from django.template import Context, Template

    request = rf.get("/")
    request.user = world.staff("town_a", "clerk")
    person = world.member("union_a").person
    template = Template("{% person_panels people %}")
    for people in (person, [person], person.pk):
        html = template.render(Context({"request": request, "people": people}))
        assert f"试办记录：{person.pk} 号" in html


def test_a_flow_of_numbers_is_summed_month_by_month(world):
    import datetime

    from gonghui.organizations.models import Enterprise

    employees = Figure(
        "trial.employees",
        "试办职工",
        "人",
        lambda actor, org, year: Enterprise.objects.visible_to(actor).filter(
            area__path__startswith=org.path, created_at__year=year
        ),
        dated_by="created_at",
        month_sum="employee_count",
    )
    actor = world.staff("city", "admin")
    today = datetime.date.today()  # noqa: DTZ011
    with modules.installed(Module("trial_sum", "试办", figures=(employees,))):
        months = modules.figure_months("trial.employees", actor=actor, org=world.city, today=today)
    # The world's four enterprises, 100 employees each, registered this month.
    assert months[-1] == (f"{today.year}-{today.month:02d}", 400)


def test_unplugging_the_module_removes_it_everywhere(world):
    with modules.installed(TRIAL):
        assert "trial" in [k.key for k in inbox.kinds()]
    assert "trial" not in [k.key for k in inbox.kinds()]
    assert "trial" not in [m.name for m in modules.modules()]
    assert "trial-job" not in modules.beat_schedule()
    assert all(s.key != "trial" for s in modules.bench_scenarios())


def test_a_dependency_circle_is_named():
    circle = [
        DemoStep("a", "x.a", after=("b",)),
        DemoStep("b", "x.b", after=("a",)),
    ]
    with pytest.raises(LookupError, match="a, b"):
        modules._ordered(circle, "demo step")


def test_every_declared_figure_counts_the_records_it_lists(world):
    actor = world.staff("city", "admin")
    for figure in modules.figures():
        value = modules.figure_value(figure.key, actor=actor, org=world.city, year=2026)
        records = modules.figure_records(figure.key, actor=actor, org=world.city, year=2026)
        assert value == records.count(), figure.key


def test_home_tiles_show_only_what_the_person_may_act_on(world):
    # A clerk decides joins but not foundings; a leader decides nothing.
    clerk = {t.key for t in modules.home_tiles(world.staff("town_a", "clerk"))}
    reviewer = {t.key for t in modules.home_tiles(world.staff("town_a", "reviewer"))}
    leader = {t.key for t in modules.home_tiles(world.staff("town_a", "leader"))}
    assert {"joins", "cases"} <= clerk and "foundings" not in clerk
    assert {"joins", "foundings", "homes", "menu_orders"} <= reviewer
    assert leader == set()


@pytest.mark.django_db
def test_the_access_log_names_what_was_seen_in_words():
    from gonghui.core.models import PersonalDataAccess

    def label(subject_type: str, field: str) -> str:
        return PersonalDataAccess(subject_type=subject_type, field=field).field_label

    # a module's own name for what it logs, with the record it was
    assert label("hardship.visitphoto", "hardship_photo:12") == "入户核查照片 #12"
    # a model field: its label
    assert label("members.person", "id_number") == "身份证号"
    # anything else as logged
    assert label("members.person", "something") == "something"
