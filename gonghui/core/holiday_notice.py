"""Read the State Council's yearly notice of holidays (国务院办公厅关于某年部分节假日安排的通知),
pasted as it is, into the days it sets: the days off and the adjusted working days (调休上班).

The notice's items read like

    一、元旦：1月1日（周五）放假，与周末连休。
    二、春节：2月6日至12日放假调休，共7天。2月14日（周日）、2月20日（周六）上班。
    五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。
    一、元旦：1月1日（周三）放假1天，不调休。
    五、劳动节：5月1日放假，5月2日（星期一）补休。

Each sentence with a date and "放假", "补休" or "上班" must read as one of these forms, or it is
reported with its line and the reason; a sentence with neither (the greeting, the closing
paragraph, the signature, an encouragement to rest on New Year's Eve) is set aside and listed,
so the person sees what was not used. The weekday a date is annotated with (周五, 星期六) must
be the date's weekday in the year being entered, which catches a notice pasted for the wrong
year. Pure: no database, and no input makes it raise.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

# The longest break a notice has set is the extended Spring Festival of 2020 (10 days).
MAX_SPAN_DAYS = 15
MAX_NAME = 36  # WorkCalendarDay.name holds 40; "调休上班" takes four
_QUOTE = 60  # characters of a line quoted back in a message

_ORDINAL = "一二三四五六七八九十"
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
# After NFKC: full-width digits, brackets, colons and commas are ASCII.
_ITEM = re.compile(rf"^[{_ORDINAL}]{{1,3}}、(?P<name>[^:]{{1,20}}):")
# An item that begins in the middle of a line (a notice pasted as one paragraph).
_ITEM_START = re.compile(rf"(?<=[。.;])\s*(?=[{_ORDINAL}]{{1,3}}、[^、:,。]{{1,20}}:)")
_TITLE_YEAR = re.compile(r"关于([0-9]{4})年部分节假日安排")
_DATE = re.compile(
    r"(?:(?P<year>[0-9]{4})年)?(?:(?P<month>[0-9]{1,2})月)?(?P<day>[0-9]{1,2})日"
    r"(?P<note>\([^()]{0,30}\))?"
)
_NOTE_WEEKDAY = re.compile(r"(?:周|星期)([一二三四五六日天])")
_RANGE = r"(?P<first>D)(?:(?:至|到|~|-|—|–)(?P<last>D))?"
_HOLIDAY = re.compile(
    rf"^{_RANGE}放假(?:调休)?(?:(?P<count>[0-9]{{1,2}})天)?"
    r"(?P<tail>(?:,(?:共[0-9]{1,2}天|与周末连休|不调休))*)"
    r"(?:,(?P<extra>D(?:、D)*)补休)?$"
)
_TAIL_COUNT = re.compile(r"共([0-9]{1,2})天")
_WORKDAYS = re.compile(r"^D(?:、D)*上班$")


@dataclass(frozen=True)
class NoticeDay:
    """A day the notice names: off (``is_workday`` false) or an adjusted working day."""

    day: datetime.date
    is_workday: bool
    name: str
    line: int

    @property
    def is_exception(self) -> bool:
        """Whether the day departs from Monday to Friday, and so is stored."""
        return self.is_workday != (self.day.weekday() < 5)


@dataclass(frozen=True)
class Problem:
    line: int  # 0: the notice as a whole
    text: str  # the line as pasted, shortened
    message: str


@dataclass
class ParsedNotice:
    year: int
    days: list[NoticeDay] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Lines (or sentences) with nothing to read: (line, text).
    ignored: list[tuple[int, str]] = field(default_factory=list)

    @property
    def exceptions(self) -> dict[datetime.date, tuple[bool, str]]:
        """The days to store: day -> (is_workday, name), exceptions to Monday-Friday only."""
        return {d.day: (d.is_workday, d.name) for d in self.days if d.is_exception}


class _UnreadableError(Exception):
    """A sentence that names days but cannot be read; the message says why."""


def weekday_name(day: datetime.date) -> str:
    """星期一 … 星期日 (Monday … Sunday in English), from Django's own catalogue."""
    return str(WEEKDAYS[day.weekday()])


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _QUOTE else text[: _QUOTE - 1] + "…"


