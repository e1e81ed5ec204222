"""Template helpers available in every template (registered as builtins in settings)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from django import forms, template
from django.forms.widgets import DateTimeBaseInput
from django.http import QueryDict
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from gonghui.core.permissions import Perm, has_perm

register = template.Library()


@register.filter
def can(user: Any, perm: str) -> bool:
    """``{% if user|can:"approve" %}``"""
    return has_perm(user, Perm(perm))


@register.simple_tag(takes_context=True)
def query(context: Any, **changes: Any) -> str:
    """The current query string with some keys replaced: ``?{% query page=3 %}``."""
    params: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


# What ``<input type=date|datetime-local|time>`` accepts as its value. Django would format
# dates the locale's way ("2024/03/01" in zh-hans), which such an input discards, so an
# edited record came up with its dates blank.
_HTML_FORMATS = {"date": "%Y-%m-%d", "datetime-local": "%Y-%m-%dT%H:%M", "time": "%H:%M"}
# One-line text of this length or more gets a character counter too (not a user name).
COUNTER_FROM = 200
_DASHES = "---------"
# Blank choices that say nothing: Django's dashes and a bare dash some forms declare.
_SILENT = (_DASHES, "—")


def _placeholder(bound: forms.BoundField) -> str:
    return gettext("请选择%(label)s…") % {"label": bound.label}


def _with_placeholder(bound: forms.BoundField, widget: forms.Widget) -> None:
    """Django's empty choice "---------" says nothing; "请选择经办人…" says what to choose."""
    field = bound.field
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label == _DASHES:
            field.empty_label = _placeholder(bound)
            widget.choices = field.choices  # type: ignore[attr-defined]
    elif isinstance(field, forms.ChoiceField):
        choices: list[Any] = list(cast(Iterable[Any], field.choices))
        if any(value == "" and label in _SILENT for value, label in choices):
            field.choices = [
                (value, _placeholder(bound) if value == "" and label in _SILENT else label)
                for value, label in choices
            ]
            widget.choices = field.choices  # type: ignore[attr-defined]


@register.simple_tag(takes_context=True)
def query_inputs(context: Any, *dropped: str) -> str:
    """Hidden inputs that carry the current query string into a GET form, without the keys
    ``dropped`` (the form's own fields): ``{% query_inputs "page" %}``."""
    params: QueryDict = context["request"].GET
    return format_html_join(
        "",
        '<input type="hidden" name="{}" value="{}">',
        ((key, value) for key, values in params.lists() if key not in dropped for value in values),
    )


@register.inclusion_tag("includes/field.html")
def field(bound: forms.BoundField, **attrs: Any) -> dict[str, Any]:
    """A form field with its label, help text and errors, in Bootstrap 5 markup.

    The same for every form, so that each shows what people need:
    - no ``required`` attribute (``aria-required`` instead): the browser would stop at the
      first empty field and name one at a time; the server names every error at its field;
    - no ``maxlength`` attribute, which makes the browser cut pasted text without a word:
      the field is checked on the server, which says how much is too much, and long text
      (a text area, or ``COUNTER_FROM`` characters and more) shows a counter
      (``data-maxlength``, kept up to date by ``gonghui/forms.js``);
    - dates and times in the format their input type takes;
    - a select's empty choice says what to choose."""
    widget = copy.copy(bound.field.widget)
    css = "form-check-input" if isinstance(widget, forms.CheckboxInput) else "form-control"
    if isinstance(widget, forms.Select) and not isinstance(widget, forms.SelectMultiple):
        css = "form-select"
        _with_placeholder(bound, widget)
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        css = ""
    if bound.errors:
        css += " is-invalid"
    html_format = _HTML_FORMATS.get(getattr(widget, "input_type", ""))
    if html_format and isinstance(widget, DateTimeBaseInput):
        widget.format = html_format
    widget.attrs = {k: v for k, v in widget.attrs.items() if k != "maxlength"}
    limit: int | None = getattr(bound.field, "max_length", None)
    counted = limit is not None and (
        isinstance(widget, forms.Textarea)
        or (getattr(widget, "input_type", "") == "text" and limit >= COUNTER_FROM)
    )
    widget_attrs: dict[str, Any] = {"class": css.strip(), **attrs}
    if counted:
        widget_attrs["data-maxlength"] = limit
        widget_attrs["aria-describedby"] = f"{bound.auto_id}_count"
    if bound.field.required and not isinstance(widget, forms.CheckboxInput | forms.HiddenInput):
        widget_attrs["aria-required"] = "true"
    value = bound.value()
    return {
        "bound": bound,
        "widget": _without_required(bound, widget, widget_attrs),
        "is_check": isinstance(widget, forms.CheckboxInput),
        "is_choices": isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple),
        "limit": limit if counted else None,
        "length": sent_length(value) if counted else 0,
    }


