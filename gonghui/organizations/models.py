"""The union tree (ORG-1), enterprises (ORG-3) and the service network (ORG-7)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from gonghui.core.scoping import ScopedManager, ScopedModel


class OrgKind(models.TextChoices):
    CITY = "city", _("市总工会")
    DISTRICT = "district", _("县（市、区）总工会")
    TOWN = "town", _("镇（街道）总工会")
    SYSTEM = "system", _("系统（产业）工会")
    GRASSROOTS = "grassroots", _("基层工会")


# Rank decides what may sit under what: a child never ranks above its parent; a system union
# fits anywhere above the grassroots; grassroots unions have no children.
KIND_RANK: dict[str, int] = {
    OrgKind.CITY: 0,
    OrgKind.DISTRICT: 1,
    OrgKind.TOWN: 2,
    OrgKind.SYSTEM: 2,
    OrgKind.GRASSROOTS: 3,
}


class GrassrootsKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业工会")
    JOINT = "joint", _("联合工会")
    BUILDING = "building", _("楼宇工会")
    AREA = "area", _("片区工会")
    INSTITUTION = "institution", _("机关事业单位工会")


class Organization(ScopedModel):
    """Any node of the union tree. ``path`` is the materialised path of primary keys
    (``/1/5/23/``): a subtree is one indexed prefix match, and moving a subtree rewrites the
    prefix of its rows in one statement (``organization_move``)."""

    scope_fields: ClassVar[tuple[str, ...]] = ("",)

    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    kind = models.CharField(_("层级"), max_length=20, choices=OrgKind.choices)
    grassroots_kind = models.CharField(
        _("基层工会类型"), max_length=20, choices=GrassrootsKind.choices, blank=True
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级组织"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(_("树路径"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("层次"), default=0, editable=False)
    code = models.CharField(_("组织编码"), max_length=20, unique=True)
    division_code = models.CharField(_("行政区划代码"), max_length=12, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    chair_name = models.CharField(_("工会主席"), max_length=50, blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["path", "depth"])
    unscoped = models.Manager()
    objects = ScopedManager["Organization"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("path",)
        verbose_name = _("组织")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="organization_credit_code_unique",
            ),
            models.CheckConstraint(
                condition=Q(kind="grassroots") | Q(grassroots_kind=""),
                name="organization_grassroots_kind_only_on_grassroots",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_grassroots(self) -> bool:
        return self.kind == OrgKind.GRASSROOTS

    @property
    def kind_label(self) -> str:
        if self.is_grassroots and self.grassroots_kind:
            return str(self.get_grassroots_kind_display())
        return str(self.get_kind_display())

    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/")[:-1]]

    def is_within(self, other: Organization) -> bool:
        return self.path.startswith(other.path)


class OrganizationMove(ScopedModel):
    """The audit record of one subtree move (ORG-1): who, when, from where to where, why."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="moves")
    old_parent = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", null=True
    )
    new_parent = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    old_path = models.CharField(max_length=255)
    new_path = models.CharField(max_length=255)
    descendants = models.PositiveIntegerField()
    reason = models.CharField(max_length=200)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    unscoped = models.Manager()
    objects = ScopedManager["OrganizationMove"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-at",)

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.old_path} -> {self.new_path}"


class Industry(models.TextChoices):
    """Sections of GB/T 4754-2017, the national classification of economic activities."""

    A = "A", _("农、林、牧、渔业")
    B = "B", _("采矿业")
    C = "C", _("制造业")
    D = "D", _("电力、热力、燃气及水生产和供应业")
    E = "E", _("建筑业")
    F = "F", _("批发和零售业")
    G = "G", _("交通运输、仓储和邮政业")
    H = "H", _("住宿和餐饮业")
    I = "I", _("信息传输、软件和信息技术服务业")  # noqa: E741
    J = "J", _("金融业")
    K = "K", _("房地产业")
    L = "L", _("租赁和商务服务业")
    M = "M", _("科学研究和技术服务业")
    N = "N", _("水利、环境和公共设施管理业")
    O = "O", _("居民服务、修理和其他服务业")  # noqa: E741
    P = "P", _("教育")
    Q = "Q", _("卫生和社会工作")
    R = "R", _("文化、体育和娱乐业")
    S = "S", _("公共管理、社会保障和社会组织")
    T = "T", _("国际组织")


