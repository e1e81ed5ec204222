"""Writes for 三建联动 and brand projects. One transaction each."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core import decisions
from gonghui.core.locks import LockSpace, lock_rows
from gonghui.core.permissions import Perm
from gonghui.core.scoping import require_within
from gonghui.core.validators import clean_text, raise_errors
from gonghui.organizations import services as org_services
from gonghui.organizations.models import Enterprise, Organization, OrgKind
from gonghui.unionbuilding.models import (
    AssessmentStatus,
    BrandProject,
    Decision,
    FoundingApplication,
    HomeAssessment,
    HomeAssessmentScore,
    HomeRatingLevel,
    HomeStandardItem,
    Mechanism,
    MechanismType,
)

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = {".pdf", ".jpg", ".jpeg", ".png"}


def _over(actor: Any, org: Organization, perm: Perm, *, strictly_above: bool = False) -> None:
    """``org`` must be in the actor's subtree (else "not found"); with ``strictly_above`` the
    actor's own organisation may not be ``org`` itself (nobody rates their own union)."""
    require_within(actor, org, perm)
    if strictly_above and org.path == actor.scope_path:
        raise ValidationError({"union": [_("须由上级工会评定或审核，不能评定本组织。")]})


# --- 建会 founding --------------------------------------------------------------------------


