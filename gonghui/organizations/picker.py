"""The organisation picker: one form widget for every choice of an organisation in the console.

A union tree has thousands of nodes, so a ``<select>`` of them is useless. The picker is a
search box that asks ``console:org_pick`` (htmx) for the organisations whose name matches, and
a "browse" button that walks the tree from the actor's own organisation down. Each field names
a *source* (``core.modules.OrgPickerSource``, declared in a module's ``module.py``): what may be
chosen, already scoped to the actor. The endpoint offers only that; the field's own queryset
(from the same selector, set by the view as before) re-validates the chosen id on the server,
so a forged id fails like a wrong choice.

No script of its own beyond ``organizations/org_picker.js`` (delegated listeners, no inline
code: the content security policy allows none).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gonghui.core.text import StrOrPromise
from gonghui.organizations.models import Organization


class OrgPicker(forms.Widget):
    """A hidden input that holds the chosen organisation's id, a search box, a browse button
    and the list of what the endpoint returned. The label's ``for`` names the search box."""

    template_name = "organizations/widgets/org_picker.html"

    def __init__(
        self,
        source: str = "subtree",
        attrs: dict[str, Any] | None = None,
        placeholder: StrOrPromise | None = None,
    ) -> None:
        super().__init__(attrs)
        self.source = source
        self.placeholder = placeholder
        self.choices: Any = None  # set by ModelChoiceField: the queryset names the chosen id

    def chosen(self, value: Any) -> Organization | None:
        if value in (None, "") or self.choices is None:
            return None
        queryset = getattr(self.choices, "queryset", None)
        if queryset is None:
            return None
        try:
            return queryset.filter(pk=int(value)).first()
        except (TypeError, ValueError):
            return None

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        chosen = self.chosen(value)
        widget.update(
            {
                "source": self.source,
                "url": reverse("console:org_pick"),
                "chosen": chosen,
                "value": chosen.pk if chosen is not None else "",
                "placeholder": self.placeholder or _("输入名称查找"),
                "css": widget["attrs"].get("class", "form-control"),
            }
        )
        return context

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_q" if id_ else id_

    def format_value(self, value: Any) -> str | None:
        return None if value in (None, "") else str(value)


class OrgChoiceField(forms.ModelChoiceField):
    """An organisation chosen with the picker. ``source`` names what the picker offers; the
    view sets ``queryset`` to the same scoped set, which validates the posted id."""

    widget = OrgPicker

    def __init__(
        self,
        *,
        source: str = "subtree",
        queryset: Any = None,
        placeholder: StrOrPromise | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("widget", OrgPicker(source=source, placeholder=placeholder))
        super().__init__(
            queryset=queryset if queryset is not None else Organization.unscoped.none(), **kwargs
        )

    def label_from_instance(self, obj: Organization) -> str:
        return obj.name