def _lines(text: str) -> list[tuple[int, str, str]]:
    """(line number, the line as pasted, the line normalised) for each non-blank piece, an
    item that starts mid-line split off under the same number."""
    pieces = []
    for number, raw in enumerate(text.splitlines(), start=1):
        normal = "".join(unicodedata.normalize("NFKC", raw).split())
        if not normal:
            continue
        for part in _ITEM_START.split(normal):
            if part:
                pieces.append((number, raw.strip(), part))
    return pieces


def parse(text: str, *, year: int) -> ParsedNotice:
    """The days ``text`` sets for ``year`` (the year dates without one belong to, between
    2000 and 2100 as the page allows)."""
    if not 1900 <= year <= 2200:
        raise ValueError(f"year {year} is out of range")
    result = ParsedNotice(year=year)
    found: dict[datetime.date, NoticeDay] = {}
    for number, raw, line in _lines(text or ""):
        title = _TITLE_YEAR.search(line)
        if title and int(title.group(1)) != year:
            result.problems.append(
                Problem(
                    number,
                    _shorten(raw),
                    _("这是 %(t)s 年的通知，而登记的是 %(y)s 年；请核对年份。")
                    % {"t": title.group(1), "y": year},
                )
            )
            continue
        item = _ITEM.match(line)
        name = item.group("name")[:MAX_NAME] if item else ""
        body = line[item.end() :] if item else line
        used = False
        set_aside: list[str] = []
        for sentence in re.split(r"[。;]", body):
            if not sentence:
                continue
            try:
                days = _sentence(sentence, year=year, name=name, line=number)
            except _UnreadableError as exc:
                result.problems.append(Problem(number, _shorten(raw), str(exc)))
                used = True
                continue
            if days is None:
                if _DATE.search(sentence):
                    set_aside.append(sentence)
                continue
            used = True
            for day in days:
                earlier = found.get(day.day)
                if earlier is not None and earlier.is_workday != day.is_workday:
                    result.problems.append(
                        Problem(
                            number,
                            _shorten(raw),
                            _("%(d)s 既被安排放假又被安排上班（见第 %(n)s 行），请核对。")
                            % {"d": day.day.isoformat(), "n": earlier.line},
                        )
                    )
                elif earlier is None:
                    found[day.day] = day
        if not used:
            result.ignored.append((number, _shorten(raw)))
        else:  # a dated sentence among the items, such as an encouragement to rest
            result.ignored += [(number, _shorten(sentence)) for sentence in set_aside]
    result.days = sorted(found.values(), key=lambda d: d.day)
    if not result.days and not result.problems:
        result.problems.append(
            Problem(
                0,
                "",
                _(
                    "没有读到任何放假或上班的日期。请粘贴通知中“一、元旦：1月1日放假……”"
                    "这样的各项安排，或在右侧逐日登记。"
                ),
            )
        )
    return result