@transaction.atomic
def founding_apply(
    *,
    actor: Any,
    parent: Organization,
    proposed_name: str,
    grassroots_kind: str,
    enterprises: Iterable[Enterprise],
    chair_name: str,
    initial_members: int,
    planned_on: datetime.date,
    note: str = "",
) -> FoundingApplication:
    _over(actor, parent, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    proposed_name = clean_text(proposed_name, "proposed_name", errors, required=True, limit=100)
    chair_name = clean_text(chair_name, "chair_name", errors, required=True, limit=50)
    note = clean_text(note, "note", errors, required=False, limit=500, multiline=True)
    enterprises = list(enterprises)
    if parent.kind == OrgKind.GRASSROOTS:
        errors.setdefault("parent", []).append(_("上级工会不能是基层工会。"))
    if not enterprises:
        errors.setdefault("enterprises", []).append(_("请选择新工会覆盖的企业。"))
    covered = [e.name for e in enterprises if e.union_id is not None]
    if covered:
        errors.setdefault("enterprises", []).append(
            _("以下企业已有工会覆盖：%(n)s。") % {"n": "、".join(covered)}
        )
    outside = [e.name for e in enterprises if not e.area.path.startswith(parent.path)]
    if outside:
        errors.setdefault("enterprises", []).append(
            _("以下企业不在上级工会辖区内：%(n)s。") % {"n": "、".join(outside)}
        )
    if initial_members is None or initial_members < 1:
        errors.setdefault("initial_members", []).append(_("首批会员人数至少为 1。"))
    pending = FoundingApplication.unscoped.filter(
        status=Decision.PENDING, enterprises__in=[e.pk for e in enterprises]
    )
    if pending.exists():
        errors.setdefault("enterprises", []).append(_("所选企业已有待审批的建会申请。"))
    if proposed_name and (
        org_services.sibling_named(parent, proposed_name)
        or FoundingApplication.unscoped.filter(
            parent=parent, proposed_name=proposed_name, status=Decision.PENDING
        ).exists()
    ):
        errors.setdefault("proposed_name", []).append(
            _("“%(p)s”下已有（或正在申请成立）名为“%(n)s”的工会，请换一个名称。")
            % {"p": parent.name, "n": proposed_name}
        )
    raise_errors(errors)
    application = FoundingApplication(
        parent=parent,
        proposed_name=proposed_name,
        grassroots_kind=grassroots_kind,
        chair_name=chair_name,
        initial_members=initial_members,
        planned_on=planned_on,
        note=note,
        created_by=actor,
    )
    application._history_user = actor  # type: ignore[attr-defined]
    application.save()
    application.enterprises.set(enterprises)
    return application


def _founding_apply(
    actor: Any, application: FoundingApplication, note: str, *, code: str = ""
) -> None:
    """The grassroots union is created under ``parent`` and covers the enterprises."""
    # Lock the enterprises (in key order) before checking them: two approvals that share an
    # enterprise cannot both pass the check and both take it.
    enterprises = lock_rows(
        LockSpace.ENTERPRISE,
        Enterprise.unscoped.filter(pk__in=application.enterprises.values("pk")),
    )
    if any(e.union_id for e in enterprises):
        raise ValidationError({"decision_note": [_("有企业已被其他工会覆盖，请退回重新申请。")]})
    union = org_services.organization_create(
        actor=actor,
        parent=application.parent,
        name=application.proposed_name,
        kind=OrgKind.GRASSROOTS,
        grassroots_kind=application.grassroots_kind,
        chair_name=application.chair_name,
        established_on=timezone.localdate(),
        code=code,
        permission=Perm.APPROVE,
    )
    org_services.enterprises_assign_union(
        actor=actor, union=union, enterprises=enterprises, reason=_("建会批准")
    )
    application.union = union


def _founding_snapshot(application: FoundingApplication) -> dict[str, Any]:
    return {
        "parent": {"id": application.parent_id, "name": application.parent.name},
        "proposed_name": application.proposed_name,
        "grassroots_kind": application.grassroots_kind,
        "enterprises": [
            {"id": e.pk, "name": e.name, "credit_code": e.credit_code, "union_id": e.union_id}
            for e in application.enterprises.order_by("pk")
        ],
        "chair_name": application.chair_name,
        "initial_members": application.initial_members,
        "planned_on": application.planned_on,
        "applied_at": application.created_at,
    }


# Decided by the upper-level union the application was filed under (or staff above it).
FOUNDING_FLOW = decisions.register(
    decisions.Flow(
        name="unionbuilding.founding",
        steps=(
            decisions.Step(
                name="parent",
                label=gettext_lazy("上级工会审批"),
                organization=lambda application: application.parent,
                perm=Perm.APPROVE,
            ),
        ),
        maker=lambda application: application.created_by_id,
        lock_space=LockSpace.FOUNDING_APPLICATION,
        status_field="status",
        pending=Decision.PENDING,
        approved=Decision.APPROVED,
        refused=Decision.REFUSED,
        closed_message=lambda application: _("该申请已处理，不能重复审批。"),
        snapshot=_founding_snapshot,
        apply=_founding_apply,
    )
)


def founding_decide(
    *,
    actor: Any,
    application: FoundingApplication,
    approve: bool,
    note: str = "",
    code: str = "",
) -> FoundingApplication:
    """The upper-level union approves (the grassroots union is created under ``parent`` and
    covers the enterprises; ``code`` is its organisation code, generated when empty) or
    refuses with a reason. One transaction (``decisions.decide``)."""
    result: FoundingApplication = decisions.decide(
        actor=actor,
        flow=FOUNDING_FLOW,
        request=application,
        approve=approve,
        reason=note,
        options={"code": code},
    )
    return result


# --- 建制 mechanisms --------------------------------------------------------------------------


def _check_evidence(evidence: UploadedFile | None) -> None:
    if evidence is None:
        return
    name = (evidence.name or "").lower()
    if not any(name.endswith(ext) for ext in EVIDENCE_TYPES):
        raise ValidationError({"evidence": [_("佐证材料只能是 PDF、JPG 或 PNG 文件。")]})
    if (evidence.size or 0) > EVIDENCE_MAX_BYTES:
        raise ValidationError({"evidence": [_("佐证材料不能超过 10 MB。")]})


@transaction.atomic
def mechanism_save(
    *,
    actor: Any,
    union: Organization,
    type: MechanismType,
    established_on: datetime.date,
    last_held_on: datetime.date | None = None,
    evidence: UploadedFile | None = None,
    note: str = "",
) -> Mechanism:
    _over(actor, union, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "note", errors, required=False, limit=300, multiline=True)
    today = timezone.localdate()
    if union.kind != OrgKind.GRASSROOTS:
        errors.setdefault("type", []).append(_("建制台账只适用于基层工会。"))
    if established_on > today:
        errors.setdefault("established_on", []).append(_("建立日期不能晚于今天。"))
    if last_held_on and (last_held_on > today or last_held_on < established_on):
        errors.setdefault("last_held_on", []).append(_("最近一次开展应在建立日期和今天之间。"))
    raise_errors(errors)
    _check_evidence(evidence)
    mechanism = Mechanism.unscoped.filter(union=union, type=type).first() or Mechanism(
        union=union, type=type
    )
    mechanism.established_on, mechanism.last_held_on, mechanism.note = (
        established_on,
        last_held_on,
        note,
    )
    if evidence is not None:
        mechanism.evidence = evidence
    mechanism._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            mechanism.save()
    except IntegrityError:
        raise ValidationError({"type": [_("该制度刚被他人登记，请刷新后再修改。")]}) from None
    return mechanism


# --- 建家 workers' homes ----------------------------------------------------------------------


def rating_for(total: Decimal) -> HomeRatingLevel | None:
    return HomeRatingLevel.objects.filter(min_score__lte=total).order_by("-min_score").first()


@transaction.atomic
def home_assess(
    *,
    actor: Any,
    union: Organization,
    assessed_on: datetime.date,
    scores: dict[int, tuple[Decimal, str]],
    note: str = "",
) -> HomeAssessment:
    """Score a union's workers' home against every standard item; the rating follows from the
    total. It counts once a reviewer approves it (``home_decide``)."""
    _over(actor, union, Perm.EDIT_RECORDS, strictly_above=True)
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "note", errors, required=False, limit=500, multiline=True)
    if union.kind != OrgKind.GRASSROOTS:
        errors.setdefault("union", []).append(_("职工之家评定只适用于基层工会。"))
    if assessed_on > timezone.localdate():
        errors.setdefault("assessed_on", []).append(_("评定日期不能晚于今天。"))
    items = list(HomeStandardItem.objects.all())
    for item in items:
        if item.pk not in scores:
            errors.setdefault(f"score_{item.pk}", []).append(_("请为此项打分。"))
            continue
        score, item_note = scores[item.pk]
        clean_text(item_note, f"note_{item.pk}", errors, required=False, limit=300, multiline=True)
        if score < 0 or score > item.max_score:
            errors.setdefault(f"score_{item.pk}", []).append(
                _("得分应在 0 到 %(m)s 之间。") % {"m": item.max_score}
            )
    if HomeAssessment.unscoped.filter(union=union, status=AssessmentStatus.SUBMITTED).exists():
        errors.setdefault("union", []).append(_("该工会已有一份待审核的评定。"))
    raise_errors(errors)
    max_total = sum(item.max_score for item in items) or 1
    raw_total = sum((scores[item.pk][0] for item in items), Decimal("0"))
    total = (raw_total * 100 / max_total).quantize(Decimal("0.1"))
    assessment = HomeAssessment(
        union=union,
        assessed_on=assessed_on,
        total_score=total,
        rating=rating_for(total),
        note=note,
        assessed_by=actor,
    )
    assessment._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError:
        raise ValidationError({"union": [_("该工会已有一份待审核的评定。")]}) from None
    HomeAssessmentScore.objects.bulk_create(
        HomeAssessmentScore(
            assessment=assessment, item=item, score=scores[item.pk][0], note=scores[item.pk][1]
        )
        for item in items
    )
    return assessment


