"""Reading the State Council's holiday notice as an administrator pastes it."""

import datetime

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from gonghui.core.holiday_notice import parse
from gonghui.core.services import workcalendar_package_days

# The State Council's notice for 2026 (国办发明电〔2025〕7号), as published on www.gov.cn.
NOTICE_2026 = """国务院办公厅关于2026年部分节假日安排的通知
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
　　经国务院批准，现将2026年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
　　一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
　　二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
　　三、清明节：4月4日（周六）至6日（周一）放假，共3天。
　　四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
　　五、端午节：6月19日（周五）至21日（周日）放假，共3天。
　　六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
　　七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
　　鼓励单位和个人结合落实带薪年休假等制度，实际形成较长假期，推动错峰出行。节假日期间，各地区、各部门要妥善安排好值班和安全、保卫、疫情防控等工作，遇有重大突发事件，要按规定及时报告并妥善处置，确保人民群众祥和平安度过节日假期。
国务院办公厅
2025年11月4日
"""

# The notice for 2017 (国办发明电〔2016〕17号): "星期" annotations, a make-up day (补休) and a
# combined Mid-autumn and National Day item.
NOTICE_2017 = """国务院办公厅关于2017年部分节假日安排的通知
一、元旦：1月1日放假，1月2日（星期一）补休。
二、春节：1月27日至2月2日放假调休，共7天。1月22日（星期日）、2月4日（星期六）上班。
三、清明节：4月2日至4日放假调休，共3天。4月1日（星期六）上班。
四、劳动节：5月1日放假，与周末连休。
五、端午节：5月28日至30日放假调休，共3天。5月27日（星期六）上班。
六、中秋节、国庆节：10月1日至8日放假调休，共8天。9月30日（星期六）上班。
国务院办公厅
2016年12月1日
"""

# TEST DATA, NOT THE OFFICIAL 2027 SCHEDULE: the 2027 notice was not published when this was
# written. It follows the 2026 notice's wording (and the 2025 one's "放假1天，不调休"), with
# 2027's real weekdays and the lunar dates of 2027 (除夕 5 February, 端午 9 June, 中秋
# 15 September). Shared with the casework tests.
NOTICE_2027_TEST_DATA = """国务院办公厅关于2027年部分节假日安排的通知
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
　　经国务院批准，现将2027年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
　　一、元旦：1月1日（周五）放假，与周末连休。
　　二、春节：2月5日（农历除夕、周五）至13日（农历正月初八、周六）放假调休，共9天。1月31日（周日）、2月20日（周六）上班。鼓励各单位结合带薪年休假等制度落实，安排职工在除夕（2月5日）休息。
　　三、清明节：4月3日（周六）至5日（周一）放假，共3天。
　　四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。
　　五、端午节：6月9日（周三）放假1天，不调休。
　　六、中秋节：9月15日（周三）放假1天，不调休。
　　七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
　　节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作，遇有重大突发事件，要按规定及时报告并妥善处置，确保人民群众祥和平安度过节日假期。
国务院办公厅
"""


def d(text):
    return datetime.date.fromisoformat(text)


@pytest.mark.parametrize(("year", "notice"), [(2026, NOTICE_2026), (2017, NOTICE_2017)])
def test_a_published_notice_reads_exactly_as_the_package_has_that_year(year, notice):
    # when the State Council's notice is read as pasted
    parsed = parse(notice, year=year)
    # then nothing is left unread, and the days to store are the package's, day for day
    assert parsed.problems == []
    package = {day: flag for day, (flag, _name) in workcalendar_package_days().items()}
    assert {day: flag for day, (flag, _n) in parsed.exceptions.items()} == {
        day: flag for day, flag in package.items() if day.year == year
    }


def test_names_come_from_the_items_and_prose_is_set_aside_and_listed():
    parsed = parse(NOTICE_2026, year=2026)
    assert parsed.exceptions[d("2026-02-16")] == (False, "春节")
    assert parsed.exceptions[d("2026-02-14")] == (True, "春节调休上班")
    assert parsed.exceptions[d("2026-10-10")] == (True, "国庆节调休上班")
    # a holiday on a weekend is named in the preview but is the default rule, not stored
    assert d("2026-02-15") in {day.day for day in parsed.days}
    assert d("2026-02-15") not in parsed.exceptions
    ignored = [text for _line, text in parsed.ignored]
    assert any(text.startswith("各省") for text in ignored)
    assert "国务院办公厅" in ignored and "2025年11月4日" in ignored


def test_the_2027_test_notice_with_its_spring_festival():
    parsed = parse(NOTICE_2027_TEST_DATA, year=2027)
    assert parsed.problems == []
    holidays = sorted(day for day, (work, _n) in parsed.exceptions.items() if not work)
    working = sorted(day for day, (work, _n) in parsed.exceptions.items() if work)
    assert len(holidays) == 18 and len(working) == 6
    assert [day.isoformat() for day in holidays if day.month == 2] == [
        "2027-02-05",
        "2027-02-08",
        "2027-02-09",
        "2027-02-10",
        "2027-02-11",
        "2027-02-12",
    ]
    assert d("2027-01-31") in working and d("2027-02-20") in working
    # the encouragement to rest on New Year's Eve names a date but sets nothing: listed
    assert any("除夕" in text for line, text in parsed.ignored if line == 5)


