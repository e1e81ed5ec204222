"""Sessions and bookings: first come with a self-promoting waiting list, the lottery and its
published record, the rule (weekly limit, no-shows), check-in, and no oversell under load."""

from __future__ import annotations

import contextlib
import copy
import datetime
import io
import json
import shutil
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection
from django.test import override_settings
from django.utils import timezone

from gonghui.core import inbox
from gonghui.core.scoping import NotFound
from gonghui.core.sms import MemoryBackend
from gonghui.culture import draw
from gonghui.culture.models import (
    Booking,
    BookingMode,
    BookingRules,
    BookingState,
    ClassSession,
    Course,
    Series,
)
from gonghui.culture.services import attendance as attendance_services
from gonghui.culture.services import booking as booking_services
from gonghui.culture.services import catalogue as catalogue_services
from gonghui.culture.services import lottery as lottery_services
from gonghui.culture.services import rules as rules_services
from gonghui.culture.services import sessions as sessions_services
from gonghui.culture.services import sweep as sweep_services
from gonghui.culture.tests.test_draw import (
    DRAW_PY,
    TAMPERINGS,
    forge,
    run_cli,
    seed_changed,
)
from gonghui.testing.world import build_world

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def sms(django_capture_on_commit_callbacks):
    """Run what commits would run (the SMS task), and collect the messages."""

    @contextlib.contextmanager
    def capture():
        MemoryBackend.outbox.clear()
        with (
            override_settings(GONGHUI_SMS_BACKEND="gonghui.core.sms.MemoryBackend"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            yield MemoryBackend.outbox

    return capture


def course(world, org="town_b") -> Course:
    return catalogue_services.course_save(
        actor=world.staff(org, "clerk"),
        series=Series.objects.get(code="caiyi"),
        category="instrument",
        title="古筝入门",
    )


def publish(world, *, mode=BookingMode.FIRST_COME, capacity=2, org="town_b", **extra):
    now = timezone.now()
    values = {
        "starts_at": now + 48 * HOUR,
        "ends_at": now + 50 * HOUR,
        "opens_at": now - HOUR,
        "closes_at": now + 24 * HOUR,
        "place": "镇文化站二楼",
        **extra,
    }
    return sessions_services.session_publish(
        actor=world.staff(org, "clerk"),
        course=course(world, org),
        capacity=capacity,
        mode=mode,
        **values,
    )


def seats(session: ClassSession) -> int:
    return ClassSession.unscoped.get(pk=session.pk).seats_left


def refusal(call) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    return " ".join(caught.value.messages)


# --- first come -------------------------------------------------------------------------------


def test_first_come_books_until_full_then_queues_and_a_cancellation_offers_the_seat(world, sms):
    session = publish(world, capacity=2)
    a, b, c, d = (world.worker("union_b") for _ in range(4))
    assert booking_services.booking_create(actor=a, session=session).state == BookingState.BOOKED
    bb = booking_services.booking_create(actor=b, session=session)
    cc = booking_services.booking_create(actor=c, session=session)
    dd = booking_services.booking_create(actor=d, session=session)
    assert bb.state == BookingState.BOOKED
    assert (cc.state, dd.state) == (BookingState.WAITING, BookingState.WAITING)
    assert seats(session) == 0
    assert booking_services.waiting_place(cc) == 1 and booking_services.waiting_place(dd) == 2
    with sms() as sent:
        booking_services.booking_cancel(actor=b, booking=bb)
    cc.refresh_from_db()
    assert cc.state == BookingState.OFFERED and cc.offered_until is not None
    assert seats(session) == 0  # the seat is held for the offer, not given back
    assert any("递补" in text for _mobile, text in sent)
    item = next(i for i in inbox.inbox_for(c.person_id) if i.kind == "booking")
    assert item.status == BookingState.OFFERED and item.deadline == cc.offered_until
    booking_services.offer_confirm(actor=c, booking=cc)
    cc.refresh_from_db()
    assert cc.state == BookingState.BOOKED


def test_an_offer_not_confirmed_in_time_passes_to_the_next_in_line(world):
    session = publish(world, capacity=1)
    a, b, c = (world.worker("union_b") for _ in range(3))
    first = booking_services.booking_create(actor=a, session=session)
    second = booking_services.booking_create(actor=b, session=session)
    third = booking_services.booking_create(actor=c, session=session)
    booking_services.booking_cancel(actor=a, booking=first)
    second.refresh_from_db()
    assert second.state == BookingState.OFFERED
    result = sweep_services.culture_sweep(now=second.offered_until + datetime.timedelta(minutes=1))
    assert result.lapsed == 1
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.state == BookingState.LAPSED and third.state == BookingState.OFFERED
    assert "确认时限已过" in refusal(
        lambda: booking_services.offer_confirm(actor=b, booking=second)
    )


def test_a_freed_seat_with_nobody_waiting_goes_back_to_the_session(world):
    session = publish(world, capacity=1)
    a = world.worker("union_b")
    booking = booking_services.booking_create(actor=a, session=session)
    booking_services.booking_cancel(actor=a, booking=booking)
    assert seats(session) == 1
    again = booking_services.booking_create(
        actor=a, session=session
    )  # a cancelled booking may be redone
    assert again.state == BookingState.BOOKED


# --- refusals change nothing ------------------------------------------------------------------


def test_refusals_say_why_and_change_nothing(world):
    now = timezone.now()
    worker = world.worker("union_b")
    later = publish(world, opens_at=now + HOUR, closes_at=now + 2 * HOUR)
    assert "预约尚未开始" in refusal(
        lambda: booking_services.booking_create(actor=worker, session=later)
    )
    closed = publish(world)
    ClassSession.unscoped.filter(pk=closed.pk).update(opens_at=now - 3 * HOUR, closes_at=now - HOUR)
    closed.refresh_from_db()
    assert "预约已截止" in refusal(
        lambda: booking_services.booking_create(actor=worker, session=closed)
    )
    session = publish(world, capacity=5)
    booking_services.booking_create(actor=worker, session=session)
    assert "不能重复预约" in refusal(
        lambda: booking_services.booking_create(actor=worker, session=session)
    )
    members_only = publish(world, audience=world.town_a, org="district_a")
    assert "仅面向A镇总工会的会员" in refusal(
        lambda: booking_services.booking_create(actor=worker, session=members_only)
    )
    cancelled = publish(world)
    sessions_services.session_cancel(
        actor=world.staff("town_b", "clerk"), session=cancelled, reason="停电"
    )
    cancelled.refresh_from_db()
    assert "已取消" in refusal(
        lambda: booking_services.booking_create(actor=worker, session=cancelled)
    )
    assert Booking.unscoped.filter(person_id=worker.person_id).count() == 1
    assert seats(session) == 4 and seats(later) == 2 and seats(members_only) == 2


def test_the_weekly_limit_counts_bookings_in_the_week_of_the_class(world):
    rules = BookingRules.current()
    worker = world.worker("union_b")
    sessions = [publish(world, capacity=3) for _ in range(rules.weekly_limit + 1)]
    for session in sessions[:-1]:
        booking_services.booking_create(actor=worker, session=session)
    message = refusal(lambda: booking_services.booking_create(actor=worker, session=sessions[-1]))
    assert f"每周最多预约或报名 {rules.weekly_limit} 节" in message
    assert seats(sessions[-1]) == 3


def test_staff_accounts_cannot_book_and_a_worker_cannot_cancel_anothers_booking(world):
    session = publish(world)
    with pytest.raises(PermissionDenied):
        booking_services.booking_create(actor=world.staff("town_b", "clerk"), session=session)
    a, b = world.worker("union_b"), world.worker("union_b")
    booking = booking_services.booking_create(actor=a, session=session)
    with pytest.raises(NotFound):
        booking_services.booking_cancel(actor=b, booking=booking)


def test_only_the_running_subtree_publishes_and_checks_sessions(world):
    with pytest.raises(NotFound):
        sessions_services.session_publish(
            actor=world.staff("town_a", "clerk"),
            course=course(world, "town_b"),
            starts_at=timezone.now() + 48 * HOUR,
            ends_at=timezone.now() + 50 * HOUR,
            opens_at=timezone.now(),
            closes_at=timezone.now() + HOUR,
            capacity=5,
            mode=BookingMode.FIRST_COME,
            place="某地",
        )
    bad = refusal(
        lambda: publish(
            world, capacity=0, closes_at=timezone.now() + 60 * HOUR, mode="raffle", place=""
        )
    )
    assert "名额至少为 1" in bad and "预约应在上课开始前截止" in bad and "请选择预约方式" in bad


# --- the lottery ------------------------------------------------------------------------------


def close_window(session: ClassSession) -> ClassSession:
    now = timezone.now()
    ClassSession.unscoped.filter(pk=session.pk).update(
        opens_at=now - 3 * HOUR, closes_at=now - datetime.timedelta(seconds=1)
    )
    session.refresh_from_db()
    return session


def test_a_lottery_publishes_its_commitment_then_a_draw_anyone_can_rerun(world, sms):
    session = publish(world, mode=BookingMode.LOTTERY, capacity=3)
    assert len(session.commitment) == 64
    before = lottery_services.draw_record(session)
    assert before == {
        "algorithm": draw.ALGORITHM,
        "commitment": session.commitment,
        "entrants_digest": "",
        "drawn": False,
    }
    workers = [world.worker("union_b") for _ in range(7)]
    for worker in workers:
        entry = booking_services.booking_create(actor=worker, session=session)
        assert entry.state == BookingState.ENTERED
    clerk = world.staff("town_b", "clerk")
    assert "报名截止" in refusal(
        lambda: lottery_services.lottery_draw(actor=clerk, session=session)
    )
    session = close_window(session)
    with sms() as sent:
        lottery_services.lottery_draw(actor=clerk, session=session)
    session.refresh_from_db()
    record = lottery_services.draw_record(session)
    assert record["drawn"] is True
    assert draw.commitment(record["seed"]) == session.commitment
    # the digest frozen at the close is the record's, and covers the seats and every weight
    assert session.entrants_frozen_at is not None
    assert (
        record["entrants_digest"]
        == session.entrants_digest
        == draw.entrants_digest(
            3, [draw.Entrant(e["code"], e["weight_divisor"]) for e in record["entrants"]]
        )
    )
    assert draw.verify(session.draw_record) == []  # what draw.json serves
    assert len(record["winners"]) == 3 and len(record["waiting"]) == 4
    assert all("*" in e["name"] for e in record["entrants"])  # names are masked
    booked = Booking.unscoped.filter(session=session, state=BookingState.BOOKED)
    assert sorted(b.code for b in booked) == sorted(record["winners"])
    first_waiting = Booking.unscoped.get(session=session, state=BookingState.WAITING, rank=4)
    assert first_waiting.code == record["waiting"][0]
    assert len(sent) == 7  # every entrant is told the result
    assert seats(session) == 0
    assert "已于" in refusal(lambda: lottery_services.lottery_draw(actor=clerk, session=session))


def test_the_sweep_draws_a_lottery_whose_window_closed(world):
    session = publish(world, mode=BookingMode.LOTTERY, capacity=5)
    worker = world.worker("union_b")
    booking_services.booking_create(actor=worker, session=session)
    close_window(session)
    assert sweep_services.culture_sweep().drawn == 1
    assert sweep_services.culture_sweep().drawn == 0
    booking = Booking.unscoped.get(session=session)
    assert booking.state == BookingState.BOOKED and seats(session) == 4
    # the list was frozen (its digest on record) before the draw revealed the seed
    session.refresh_from_db()
    assert session.entrants_frozen_at <= session.drawn_at
    assert session.draw_record["entrants_digest"] == session.entrants_digest != ""


# --- check-in and the no-show rule ------------------------------------------------------------


def move_to(session: ClassSession, starts_at: datetime.datetime) -> ClassSession:
    ClassSession.unscoped.filter(pk=session.pk).update(
        opens_at=starts_at - 48 * HOUR,
        closes_at=starts_at - HOUR,
        starts_at=starts_at,
        ends_at=starts_at + 2 * HOUR,
    )
    session.refresh_from_db()
    return session


def test_check_in_by_the_bookings_qr_token(world):
    session = publish(world, capacity=3)
    worker = world.worker("union_b")
    booking = booking_services.booking_create(actor=worker, session=session)
    other = booking_services.booking_create(actor=world.worker("union_b"), session=publish(world))
    clerk = world.staff("town_b", "clerk")
    assert "签到时间" in refusal(
        lambda: attendance_services.booking_check_in(
            actor=clerk, session=session, token=booking.token
        )
    )
    session = move_to(session, timezone.now() - HOUR)  # under way
    assert "不是本节课程" in refusal(
        lambda: attendance_services.booking_check_in(
            actor=clerk, session=session, token=other.token
        )
    )
    done = attendance_services.booking_check_in(actor=clerk, session=session, token=booking.token)
    assert done.state == BookingState.ATTENDED and done.checked_in_by == clerk
    assert "已于" in refusal(
        lambda: attendance_services.booking_check_in(
            actor=clerk, session=session, token=booking.token
        )
    )
    with pytest.raises(NotFound):
        attendance_services.booking_check_in(
            actor=world.staff("town_a", "clerk"), session=session, token=booking.token
        )


def test_the_bookings_qr_is_a_standalone_svg_on_a_white_quiet_zone(world, client):
    """An ``<img>`` shows an SVG only when it is a namespaced XML document; a scanner reads
    the code only against a light background with a margin around it."""
    from xml.etree import ElementTree

    session = publish(world, capacity=3)
    worker = world.worker("union_b")
    booking = booking_services.booking_create(actor=worker, session=session)
    client.force_login(worker)
    response = client.get(f"/m/culture/bookings/{booking.pk}/qr.svg")
    assert response["Content-Type"] == "image/svg+xml"
    # Our own output, parsed to prove it is well-formed XML in the SVG namespace.
    root = ElementTree.fromstring(response.content)  # noqa: S314
    svg = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{svg}svg"
    assert root.get("viewBox") and root.get("width")
    # The first thing painted is a white square over the whole code, quiet zone included;
    # the dark modules start four modules in.
    background, modules = list(root.iter(f"{svg}path"))
    assert background.get("fill") == "#fff" and background.get("d").startswith("M0 0h")
    assert modules.get("stroke") == "#000" and modules.get("d").startswith("M4 4.5")


def test_two_no_shows_stop_first_come_booking_and_halve_the_lottery_weight(world):
    worker = world.worker("union_b")
    now = timezone.now()
    for days in (20, 10):
        session = publish(world, capacity=3)
        booking_services.booking_create(actor=worker, session=session)
        session = move_to(session, now - datetime.timedelta(days=days))
    sweep_services.culture_sweep()
    assert Booking.unscoped.filter(person_id=worker.person_id, state="no_show").count() == 2
    standing = rules_services.standing_of(person_id=worker.person_id)
    assert standing.penalised and standing.weight_divisor == 2
    assert standing.penalised_until.date() == (now + datetime.timedelta(days=20)).date()
    message = refusal(lambda: booking_services.booking_create(actor=worker, session=publish(world)))
    assert "暂停先到先得预约" in message
    entry = booking_services.booking_create(
        actor=worker, session=publish(world, mode=BookingMode.LOTTERY)
    )
    assert entry.weight_divisor == 2


# --- no oversell, whatever the concurrency ----------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_bookings_never_oversell():
    """Many workers press at once, each on their own connection (threads; on PostgreSQL real
    concurrent transactions, on SQLite queued on the write lock): exactly ``capacity`` seats
    are taken and everyone else waits in line."""
    if not Series.objects.exists():  # a transactional test's flush empties migration data
        from importlib import import_module

        from django.apps import apps

        import_module("gonghui.culture.migrations.0002_seed_series_and_rules").seed(apps, None)
    world = build_world()
    session = publish(world, capacity=5)
    workers = [world.worker("union_b") for _ in range(24)]
    start = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def press(worker) -> None:
        try:
            start.wait()
            booking_services.booking_create(actor=worker, session=session)
        except BaseException as exc:  # noqa: BLE001  (collected and asserted below)
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=press, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    states = list(Booking.unscoped.filter(session=session).values_list("state", flat=True))
    assert states.count(BookingState.BOOKED) == 5
    assert states.count(BookingState.WAITING) == 19
    assert seats(session) == 0


def test_verify_draw_command_checks_a_published_draw(world, tmp_path):
    from django.core.management import CommandError, call_command

    session = publish(world, mode=BookingMode.LOTTERY, capacity=1)
    for _ in range(3):
        booking_services.booking_create(actor=world.worker("union_b"), session=session)
    session = lottery_services.lottery_draw(session=close_window(session))
    out = io.StringIO()
    call_command("verify_draw", str(session.pk), stdout=out)
    assert "结果一致" in out.getvalue()
    tampered = dict(session.draw_record)
    tampered["winners"] = [tampered["waiting"][0]]
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(tampered, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="结果不一致"):
        call_command("verify_draw", "--file", str(path), stdout=io.StringIO(), stderr=io.StringIO())


# --- the booking list's export ------------------------------------------------------------------


def test_the_booking_list_exports_for_a_session_whose_name_holds_the_class_time(world, client):
    """Issue 9: every class's export answered 500 ("Invalid character : found in sheet
    title"), since a session is named by its course and its time."""
    from openpyxl import load_workbook

    session = publish(world, capacity=1, starts_at=timezone.now() + 30 * HOUR)
    first, second = world.worker("union_b"), world.worker("union_b")
    booked = booking_services.booking_create(actor=first, session=session)
    booking_services.booking_create(actor=second, session=session)
    assert ":" in str(session)
    client.force_login(world.staff("town_b", "clerk"))

    response = client.get(f"/console/culture/sessions/{session.pk}/", {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert ":" not in sheet.title and sheet.title.startswith("预约名单 古筝入门")
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("凭证号", "姓名", "状态", "顺位", "预约时间", "签到时间")
    assert {row[0] for row in rows[1:]} == {booked.code, f"B{booked.pk + 1:07d}"}
    assert {row[2] for row in rows[1:]} == {"预约成功", "候补中"}
    assert all(isinstance(row[4], datetime.datetime) for row in rows[1:])  # a date cell
    # filtered like the page
    waiting = client.get(
        f"/console/culture/sessions/{session.pk}/", {"format": "xlsx", "state": "waiting"}
    )
    rows = list(load_workbook(io.BytesIO(b"".join(waiting.streaming_content))).active.values)
    assert [row[2] for row in rows[1:]] == ["候补中"]


# --- the entrant digest -------------------------------------------------------------------------


def test_the_entrant_list_is_frozen_and_its_digest_published_when_sign_up_closes(world, client):
    from gonghui.accounts.services import api_token_issue

    session = publish(world, mode=BookingMode.LOTTERY, capacity=1)
    first, second = world.worker("union_b"), world.worker("union_b")
    entries = [booking_services.booking_create(actor=w, session=session) for w in (first, second)]
    Booking.unscoped.filter(pk=entries[1].pk).update(weight_divisor=2)  # a penalised worker
    key, _token = api_token_issue(user=first)
    api = f"/api/culture/sessions/{session.pk}"
    assert client.get(api, HTTP_AUTHORIZATION=f"Bearer {key}").json()["entrants_digest"] == ""

    # Given the sign-up closed, a sign-up can no longer be withdrawn from the list,
    session = close_window(session)
    assert "抽签名单已锁定" in refusal(
        lambda: booking_services.booking_cancel(actor=first, booking=entries[0])
    )
    # when the list is frozen, its digest (seats, codes, weights) is on record and on show in
    # the console, the portal and the API before anyone draws,
    session = lottery_services.lottery_freeze(session=session)
    digest = draw.entrants_digest(
        1, [draw.Entrant(entries[0].code, 1), draw.Entrant(entries[1].code, 2)]
    )
    assert session.entrants_digest == digest and session.drawn_at is None
    assert lottery_services.lottery_freeze(session=session).entrants_digest == digest  # once
    assert client.get(api, HTTP_AUTHORIZATION=f"Bearer {key}").json()["entrants_digest"] == digest
    client.force_login(first)
    page = client.get(f"/m/culture/sessions/{session.pk}/").content.decode()
    assert digest in page and 'data-testid="cancel-booking"' not in page
    assert client.get(f"/m/culture/sessions/{session.pk}/draw.json").json() == {
        "algorithm": draw.ALGORITHM,
        "commitment": session.commitment,
        "entrants_digest": digest,
        "drawn": False,
    }
    client.force_login(world.staff("town_b", "clerk"))
    assert digest in client.get(f"/console/culture/sessions/{session.pk}/").content.decode()

    # then the draw ranks exactly that list, and publishes the digest with its record.
    session = lottery_services.lottery_draw(session=session)
    assert session.draw_record["entrants_digest"] == digest
    assert draw.verify(session.draw_record, session.commitment, digest) == []


def test_a_list_changed_after_the_close_is_never_drawn(world):
    session = publish(world, mode=BookingMode.LOTTERY, capacity=1)
    entry = booking_services.booking_create(actor=world.worker("union_b"), session=session)
    booking_services.booking_create(actor=world.worker("union_b"), session=session)
    session = lottery_services.lottery_freeze(session=close_window(session))
    Booking.unscoped.filter(pk=entry.pk).update(weight_divisor=3)  # behind the services' back
    assert "与报名截止时公布的摘要不符" in refusal(
        lambda: lottery_services.lottery_draw(session=session)
    )
    assert ClassSession.unscoped.get(pk=session.pk).drawn_at is None


def drawn_lottery(world) -> ClassSession:
    session = publish(world, mode=BookingMode.LOTTERY, capacity=2)
    entries = [
        booking_services.booking_create(actor=world.worker("union_b"), session=session)
        for _ in range(6)
    ]
    Booking.unscoped.filter(pk=entries[0].pk).update(weight_divisor=2)
    return lottery_services.lottery_draw(session=close_window(session))


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda tamper: tamper.__name__)
def test_a_tampered_record_fails_through_draw_py_and_verify_draw(world, tmp_path, tamper):
    from django.core.management import CommandError, call_command

    session = drawn_lottery(world)
    published = ["--commitment", session.commitment, "--entrants-digest", session.entrants_digest]
    shutil.copy(DRAW_PY, tmp_path / "draw.py")

    def write(record) -> str:
        path = tmp_path / "draw.json"
        path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        return str(path)

    def verify_draw(*arguments) -> str:
        out, err = io.StringIO(), io.StringIO()
        call_command("verify_draw", *arguments, stdout=out, stderr=err)
        return out.getvalue()

    # The genuine record checks out against the class page's values ...
    path = write(session.draw_record)
    assert run_cli(["-I", "draw.py", path, *published], tmp_path).returncode == 0
    assert "结果一致" in verify_draw(str(session.pk), "--file", path)

    # ... a tampered one does not, whether only the list or seed was edited (and the results
    # made to agree) or every value inside the record was forged to agree with itself.
    edited = tamper(copy.deepcopy(session.draw_record))
    forged = forge(tamper(copy.deepcopy(session.draw_record)))
    for record in (edited, forged):
        path = write(record)
        done = run_cli(["-I", "draw.py", path, *published], tmp_path)
        assert done.returncode == 1 and "结果不一致" in done.stdout, done.stdout
        with pytest.raises(CommandError, match="结果不一致"):
            verify_draw(str(session.pk), "--file", path)
    # An edited list fails even against its own digest, with nothing else to compare.
    if tamper is not seed_changed:
        path = write(edited)
        done = run_cli(["-I", "draw.py", path], tmp_path)
        assert done.returncode == 1 and "报名名单摘要与名单不符" in done.stdout, done.stdout
        with pytest.raises(CommandError, match="结果不一致"):
            verify_draw("--file", path)
    # and the session's own record is checked against its published columns too
    ClassSession.unscoped.filter(pk=session.pk).update(draw_record=forged)
    with pytest.raises(CommandError, match="结果不一致"):
        verify_draw(str(session.pk))


def test_every_worker_action_is_in_the_api(world, client):
    """Book, see the waiting place, cancel, be offered, confirm; the rule and the feed."""
    from gonghui.accounts.services import api_token_issue

    session = publish(world, capacity=1)
    first, second = world.worker("union_b"), world.worker("union_b")

    def call(user, method, path, body=None):
        key, _token = api_token_issue(user=user)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        if method == "get":
            return client.get(path, **headers)
        return client.post(path, json.dumps(body or {}), content_type="application/json", **headers)

    booked = call(first, "post", f"/api/culture/sessions/{session.pk}/bookings")
    assert booked.status_code == 201 and booked.json()["state"] == "booked"
    waiting = call(second, "post", f"/api/culture/sessions/{session.pk}/bookings")
    assert waiting.json()["state"] == "waiting"
    again = call(second, "post", f"/api/culture/sessions/{session.pk}/bookings")
    assert again.status_code == 422 and "不能重复预约" in again.json()["errors"][0]["message"]
    mine = call(second, "get", "/api/me/bookings").json()
    assert mine[0]["waiting_place"] == 1
    assert call(first, "post", f"/api/me/bookings/{booked.json()['id']}/cancel").status_code == 200
    offered = call(second, "get", f"/api/me/bookings/{waiting.json()['id']}").json()
    assert offered["state"] == "offered" and offered["offered_until"]
    confirmed = call(second, "post", f"/api/me/bookings/{waiting.json()['id']}/confirm").json()
    assert confirmed["state"] == "booked" and confirmed["qr"]
    rules = call(second, "get", "/api/culture/rules").json()
    assert rules["weekly_limit"] == BookingRules.current().weekly_limit
    assert rules["my_no_shows"] == 0
    feed = call(second, "get", "/api/me/calendar-feed").json()["url"]
    assert feed.endswith(".ics") and client.get(feed).status_code == 200
    month = timezone.localtime(session.starts_at).strftime("%Y-%m")
    entries = call(second, "get", f"/api/culture/calendar?month={month}").json()
    assert any(e["uid"] == f"session-{session.pk}" and e["mine"] for e in entries)
    assert call(second, "get", "/api/culture/calendar?month=²").status_code == 422


# --- found in review ----------------------------------------------------------------------------


def test_a_lottery_closes_an_hour_before_and_is_never_drawn_after_the_start(world):
    now = timezone.now()
    message = refusal(
        lambda: publish(
            world,
            mode=BookingMode.LOTTERY,
            closes_at=now + 47 * HOUR + datetime.timedelta(minutes=30),
        )
    )
    assert "至少在开课前 1 小时截止报名" in message
    session = publish(world, mode=BookingMode.LOTTERY, capacity=2)
    worker = world.worker("union_b")
    entry = booking_services.booking_create(actor=worker, session=session)
    session = move_to(session, now - HOUR)  # the job was down from the close until the class
    assert "课程已开始" in refusal(lambda: lottery_services.lottery_draw(session=session))
    result = sweep_services.culture_sweep(now=session.ends_at + HOUR)
    assert (result.drawn, result.no_shows) == (0, 0)  # nobody booked, nobody a no-show
    entry.refresh_from_db()
    assert entry.state == BookingState.UNREACHED


def test_a_no_show_counts_against_the_weekly_limit_like_attending(world):
    """Monday's class skipped, Wednesday's booked on Monday evening: Friday's is refused, as
    it would be had the worker come on Monday (the limit is 2 a week)."""
    worker = world.worker("union_b")
    today = timezone.localdate()
    monday = today + datetime.timedelta(days=14 - today.weekday())
    zone = timezone.get_current_timezone()

    def on(days: int) -> ClassSession:
        starts = datetime.datetime.combine(
            monday + datetime.timedelta(days=days), datetime.time(10), tzinfo=zone
        )
        return publish(
            world,
            capacity=3,
            starts_at=starts,
            ends_at=starts + 2 * HOUR,
            closes_at=starts - HOUR,
        )

    first, second, third = on(0), on(2), on(4)
    booking_services.booking_create(actor=worker, session=first)
    evening = first.ends_at + 6 * HOUR
    attendance_services.noshows_mark(session=first, now=evening)
    booking_services.booking_create(actor=worker, session=second, at=evening)
    message = refusal(
        lambda: booking_services.booking_create(actor=worker, session=third, at=evening)
    )
    assert "本周已满" in message


def test_a_suspension_runs_its_days_from_the_no_show_that_reached_the_limit(world):
    worker = world.worker("union_b")
    now = timezone.now()
    for days in (61, 11):  # 50 days apart: within the 60-day window of each other
        session = publish(world, capacity=3)
        booking_services.booking_create(actor=worker, session=session)
        session = move_to(session, now - datetime.timedelta(days=days))
        attendance_services.noshows_mark(session=session, now=now)
    standing = rules_services.standing_of(person_id=worker.person_id, now=now)
    assert standing.penalised  # until 30 days after the second, though the first left the window
    assert standing.penalised_until.date() == (now + datetime.timedelta(days=19)).date()


def test_a_booking_that_slipped_into_a_cancelled_session_is_ended_by_the_sweep(world):
    session = publish(world, capacity=3)
    booking = booking_services.booking_create(actor=world.worker("union_b"), session=session)
    ClassSession.unscoped.filter(pk=session.pk).update(state="cancelled")  # as if mid-cancel
    sweep_services.culture_sweep()
    booking.refresh_from_db()
    assert booking.state == BookingState.SESSION_CANCELLED


def test_the_inbox_tells_the_waiting_place_after_the_line_moved(world):
    session = publish(world, mode=BookingMode.LOTTERY, capacity=1)
    workers = [world.worker("union_b") for _ in range(3)]
    for worker in workers:
        booking_services.booking_create(actor=worker, session=session)
    session = lottery_services.lottery_draw(session=close_window(session))
    winner = Booking.unscoped.get(session=session, state=BookingState.BOOKED)
    booking_services.booking_cancel(
        actor=next(w for w in workers if w.person_id == winner.person_id), booking=winner
    )
    still = Booking.unscoped.get(session=session, state=BookingState.WAITING)
    item = next(i for i in inbox.inbox_for(still.person_id) if i.kind == "booking")
    assert "候补第 1 位" in item.detail


def test_an_impossible_session_number_is_not_found(world, client):
    from gonghui.accounts.services import api_token_issue

    key, _token = api_token_issue(user=world.worker("union_b"))
    response = client.post(
        "/api/culture/sessions/9223372036854775808/bookings",
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 404