def _home_snapshot(assessment: HomeAssessment) -> dict[str, Any]:
    return {
        "union": {"id": assessment.union_id, "name": assessment.union.name},
        "assessed_on": assessment.assessed_on,
        "total_score": assessment.total_score,
        "rating": assessment.rating.name if assessment.rating else None,
        "scores": [
            {
                "item_id": s.item_id,
                "title": s.item.title,
                "score": s.score,
                "max_score": s.item.max_score,
            }
            for s in assessment.scores.select_related("item").order_by("item_id")
        ],
        "note": assessment.note,
    }


# Confirmed by a reviewer above the assessed union (nobody confirms their own home); the
# assessor is the maker.
HOME_FLOW = decisions.register(
    decisions.Flow(
        name="unionbuilding.home",
        steps=(
            decisions.Step(
                name="above_union",
                label=gettext_lazy("上级工会审核"),
                organization=lambda assessment: assessment.union,
                perm=Perm.APPROVE,
                reach=decisions.Reach.ABOVE,
                denied=lambda union: _("须由上级工会评定或审核，不能评定本组织。"),
            ),
        ),
        maker=lambda assessment: assessment.assessed_by_id,
        lock_space=LockSpace.HOME_ASSESSMENT,
        status_field="status",
        pending=AssessmentStatus.SUBMITTED,
        approved=AssessmentStatus.APPROVED,
        refused=AssessmentStatus.RETURNED,
        closed_message=lambda assessment: _("该评定已审核。"),
        snapshot=_home_snapshot,
        apply=lambda actor, assessment, note: None,  # approval itself makes it count
    )
)


