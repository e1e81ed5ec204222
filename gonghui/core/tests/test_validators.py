import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from gonghui.core import validators
from gonghui.demo import people

REGIONS = st.sampled_from(people.LOCAL_REGIONS + people.MIGRANT_REGIONS)
BIRTHS = st.dates(min_value=datetime.date(1930, 1, 1), max_value=datetime.date(2008, 12, 31))


def make_id(region: str, birth: datetime.date, order: int) -> str:
    body = f"{region}{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


@given(REGIONS, BIRTHS, st.integers(0, 999))
def test_valid_id_numbers_pass_and_give_birth_date_and_sex(region, birth, order):
    number = make_id(region, birth, order)
    assert validators.normalize_id_number(number) == number
    assert validators.id_number_birth_date(number) == birth
    assert validators.id_number_sex(number) == ("M" if order % 2 else "F")


@given(REGIONS, BIRTHS, st.integers(0, 999), st.integers(6, 16), st.integers(1, 9))
def test_any_single_digit_change_is_refused(region, birth, order, position, delta):
    number = make_id(region, birth, order)
    wrong = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(ValidationError):
        validators.normalize_id_number(wrong)


def test_lowercase_x_and_spaces_are_normalised():
    number = make_id("330402", datetime.date(1988, 2, 3), 5)
    while not number.endswith("X"):
        number = make_id("330402", datetime.date(1988, 2, 3), int(number[14:17]) + 1)
    spaced = f"{number[:6]} {number[6:14]} {number[14:].lower()}"
    assert validators.normalize_id_number(spaced) == number


@pytest.mark.parametrize(
    ("value", "code", "fragment"),
    [
        ("", "required", "请填写身份证号"),
        ("33040219900101123", "length", "18 位"),
        ("3304021990010112AB", "format", "前 17 位应为数字"),
        ("990402199001011234", "region", "不是有效的省级"),
        (make_id("330402", datetime.date(1990, 1, 1), 123)[:-1] + "0", "checksum", "校验位"),
    ],
)
def test_bad_id_numbers_get_a_chinese_reason(value, code, fragment):
    if code == "checksum" and value.endswith(ric.calc_check_digit(value)):
        value = value[:-1] + "1"
    with pytest.raises(ValidationError) as caught:
        validators.normalize_id_number(value)
    assert caught.value.code == code
    assert fragment in caught.value.messages[0]


def test_impossible_birth_date_is_refused_even_with_a_good_check_digit():
    body = "33040219900230123"  # 30 February
    number = body + ric.calc_check_digit(body + "0")
    with pytest.raises(ValidationError) as caught:
        validators.normalize_id_number(number)
    assert caught.value.code == "birth_date"
    assert "19900230" in caught.value.messages[0]


def test_birth_date_in_the_future_is_refused():
    future = timezone.localdate() + datetime.timedelta(days=400)
    with pytest.raises(ValidationError, match="不可能"):
        validators.normalize_id_number(make_id("330402", future, 1))


def test_real_number_of_someone_born_before_their_county_code_existed_is_accepted():
    # 330483 (Tongxiang as a city) dates from 1993; people born earlier carry it too.
    number = make_id("330483", datetime.date(1975, 6, 1), 11)
    assert validators.normalize_id_number(number) == number


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=9, max_size=9))
def test_generated_credit_codes_pass(tail):
    from stdnum.cn import uscc

    body = "91330402" + tail
    code = body + uscc.calc_check_digit(body + "0")
    assert validators.normalize_credit_code(code.lower()) == code


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "请填写"),
        ("91330402MA2B3C4D5", "18 位"),
        ("9133040IMA2B3C4D5E", "格式不正确"),
        ("91330402MA2B3C4D5X", "校验位"),
    ],
)
def test_bad_credit_codes(value, fragment):
    from stdnum.cn import uscc

    if fragment == "校验位" and uscc.calc_check_digit(value) == value[-1]:
        value = value[:-1] + "Y"
    with pytest.raises(ValidationError) as caught:
        validators.normalize_credit_code(value)
    assert fragment in caught.value.messages[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("0086 19912345678", "19912345678"),
    ],
)
def test_mobile_numbers_are_normalised(value, expected):
    assert validators.normalize_mobile(value) == expected


