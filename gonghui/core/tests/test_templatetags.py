"""The shared rendering of form fields (``{% field %}``): what every form of the platform
shows, whichever app it belongs to."""

from __future__ import annotations

import datetime

from django import forms
from django.template import Context, Template

from gonghui.core.templatetags.gonghui import sent_length


def render(form: forms.Form, name: str) -> str:
    return Template("{% field form." + name + " %}").render(Context({"form": form}))


class Sample(forms.Form):
    summary = forms.CharField(label="调解经过", max_length=300, widget=forms.Textarea)
    place = forms.CharField(label="地点", max_length=100)
    attendees = forms.CharField(label="到场人员", max_length=200)
    held_on = forms.DateField(label="调解日期", widget=forms.DateInput(attrs={"type": "date"}))
    starts_at = forms.DateTimeField(
        label="开始时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    opens = forms.TimeField(label="开放时间", widget=forms.TimeInput(attrs={"type": "time"}))
    outcome = forms.ChoiceField(label="调解结果", choices=[("", "---------"), ("agreed", "达成")])
    household = forms.ChoiceField(
        label="户籍类型", choices=[("", "—"), ("city", "城镇")], required=False
    )


def test_long_text_shows_a_counter_and_is_not_cut_by_the_browser():
    html = render(Sample(), "summary")
    assert " maxlength=" not in html
    assert 'data-maxlength="300"' in html
    assert 'id="id_summary_count"' in html and 'aria-describedby="id_summary_count"' in html
    assert "<span data-count>0</span> / 300 字" in html


def test_a_one_line_field_gets_a_counter_only_when_long():
    assert "data-maxlength" not in render(Sample(), "place")
    assert " maxlength=" not in render(Sample(), "place")
    assert 'data-maxlength="200"' in render(Sample(), "attendees")


def test_over_long_text_is_refused_at_the_field_with_how_much_to_cut():
    form = Sample({"summary": "字" * 310})
    assert not form.is_valid()
    assert form.errors["summary"] == ["不能超过 300 个字，现有 310 个字，请删减。"]
    html = render(form, "summary")
    assert "字" * 310 in html  # what was typed, all of it
    assert "不能超过 300 个字，现有 310 个字，请删减。" in html
    assert "text-danger fw-semibold" in html and "<span data-count>310</span>" in html


def test_the_counter_counts_line_breaks_as_the_form_will():
    # A browser posts a line break as CR LF, and max_length counts both characters.
    assert sent_length("一\n二") == 4
    assert sent_length("一\r\n二") == 4
    assert sent_length("") == sent_length(None) == 0
    text = "一\n" * 150  # 300 characters in the text area, 450 once posted
    assert not Sample({"summary": text.replace("\n", "\r\n")}).is_valid()
    assert sent_length(text) == 450


def test_no_required_attribute_so_every_error_is_named_at_once():
    html = render(Sample(), "place")
    assert " required" not in html and 'aria-required="true"' in html
    assert "aria-required" not in render(Sample(), "household")


def test_dates_and_times_are_given_in_the_format_their_input_takes():
    form = Sample(
        initial={
            "held_on": datetime.date(2024, 3, 1),
            "starts_at": datetime.datetime(2024, 3, 1, 9, 30),  # noqa: DTZ001 (a naive value to show)
            "opens": datetime.time(8, 0),
        }
    )
    assert 'value="2024-03-01"' in render(form, "held_on")
    assert 'value="2024-03-01T09:30"' in render(form, "starts_at")
    assert 'value="08:00"' in render(form, "opens")
    # A date typed and sent back with an error elsewhere stays as typed.
    assert 'value="2024-02-30"' in render(Sample({"held_on": "2024-02-30"}), "held_on")


def test_an_empty_choice_says_what_to_choose():
    html = render(Sample(), "outcome")
    assert "---------" not in html
    assert '<option value="" selected>请选择调解结果…</option>' in html
    # A bare dash says nothing either: an optional choice says what may be chosen.
    html = render(Sample(), "household")
    assert ">—<" not in html and "请选择" in html


def test_model_choice_placeholder(db):
    from gonghui.organizations.models import ServiceType

    class Pick(forms.Form):
        service_type = forms.ModelChoiceField(label="服务类型", queryset=ServiceType.objects.all())

    html = render(Pick(), "service_type")
    assert "---------" not in html and "请选择服务类型…" in html