def test_a_notice_pasted_as_one_paragraph_or_in_full_width_digits_reads_the_same():
    lines = [line.strip() for line in NOTICE_2026.splitlines()]
    paragraph = "".join(lines)
    assert parse(paragraph, year=2026).exceptions == parse(NOTICE_2026, year=2026).exceptions
    wide = "一、元旦：１月１日（周五）放假，与周末连休。"
    assert parse(wide, year=2027).exceptions == {d("2027-01-01"): (False, "元旦")}


@pytest.mark.parametrize(
    ("line", "year", "days"),
    [
        # a range across the new year, with its years written out
        ("一、元旦：2018年12月30日至2019年1月1日放假调休，共3天。2018年12月29日（星期六）上班。",
         2019, {"2018-12-31": False, "2019-01-01": False, "2018-12-29": True}),
        ("四、劳动节：4月29日至5月1日放假调休，共3天。4月28日（星期六）上班。",
         2018, {"2018-04-30": False, "2018-05-01": False, "2018-04-28": True}),
        ("一、元旦：1月1日放假1天。", 2014, {"2014-01-01": False}),
        ("一、元旦：1月1日（周三）放假1天，不调休。", 2025, {"2025-01-01": False}),
        ("五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。", 2025, {"2025-06-02": False}),
        # without the item number and name, the days are read all the same
        ("10月1日～7日放假调休，共7天。", 2027,
         {"2027-10-01": False, "2027-10-04": False, "2027-10-05": False,
          "2027-10-06": False, "2027-10-07": False}),
    ],
)  # fmt: skip
def test_the_forms_notices_have_used(line, year, days):
    parsed = parse(line, year=year)
    assert parsed.problems == []
    assert {day.isoformat(): flag for day, (flag, _n) in parsed.exceptions.items()} == days


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        # the weekday of the notice does not match the year being entered
        ("二、春节：2月6日至12日放假调休，共7天。2月14日（周六）上班。", "2027-02-14 是星期日"),
        ("一、元旦：1月1日（周四）放假。", "与通知所注的“周四”不符"),
        ("一、元旦：2月30日放假。", "2027 年没有 2 月 30 日"),
        ("二、春节：2月6日至12日放假调休，共8天。", "写明共 8 天"),
        ("七、国庆节：10月1日至7日放假调休，共7天。10月8日（周五）上班。", "本来就是工作日"),
        ("二、春节：放假时间为2月6日以后的一周。", "看不懂"),
        ("二、春节：2月6日、2月14日上班调整为休息。", "上班安排"),
        ("二、春节：6日至12日放假。", "没有写月份"),
        ("一、元旦：1月3日至1月1日放假。", "结束日期早于开始日期"),
        ("二、春节：2月1日至28日放假。", "超过 15 天"),
        ("一、元旦：2031年1月1日放假。", "2031 年不属于 2027 年"),
        ("国务院办公厅关于2028年部分节假日安排的通知", "这是 2028 年的通知"),
        ("天气晴朗，适合出游。", "没有读到任何放假或上班的日期"),
    ],
)
def test_a_line_it_cannot_read_is_reported_with_the_reason(line, fragment):
    parsed = parse(line, year=2027)
    assert parsed.problems, line
    assert fragment in " ".join(p.message for p in parsed.problems)


def test_a_day_both_off_and_working_is_reported_with_both_lines():
    parsed = parse("一、元旦：1月2日放假。\n二、调休：1月2日（周六）上班。", year=2027)
    [problem] = parsed.problems
    assert problem.line == 2 and "第 1 行" in problem.message


def test_problems_name_their_line():
    text = NOTICE_2027_TEST_DATA.replace("共5天", "共6天")
    [problem] = parse(text, year=2027).problems
    assert problem.line == 7 and problem.text.startswith("四、劳动节")


# --- robustness ------------------------------------------------------------------------------

_fragments = st.sampled_from(
    [
        "一、",
        "元旦：",
        "春节",
        "2月",
        "6日",
        "31日",
        "0日",
        "99月",
        "2027年",
        "0000年",
        "（周五）",
        "（星期日）",
        "(",
        "）",
        "至",
        "、",
        "，",
        "。",
        "放假",
        "调休",
        "上班",
        "补休",
        "共7天",
        "与周末连休",
        "\n",
        "\u0000",
        "\u202e",
        "<script>",
        "１２",
        "😀",
    ]
)
junk = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(_fragments, st.text(max_size=5)), max_size=60).map("".join),
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(text=junk, year=st.integers(min_value=2000, max_value=2100))
def test_any_text_gives_days_or_a_reason_and_never_an_exception(text, year):
    parsed = parse(text, year=year)
    # every problem says something, in Chinese
    assert all(p.message.strip() for p in parsed.problems)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in p.message) for p in parsed.problems)
    # nothing read and nothing to complain about cannot both be
    assert parsed.days or parsed.problems
    # every day read is within a year of the notice's, and stored ones are true exceptions
    assert all(abs(day.day.year - year) <= 1 for day in parsed.days)
    assert all((day.weekday() < 5) != work for day, (work, _n) in parsed.exceptions.items())
    assert all(len(name) <= 40 for _w, name in parsed.exceptions.values())
