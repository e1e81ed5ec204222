"""Template helpers available in every template (registered as builtins in settings)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms, template
from django.http import QueryDict
from django.utils.html import format_html, format_html_join

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
    """A form field with its label, help text and errors, in Bootstrap 5 markup."""
    widget = bound.field.widget
    css = "form-check-input" if isinstance(widget, forms.CheckboxInput) else "form-control"
    if isinstance(widget, forms.Select) and not isinstance(widget, forms.SelectMultiple):
        css = "form-select"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        css = ""
    if bound.errors:
        css += " is-invalid"
    widget_attrs = {"class": css.strip(), **attrs}
    return {
        "bound": bound,
        "widget": bound.as_widget(attrs=widget_attrs),
        "is_check": isinstance(widget, forms.CheckboxInput),
        "is_choices": isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple),
    }


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
def history_table(instance: Any) -> dict[str, Any]:
    from gonghui.core.history import history_of

    return {"entries": history_of(instance)}


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