class Enterprise(ScopedModel):
    """An employer (ORG-3). ``area`` is the town or street whose territory it is in; ``union``
    is the grassroots union that covers it, or none while it is not unionised."""

    scope_fields: ClassVar[tuple[str, ...]] = ("area", "union")
    # An enterprise contact (``accounts.AccountKind.ENTERPRISE``) sees their own enterprise.
    enterprise_field: ClassVar[str | None] = ""

    name = models.CharField(_("企业名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    industry = models.CharField(_("行业"), max_length=1, choices=Industry.choices)
    employee_count = models.PositiveIntegerField(_("职工人数"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    area = models.ForeignKey(
        Organization,
        verbose_name=_("所在镇（街道）"),
        on_delete=models.PROTECT,
        related_name="enterprises_in_area",
    )
    union = models.ForeignKey(
        Organization,
        verbose_name=_("覆盖的基层工会"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="covered_enterprises",
    )
    is_active = models.BooleanField(_("在营"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["Enterprise"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("name",)
        verbose_name = _("企业")

    def __str__(self) -> str:
        return self.name

    @property
    def covering(self) -> Organization:
        """The organisation that looks after the enterprise: its grassroots union, or, while it
        has none, the town or street it is in. Its staff, and any staff above it, invite and
        manage the enterprise's contacts."""
        return self.union or self.area


class ServiceTier(models.TextChoices):
    CENTRE = "centre", _("职工服务中心")
    STATION = "station", _("职工服务站（窗口）")
    POINT = "point", _("职工服务点")


class TimeUnit(models.TextChoices):
    WORKDAY = "workday", _("个工作日")
    HOUR = "hour", _("个工作小时")


def all_tiers() -> list[str]:
    return list(ServiceTier.values)


class ServiceType(models.Model):
    """A kind of help the service network offers (SVC-1). Data, not code: its deadlines (in
    working days or working hours, see ``core.workdays``) and the tiers that may handle it
    are set per type by the federation."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    response_limit = models.PositiveSmallIntegerField(_("响应时限"), default=2)
    response_unit = models.CharField(
        _("响应时限单位"), max_length=10, choices=TimeUnit.choices, default=TimeUnit.WORKDAY
    )
    resolution_limit = models.PositiveSmallIntegerField(_("办结时限"), default=15)
    resolution_unit = models.CharField(
        _("办结时限单位"), max_length=10, choices=TimeUnit.choices, default=TimeUnit.WORKDAY
    )
    # Which tiers may handle it, from ``ServiceTier``; a case lands at the nearest of them.
    tiers = models.JSONField(_("可办理的层级"), default=all_tiers)
    auto_close_days = models.PositiveSmallIntegerField(
        _("办结后自动关闭天数"),
        default=7,
        help_text=_("职工未确认评价的，办结后满该天数自动关闭。"),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ("sort_order", "id")
        verbose_name = _("服务类型")

    def __str__(self) -> str:
        return self.name


class ServicePlace(ScopedModel):
    """A service centre, station or point (ORG-7), run by an organisation of the tree."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("所属组织"),
        on_delete=models.PROTECT,
        related_name="service_places",
    )
    tier = models.CharField(_("类别"), max_length=20, choices=ServiceTier.choices)
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200)
    phone = models.CharField(_("咨询电话"), max_length=30, blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("值守人员"), blank=True, related_name="+"
    )
    service_types = models.ManyToManyField(
        ServiceType, verbose_name=_("提供的服务"), blank=True, related_name="places"
    )
    is_active = models.BooleanField(_("开放"), default=True)

    history = HistoricalRecords(m2m_fields=[service_types])
    unscoped = models.Manager()
    objects = ScopedManager["ServicePlace"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("organization__path", "tier", "name")
        verbose_name = _("服务阵地")

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MON = 1, _("周一")
    TUE = 2, _("周二")
    WED = 3, _("周三")
    THU = 4, _("周四")
    FRI = 5, _("周五")
    SAT = 6, _("周六")
    SUN = 7, _("周日")


class OpeningPeriod(models.Model):
    """One opening period of a service place on a weekday; a day without one is closed."""

    place = models.ForeignKey(ServicePlace, on_delete=models.CASCADE, related_name="opening")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ("weekday", "opens")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(opens__lt=models.F("closes")), name="opening_order")
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"