def sent_length(value: Any) -> int:
    """The length of a text as the form will count it once posted: a browser sends each line
    break as CR LF, two characters, and Django's ``max_length`` counts both. The counter in
    ``gonghui/forms.js`` counts the same way, so it never shows room the form then refuses."""
    if value in (None, ""):
        return 0
    text = str(value).replace("\r\n", "\n")
    return len(text) + text.count("\n")


def _without_required(bound: forms.BoundField, widget: forms.Widget, attrs: dict[str, Any]) -> Any:
    """The widget rendered without the HTML ``required`` attribute (see ``field``)."""
    form = bound.form
    saved = form.use_required_attribute
    form.use_required_attribute = False
    try:
        return bound.as_widget(widget=widget, attrs=attrs)
    finally:
        form.use_required_attribute = saved


@register.filter
def percent(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value) * 100:.{digits}f}%"


@register.simple_tag
def badge(text: Any, tone: str = "secondary") -> str:
    return format_html('<span class="badge text-bg-{}">{}</span>', tone, text)


STATUS_TONES = {
    "pending": "warning",
    "submitted": "warning",
    "approved": "success",
    "active": "success",
    "done": "success",
    "checked": "info",
    "refused": "danger",
    "failed": "danger",
    "interrupted": "warning",
    "returned": "danger",
    "withdrawn": "secondary",
    "transferred": "secondary",
    "left": "secondary",
}


@register.simple_tag
def status_badge(obj: Any, field: str = "status") -> str:
    value = getattr(obj, field)
    label = getattr(obj, f"get_{field}_display")()
    return format_html(
        '<span class="badge text-bg-{}">{}</span>', STATUS_TONES.get(value, "secondary"), label
    )


@register.inclusion_tag("includes/history.html")
def history_table(instance: Any, title: Any = None) -> dict[str, Any]:
    """The change history of a record; ``title`` tells two panels on one page apart."""
    from gonghui.core.history import history_of

    return {
        "entries": history_of(instance),
        "title": title,
        "anchor": f"history-{instance._meta.model_name}-{instance.pk}",
    }


@register.inclusion_tag("includes/person_panels.html", takes_context=True)
def person_panels(context: Any, people: Any) -> dict[str, Any]:
    """The panels other modules show about a person (``core.modules.PersonPanel``):
    ``{% person_panels person %}``, or ``{% person_panels members %}`` for several people
    (a household). Each panel reads through the viewer's scope."""
    from gonghui.core import modules

    if people is None:
        ids: list[int] = []
    elif isinstance(people, int):
        ids = [people]
    elif hasattr(people, "pk"):
        ids = [people.pk]
    else:
        ids = [p if isinstance(p, int) else p.pk for p in people]
    return {"panels": modules.person_panels(context["request"].user, ids), "people": ids}


@register.inclusion_tag("includes/decision_steps.html", takes_context=True)
def decision_steps(context: Any, instance: Any, flow_name: str) -> dict[str, Any]:
    """The recorded decision steps of a request (who, when, outcome, reason) and the step
    it waits for, read through the viewer's scope."""
    from gonghui.core import decisions
    from gonghui.core.selectors import decision_step_list

    flow = decisions.flow_get(flow_name)
    steps = decision_step_list(actor=context["request"].user, request=instance)
    labels = {step.name: step.label for step in flow.steps}
    for recorded in steps:
        recorded.step_label = labels.get(recorded.step, recorded.step)  # type: ignore[attr-defined]
    return {
        "steps": steps,
        "waiting": decisions.next_step(flow, instance, steps),
        "tiered": len(flow.steps) > 1,
    }


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``row|get_item:key`` for a dict row whose keys are not identifiers known in advance."""
    return mapping.get(key) if hasattr(mapping, "get") else None
