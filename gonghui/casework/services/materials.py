"""Material a worker or a clerk adds to a case: checked by content, sealed at rest, each
download by staff logged."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.casework import notifications
from gonghui.casework.models import (
    MATERIAL_PURPOSE,
    Case,
    CaseMaterial,
    CaseState,
    EventKind,
)
from gonghui.casework.services.cases import (
    case_event,
    case_lock,
    case_lock_handling,
    case_notify,
    is_owner,
)
from gonghui.core import uploads
from gonghui.core.crypto import seal_bytes
from gonghui.core.models import AccessReason
from gonghui.core.permissions import Perm, require
from gonghui.core.services import Subject, personal_data_log
from gonghui.core.validators import (
    check_plain_text,
)

MATERIAL_MAX_BYTES = 10 * 1024 * 1024
MATERIAL_MAX_FILES = 20
MATERIAL_TYPES = {**uploads.PDF, **uploads.IMAGES}
# --- materials --------------------------------------------------------------------------------


def _check_upload(upload: UploadedFile) -> tuple[str, bytes]:
    return uploads.check_upload(
        upload,
        types=MATERIAL_TYPES,
        max_bytes=MATERIAL_MAX_BYTES,
        field="file",
        type_message=_("只能上传 PDF、JPG 或 PNG 文件。"),
        size_message=_("文件不能超过 10 MB。"),
        content_message=_("文件内容与扩展名不符，请上传真实的 PDF 或图片。"),
    )


@transaction.atomic
def case_material_add(*, actor: Any, case: Case, upload: UploadedFile) -> CaseMaterial:
    """The worker (or staff handling the case) adds a file. Stored sealed (AES-GCM)."""
    if is_owner(actor, case):
        case = case_lock(case)
    else:
        case = case_lock_handling(actor, case)
    if case.state in (CaseState.CLOSED, CaseState.REJECTED, CaseState.WITHDRAWN):
        raise ValidationError({"file": [_("该事项已结束，不能再补充材料。")]})
    if case.materials.count() >= MATERIAL_MAX_FILES:
        raise ValidationError(
            {"file": [_("每个事项最多 %(n)s 个文件。") % {"n": MATERIAL_MAX_FILES}]}
        )
    content_type, data = _check_upload(upload)
    name = (upload.name or "file").rsplit("/", 1)[-1][-120:]
    check_plain_text(name)
    digest = hashlib.sha256(data).hexdigest()[:16]
    material = CaseMaterial(
        case=case, name=name, content_type=content_type, size=len(data), uploaded_by=actor
    )
    material.file.save(f"{digest}.sealed", ContentFile(seal_bytes(data, purpose=MATERIAL_PURPOSE)))
    now = timezone.now()
    Case.unscoped.filter(pk=case.pk).update(updated_at=now)
    case_event(case, EventKind.MATERIAL, actor, at=now, note=name)
    if not is_owner(actor, case):
        case_notify(
            case, _("工作人员补充了材料“%(n)s”。") % {"n": name}, kind=notifications.PROGRESS
        )
    return material


def case_material_log(*, actor: Any, case: Case, material: CaseMaterial, ip: str | None) -> None:
    """Staff open a worker's file in full: the role must allow it, and it is logged."""
    require(actor, Perm.REVEAL_PERSONAL)
    with transaction.atomic():
        personal_data_log(
            actor=actor,
            subjects=[Subject.of(case.person)],
            fields=[f"case_material:{material.pk}"],
            reason=AccessReason.HANDLE_CASE,
            reason_note=f"{case.number} {material.name}",
            ip_address=ip,
        )