def _sentence(sentence: str, *, year: int, name: str, line: int) -> list[NoticeDay] | None:
    """The days one sentence sets; None for a sentence that sets none (no date, or no
    放假/补休/上班 in it)."""
    dates = list(_DATE.finditer(sentence))
    if not dates:
        return None
    working = "上班" in sentence
    if not working and "放假" not in sentence and "补休" not in sentence:
        return None
    # The sentence's shape with every date (and its bracketed note) as "D".
    shape = _DATE.sub("D", sentence)
    quoted = _shorten(sentence)
    if working:
        if not _WORKDAYS.match(shape):
            raise _UnreadableError(
                _(
                    "看不懂“%(s)s”中的上班安排。应写作“2月14日（周日）、2月20日（周六）上班”；"
                    "也可以在右侧逐日登记。"
                )
                % {"s": quoted}
            )
        return [
            _working_day(day, name=name, line=line)
            for day in _dates(dates, year=year, quoted=quoted)
        ]
    match = _HOLIDAY.match(shape)
    if not match:
        raise _UnreadableError(
            _(
                "看不懂“%(s)s”中的放假安排。应写作“2月6日至12日放假调休，共7天”"
                "或“1月1日（周五）放假，与周末连休”；也可以在右侧逐日登记。"
            )
            % {"s": quoted}
        )
    parsed = _dates(dates, year=year, quoted=quoted)
    first = parsed[0]
    last = parsed[1] if match.group("last") else first
    if last < first:
        raise _UnreadableError(
            _(
                "“%(s)s”：结束日期早于开始日期；跨年的假期请写明年份，如“2026年12月31日至2027年1月2日”。"
            )
            % {"s": quoted}
        )
    span = (last - first).days + 1
    if span > MAX_SPAN_DAYS:
        raise _UnreadableError(
            _("“%(s)s”：一次放假 %(n)s 天，超过 %(max)s 天，请核对日期。")
            % {"s": quoted, "n": span, "max": MAX_SPAN_DAYS}
        )
    counts = [int(n) for n in _TAIL_COUNT.findall(match.group("tail") or "")]
    if match.group("count"):
        counts.append(int(match.group("count")))
    for count in counts:
        if count != span:
            raise _UnreadableError(
                _("“%(s)s”：写明共 %(c)s 天，但 %(a)s 至 %(b)s 是 %(n)s 天，请核对。")
                % {
                    "s": quoted,
                    "c": count,
                    "a": first.isoformat(),
                    "b": last.isoformat(),
                    "n": span,
                }
            )
    days = [NoticeDay(first + datetime.timedelta(days=n), False, name, line) for n in range(span)]
    extra_from = 2 if match.group("last") else 1
    days += [NoticeDay(day, False, name, line) for day in parsed[extra_from:]]
    return days


def _working_day(day: datetime.date, *, name: str, line: int) -> NoticeDay:
    if day.weekday() < 5:
        raise _UnreadableError(
            _("%(d)s 是%(w)s，本来就是工作日，通知不会安排这天“上班”；请核对日期或年份。")
            % {"d": day.isoformat(), "w": weekday_name(day)}
        )
    return NoticeDay(day, True, f"{name}调休上班"[:40], line)


def _dates(matches: list[re.Match[str]], *, year: int, quoted: str) -> list[datetime.date]:
    """The dates of one sentence, in order. A date without a month takes the one before it
    ("2月6日至12日"); without a year, the notice's year. Each must exist, lie within a year of
    the notice's, and fall on the weekday its note gives."""
    days: list[datetime.date] = []
    month: int | None = None
    current_year = year
    for match in matches:
        if match.group("year"):
            current_year = int(match.group("year"))
            if abs(current_year - year) > 1:
                raise _UnreadableError(
                    _("“%(s)s”：%(y)s 年不属于 %(n)s 年的安排，请核对年份。")
                    % {"s": quoted, "y": current_year, "n": year}
                )
        if match.group("month"):
            month = int(match.group("month"))
        if month is None:
            raise _UnreadableError(
                _("“%(s)s”：“%(d)s”没有写月份，请写明，如“2月6日”。")
                % {"s": quoted, "d": match.group(0)}
            )
        number = int(match.group("day"))
        try:
            day = datetime.date(current_year, month, number)
        except ValueError:
            raise _UnreadableError(
                _("“%(s)s”：%(y)s 年没有 %(m)s 月 %(d)s 日，请核对日期。")
                % {"s": quoted, "y": current_year, "m": month, "d": number}
            ) from None
        note = _NOTE_WEEKDAY.search(match.group("note") or "")
        if note and _WEEKDAY[note.group(1)] != day.weekday():
            raise _UnreadableError(
                _("“%(s)s”：%(d)s 是%(w)s，与通知所注的“%(n)s”不符；请核对年份或日期。")
                % {
                    "s": quoted,
                    "d": day.isoformat(),
                    "w": weekday_name(day),
                    "n": note.group(0),
                }
            )
        days.append(day)
    return days