@pytest.mark.parametrize(
    "value", ["12800138000", "1380013800", "138001380000", "0573-8200000", "abc"]
)
def test_bad_mobile_numbers(value):
    with pytest.raises(ValidationError, match="中国大陆手机号码"):
        validators.normalize_mobile(value)


@pytest.mark.parametrize(
    "value",
    [
        "<script>alert(1)</script>",
        "张三<b>",
        "</div>",
        "<!-- x -->",
        "<img src=x onerror=alert(1)>",
        "javascript:alert(1)",
        "a onclick=alert(1)",
        "&#60;script&#62;",
    ],
)
def test_markup_is_refused(value):
    with pytest.raises(ValidationError, match="HTML"):
        validators.check_plain_text(value)


@pytest.mark.parametrize("value", ["张三", "A < B 且 C > D", "3<5", "邮箱 a@b.cn", "action=1", ""])
def test_plain_text_passes(value):
    assert validators.check_plain_text(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "工资\u0001拖欠",
        "张\u0000三",
        "a\u007fb",
        "a\u0085b",  # C1 next line
        "\u202e三张",  # right-to-left override
        "王\u2066五",
        "李\u200f四",  # right-to-left mark
        "\ud800",
        "x\uffff",
    ],
)
@pytest.mark.parametrize("multiline", [False, True])
def test_control_and_bidi_characters_are_refused_with_their_position(value, multiline):
    with pytest.raises(ValidationError, match="控制字符") as caught:
        validators.check_plain_text(value, multiline=multiline)
    assert "U+" in caught.value.messages[0]


@pytest.mark.parametrize("value", ["第一行\n第二行", "a\tb", "a\rb"])
def test_single_line_text_takes_no_line_break_or_tab(value):
    with pytest.raises(ValidationError, match="只能填写一行"):
        validators.check_plain_text(value)


def test_multiline_text_keeps_line_breaks_and_tabs_and_normalises_crlf():
    assert validators.check_plain_text("一\r\n二\r三\t四", multiline=True) == "一\n二\n三\t四"
    errors: dict = {}
    assert (
        validators.clean_text(" 一\r\n二 ", "f", errors, required=True, multiline=True) == "一\n二"
    )
    assert errors == {}


def test_emoji_joiners_and_full_width_text_pass():
    for value in ["👩‍👩‍👧 家庭", "ＡＢＣ１２３", "مرحبا", "𠮷野家"]:
        assert validators.check_plain_text(value) == value


def test_clean_field_takes_the_limit_and_kind_from_the_model():
    from gonghui.casework.models import Case

    errors: dict = {}
    validators.clean_field(Case, "title", "长" * 101, errors)
    validators.clean_field(Case, "description", "一\n二", errors)
    assert list(errors) == ["title"] and "100" in errors["title"][0]


@pytest.mark.parametrize(
    ("value", "ok"), [("330402", True), ("330402103", True), ("3304", False), ("990402", False)]
)
def test_division_codes(value, ok):
    if ok:
        assert validators.normalize_division_code(value) == value
    else:
        with pytest.raises(ValidationError):
            validators.normalize_division_code(value)


@pytest.mark.parametrize("value", ["１３８００１３８０００", "13８00138000", "1380013800²"])
def test_full_width_and_other_unicode_digits_are_not_a_mobile(value):
    with pytest.raises(ValidationError):
        validators.normalize_mobile(value)


@pytest.mark.parametrize("value", ["²30402199001011234", "33040219900101123４"])
def test_unicode_digits_in_an_id_number_get_a_message_not_a_crash(value):
    with pytest.raises(ValidationError):
        validators.normalize_id_number(value)