def home_decide(
    *, actor: Any, assessment: HomeAssessment, approve: bool, note: str = ""
) -> HomeAssessment:
    """A reviewer above the union confirms the assessment (it counts from now) or returns
    it with a reason. One transaction (``decisions.decide``)."""
    result: HomeAssessment = decisions.decide(
        actor=actor, flow=HOME_FLOW, request=assessment, approve=approve, reason=note
    )
    return result


# --- 三措并举 brand projects -------------------------------------------------------------------


@transaction.atomic
def brand_register(
    *, actor: Any, organization: Organization, year: int, title: str, description: str
) -> BrandProject:
    _over(actor, organization, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    title = clean_text(title, "title", errors, required=True, limit=100)
    description = clean_text(
        description, "description", errors, required=True, limit=2000, multiline=True
    )
    if organization.kind not in {OrgKind.TOWN, OrgKind.SYSTEM, OrgKind.DISTRICT}:
        errors.setdefault("organization", []).append(
            _("品牌项目由镇（街道）、系统或县（市、区）工会申报。")
        )
    this_year = timezone.localdate().year
    if not this_year - 5 <= year <= this_year + 1:
        errors.setdefault("year", []).append(_("年度不正确。"))
    if BrandProject.unscoped.filter(organization=organization, year=year).exists():
        errors.setdefault("year", []).append(
            _("%(o)s %(y)s 年度已申报品牌项目。") % {"o": organization.name, "y": year}
        )
    raise_errors(errors)
    project = BrandProject(
        organization=organization,
        year=year,
        title=title,
        description=description,
        created_by=actor,
    )
    project._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            project.save()
    except IntegrityError:
        raise ValidationError(
            {"year": [_("%(o)s %(y)s 年度已申报品牌项目。") % {"o": organization.name, "y": year}]}
        ) from None
    return project


@transaction.atomic
def brand_score(
    *, actor: Any, project: BrandProject, score: Decimal, note: str = ""
) -> BrandProject:
    """项目化考核: the upper level scores a project (0-100); a later score replaces the earlier
    one and the history keeps both."""
    _over(actor, project.organization, Perm.APPROVE, strictly_above=True)
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "score_note", errors, required=False, limit=300, multiline=True)
    if score is None or not Decimal("0") <= score <= Decimal("100"):
        errors.setdefault("score", []).append(_("考核得分应在 0 到 100 之间。"))
    raise_errors(errors)
    project.score, project.score_note = score, note
    project.scored_by, project.scored_at = actor, timezone.now()
    project._history_user = actor  # type: ignore[attr-defined]
    project.save()
    return project
