"""The enterprise area's home: the contact's own enterprise, as its union sees it, and what
the modules offer it (their enterprise tiles: menu orders, ...). Thin: each part read through
its app's selector."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gonghui.core.crypto import mask_credit_code
from gonghui.core.web import enterprise_required
from gonghui.organizations import selectors
from gonghui.unionbuilding import selectors as building_selectors


@enterprise_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    actor: Any = request.user
    enterprise = selectors.enterprise_get(actor=actor, id=actor.enterprise_id)
    state = building_selectors.enterprise_founding_state(actor=actor, enterprise=enterprise)
    founding = {
        "founded": _("已建会"),
        "applying": _("建会申请审核中"),
        "none": _("未建会"),
    }[state]
    return render(
        request,
        "organizations/enterprise_home.html",
        {
            "enterprise": enterprise,
            "credit_code": mask_credit_code(enterprise.credit_code),
            "founding": founding,
            "founding_state": state,
        },
    )
