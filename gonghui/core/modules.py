"""The module registry: what each app adds to the platform, declared in one place of its own.

An app writes ``<app>/module.py`` with ``module = Module(...)``: its console, portal and
enterprise-area URLs, its API routers, its console menu entries (with badge counts), its staff
home tiles (what waits for this person), its portal tiles for workers, its enterprise-area
tiles for enterprise contacts, its inbox request kinds, its kinds of message to workers, its
periodic jobs, its demo generator steps, its benchmark scenarios and its figures. The console
menu, the staff home, the portal home, the enterprise area, the URL map, the API, the beat
schedule, ``load_demo`` and ``python -m bench`` are built from here, so a new module touches no
other app's files: it adds its app to ``INSTALLED_APPS`` and writes its ``module.py`` (see
``docs/adding-a-module.md``).

Core cannot import domain apps; it finds their declarations when Django is ready
(``CoreConfig.ready`` calls :func:`autodiscover`) in the order of ``INSTALLED_APPS``.
"""

from __future__ import annotations

import datetime
import functools
import importlib
import operator
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.urls import URLPattern, URLResolver, reverse
from django.utils.module_loading import import_string

from gonghui.core.notification_kinds import NotificationKind
from gonghui.core.text import StrOrPromise

Actor = Any
Count = Callable[[Actor], int]


@dataclass(frozen=True)
class MenuSection:
    """A heading of the console's side menu. ``order`` places it among all modules' sections."""

    key: str
    label: StrOrPromise
    order: int


@dataclass(frozen=True)
class MenuEntry:
    """A console menu entry. ``url`` is a URL name (``console:case_list``) or a path.
    ``badge`` counts what waits behind the entry for this actor; with ``badge_topic`` the count
    is cached until that topic's records change (``core.counts``). ``perm``: shown only to
    those who hold it. ``section`` may name another module's section (core's import list sits
    under 会员); an entry whose section nobody declares goes under 管理."""

    key: str
    section: str
    label: StrOrPromise
    url: str
    icon: str
    order: int = 100
    badge: Count | None = None
    badge_topic: str | None = None
    perm: str | None = None
    new_tab: bool = False


@dataclass(frozen=True)
class HomeTile:
    """One line of the staff home's to-do card: what waits for this person, with its count and
    a link. Tiles whose count is zero still show (the clerk sees the queue is empty)."""

    key: str
    label: StrOrPromise
    url: str
    count: Count
    query: str = ""
    topic: str | None = None
    perm: str | None = None
    order: int = 100


@dataclass(frozen=True)
class PortalTile:
    """A tile on the worker portal's home. ``visible(user)`` hides it from some workers."""

    key: str
    label: StrOrPromise
    url: str
    icon: str
    query: str = ""
    order: int = 100
    visible: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class PortalCard:
    """A card on the worker portal's home (below the tiles): ``template`` is rendered with
    what ``context(user)`` (dotted path) returns; a card whose context is None is not shown
    (nothing for this worker). Culture's "可以预约的课程" is one."""

    key: str
    template: str
    context: str
    order: int = 100


@dataclass(frozen=True)
class InboxKind:
    """A request kind in the worker's "my requests" inbox (see ``core.inbox``)."""

    key: str
    label: StrOrPromise
    provider: str  # dotted path of ``provider(person_id) -> Iterable[InboxItem]``


@dataclass(frozen=True)
class PeriodicJob:
    """A periodic job: Celery beat in production, the in-process beat on the embedded default.
    ``env`` names an environment variable that overrides ``seconds``."""

    key: str
    task: str
    seconds: float
    env: str = ""

    def interval(self) -> float:
        return float(os.environ.get(self.env, self.seconds)) if self.env else self.seconds


@dataclass(frozen=True)
class DemoStep:
    """A step of ``load_demo``: ``run`` (dotted path) is called with the demo builder (the
    city's tree, staff, towns, roster, random source and log; see ``demo.loader``). Steps run
    after the steps named in ``after``, and by ``order`` among those that are free to run."""

    key: str
    run: str
    after: tuple[str, ...] = ()
    order: int = 100


@dataclass(frozen=True)
class BenchScenario:
    """A scenario of ``python -m bench``: ``run`` (dotted path) is called with the parsed
    arguments; ``arguments`` (dotted path, optional) adds its own options to the parser."""

    key: str
    run: str
    help: str = ""
    arguments: str = ""
    after: tuple[str, ...] = ()
    order: int = 100


Number = int | Decimal


@dataclass(frozen=True)
class Figure:
    """A named figure of an organisation's subtree in a year (the dashboard reads these).
    ``records(actor, org, year)`` is the queryset of the records behind it, so every figure
    can be opened and checked; the figure is their count unless ``value(actor, org, year)``
    says otherwise (a sum of amounts, say). Both are called only for an ``org`` within the
    actor's scope (see :func:`figure_value`)."""

    key: str
    label: StrOrPromise
    unit: StrOrPromise
    records: Callable[[Actor, Any, int], Any]
    value: Callable[[Actor, Any, int], Number] | None = None
    order: int = 100
    # For a flow (what happened in the year, not a stock at its end): the date or datetime
    # field, on the records, that puts a record in its year ("joined_on", "created_at",
    # "session__starts_at"). The staff home counts it month by month (``figure_months``).
    dated_by: str = ""
    # For a flow whose records each carry a number (the people a job fair served): the field
    # summed month by month instead of counting the records.
    month_sum: str = ""
    # False for a breakdown (one help kind, one education level) that a figures page of its
    # own shows: the staff home lists only the headline figures.
    home: bool = True


@dataclass(frozen=True)
class OrgPickerSource:
    """What an organisation picker (``organizations.picker``) offers under one name: ``pickable``
    (dotted path of ``f(*, actor) -> QuerySet[Organization]``, already scoped) is what may be
    chosen; the picker browses the actor's subtree down to it, or the whole city's tree with
    ``city_wide`` (for choices that are public by design, such as where a case is referred).
    A form's field names its source; its own queryset, from the same selector, re-validates
    the chosen id on the server."""

    key: str
    pickable: str
    city_wide: bool = False


@dataclass(frozen=True)
class PersonPanel:
    """A card on the staff pages about a person (the member page, a hardship file …) that
    another module fills: ``{% person_panels person %}`` renders every module's panels.
    ``records`` (dotted path of ``f(actor, person_ids) -> Sequence``, scoped to the actor)
    returns what to show for those people (one person, or a household's members); a panel
    with nothing to show is left out. ``template`` is rendered with ``panel``, ``items``
    (what ``records`` returned) and ``people`` (the ids asked about); the default one lists
    each item as text."""

    key: str
    label: StrOrPromise
    records: str
    # The default lists each item's text in a card headed by the label.
    template: str = "includes/person_panel.html"
    order: int = 100


@dataclass(frozen=True)
class Module:
    name: str
    label: StrOrPromise
    # Dotted path of the URL module: its ``console_urlpatterns`` (under /console/),
    # ``portal_urlpatterns`` (/m/) and ``enterprise_urlpatterns`` (/enterprise/), where present.
    urls: str = ""
    api_routers: tuple[tuple[str, str], ...] = ()  # (prefix, dotted path of a ninja Router)
    sections: tuple[MenuSection, ...] = ()
    menu: tuple[MenuEntry, ...] = ()
    home_tiles: tuple[HomeTile, ...] = ()
    portal_tiles: tuple[PortalTile, ...] = ()
    portal_cards: tuple[PortalCard, ...] = ()
    # The enterprise area's links (header and home) for enterprise contacts.
    enterprise_tiles: tuple[PortalTile, ...] = ()
    inbox: tuple[InboxKind, ...] = ()
    notifications: tuple[NotificationKind, ...] = ()  # kinds of message to workers
    periodic: tuple[PeriodicJob, ...] = ()
    demo: tuple[DemoStep, ...] = ()
    bench: tuple[BenchScenario, ...] = ()
    figures: tuple[Figure, ...] = ()
    org_pickers: tuple[OrgPickerSource, ...] = ()
    person_panels: tuple[PersonPanel, ...] = ()
    # What the access log calls the personal data a module logs under a name of its own
    # (``"hardship_photo:12"`` → 入户核查照片): ``(("hardship_photo", _("入户核查照片")),)``.
    # A model field's name (``id_number``) needs none: its verbose name is used.
    personal_data: tuple[tuple[str, StrOrPromise], ...] = ()
    # Ways a person becomes known to a subtree's staff besides the roll (a membership, a
    # join or transfer request): dotted names of ``f(path) -> Q`` over ``members.Person``,
    # e.g. a hardship file filed there for a worker registered on the spot by ID number.
    person_scopes: tuple[str, ...] = ()
    order: int = field(default=0, compare=False)


_modules: dict[str, Module] = {}
_discovered = False


def register(module: Module) -> Module:
    """Add a module (``autodiscover`` does this for every installed app's ``module.py``);
    registering a name again replaces it. Side effects that other core pieces keep in their
    own registries (inbox kinds) follow."""
    _modules[module.name] = module
    _apply(module)
    return module


def unregister(name: str) -> None:
    module = _modules.pop(name, None)
    if module is not None:
        from gonghui.core import inbox, notification_kinds

        for kind in module.inbox:
            inbox.unregister(kind.key)
        for message in module.notifications:
            notification_kinds.unregister(message.code)


@contextmanager
def installed(module: Module) -> Iterator[Module]:
    """For tests: the platform with ``module`` plugged in, then without it."""
    previous = _modules.get(module.name)
    register(module)
    try:
        yield module
    finally:
        unregister(module.name)
        if previous is not None:
            register(previous)


def autodiscover() -> None:
    """Import ``<app>.module`` for every installed app that has one, in ``INSTALLED_APPS``
    order. Called once from ``CoreConfig.ready``."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    for config in apps.get_app_configs():
        try:
            found = importlib.import_module(f"{config.name}.module")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.module":
                raise
            continue
        module = getattr(found, "module", None)
        if not isinstance(module, Module):
            raise TypeError(f"{config.name}.module must define `module = Module(...)`")
        register(module)


def modules() -> list[Module]:
    return list(_modules.values())


def _apply(module: Module) -> None:
    from gonghui.core import inbox, notification_kinds

    for kind in module.inbox:
        inbox.register(kind.key, kind.label, _lazy(kind.provider))
    for message in module.notifications:
        notification_kinds.register(message)


def _lazy(path: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return import_string(path)(*args, **kwargs)

    call.__qualname__ = path
    return call


# --- what the platform builds from the registry ---------------------------------------------


SIDES = ("console", "portal", "enterprise")


def urlpatterns(side: str) -> list[URLPattern | URLResolver]:
    """The pages of one side (``console``, ``portal``, ``enterprise``) from every module."""
    if side not in SIDES:
        raise ValueError(side)
    found: list[URLPattern | URLResolver] = []
    for module in modules():
        if module.urls:
            found.extend(getattr(importlib.import_module(module.urls), f"{side}_urlpatterns", ()))
    return found


def api_routers() -> list[tuple[str, Any]]:
    return [(prefix, import_string(router)) for m in modules() for prefix, router in m.api_routers]


def _allowed(actor: Actor, perm: str | None) -> bool:
    if perm is None:
        return True
    from gonghui.core.permissions import Perm, has_perm

    return has_perm(actor, Perm(perm))


def _href(url: str, query: str = "") -> str:
    href = url if url.startswith("/") else reverse(url)
    return f"{href}?{query}" if query else href


@dataclass(frozen=True)
class ShownSection:
    label: StrOrPromise
    entries: list[ShownEntry]


@dataclass(frozen=True)
class ShownEntry:
    key: str
    label: StrOrPromise
    href: str
    icon: str
    badge: int
    new_tab: bool


def console_menu(actor: Actor) -> list[ShownSection]:
    """The console's side menu for ``actor``: sections in order, entries the actor may see,
    each with its badge count (counted here, cached by topic where the entry says so)."""
    sections = {s.key: s for m in modules() for s in m.sections}
    grouped: dict[str, list[tuple[int, ShownEntry]]] = {}
    for module in modules():
        for entry in module.menu:
            if not _allowed(actor, entry.perm):
                continue
            section = entry.section if entry.section in sections else "admin"
            shown = ShownEntry(
                entry.key,
                entry.label,
                _href(entry.url),
                entry.icon,
                _count(actor, f"menu:{entry.key}", entry.badge, entry.badge_topic),
                entry.new_tab,
            )
            grouped.setdefault(section, []).append((entry.order, shown))
    ordered = sorted(sections.values(), key=lambda s: s.order)
    return [
        ShownSection(s.label, [e for _, e in sorted(grouped[s.key], key=lambda x: x[0])])
        for s in ordered
        if grouped.get(s.key)
    ]


@dataclass(frozen=True)
class ShownTile:
    key: str
    label: StrOrPromise
    href: str
    count: int


def home_tiles(actor: Actor) -> list[ShownTile]:
    tiles = [
        (tile.order, i, tile)
        for i, tile in enumerate(t for m in modules() for t in m.home_tiles)
        if _allowed(actor, tile.perm)
    ]
    return [
        ShownTile(
            t.key,
            t.label,
            _href(t.url, t.query),
            _count(actor, f"home:{t.key}", t.count, t.topic),
        )
        for _, _, t in sorted(tiles, key=lambda x: (x[0], x[1]))
    ]


@dataclass(frozen=True)
class ShownPortalTile:
    key: str
    label: StrOrPromise
    href: str
    icon: str


def portal_tiles(user: Any) -> list[ShownPortalTile]:
    return _tiles(user, [t for m in modules() for t in m.portal_tiles])


@dataclass(frozen=True)
class ShownPortalCard:
    key: str
    template: str
    context: dict[str, Any]


def portal_cards(user: Any) -> list[ShownPortalCard]:
    """The portal home's cards from every module, in order, those with something to show."""
    declared = sorted(
        ((c.order, i, c) for i, c in enumerate(c for m in modules() for c in m.portal_cards)),
        key=lambda x: (x[0], x[1]),
    )
    shown = []
    for _, _, card in declared:
        context = import_string(card.context)(user)
        if context is not None:
            shown.append(ShownPortalCard(card.key, card.template, context))
    return shown


@dataclass(frozen=True)
class ShownPersonPanel:
    key: str
    label: StrOrPromise
    template: str
    items: list[Any]


def personal_data_label(subject_type: str, field: str) -> str:
    """How the access log names a logged view: a module's declared label for ``name:ref``
    entries, else the subject model's field label, else the name as logged."""
    from django.apps import apps

    name, _sep, ref = field.partition(":")
    declared = {key: label for m in modules() for key, label in m.personal_data}
    label: Any = declared.get(name)
    if label is None:
        try:
            label = apps.get_model(subject_type)._meta.get_field(name).verbose_name
        except (LookupError, ValueError, FieldDoesNotExist):
            label = name
    return f"{label} #{ref}" if ref else str(label)


def person_panels(actor: Any, person_ids: list[int]) -> list[ShownPersonPanel]:
    """Every module's panels about these people that have something to show, in order."""
    declared = sorted(
        ((p.order, i, p) for i, p in enumerate(p for m in modules() for p in m.person_panels)),
        key=lambda x: (x[0], x[1]),
    )
    shown = []
    for _, _, panel in declared:
        items = list(import_string(panel.records)(actor, person_ids))
        if items:
            shown.append(ShownPersonPanel(panel.key, panel.label, panel.template, items))
    return shown


def person_scopes(path: str) -> list[Q]:
    """What the modules add to ``Person.staff_scope`` for the subtree at ``path``."""
    return [import_string(f)(path) for m in modules() for f in m.person_scopes]


def enterprise_tiles(user: Any) -> list[ShownPortalTile]:
    return _tiles(user, [t for m in modules() for t in m.enterprise_tiles])


def _tiles(user: Any, declared: list[PortalTile]) -> list[ShownPortalTile]:
    tiles = [
        (tile.order, i, tile)
        for i, tile in enumerate(declared)
        if tile.visible is None or tile.visible(user)
    ]
    return [
        ShownPortalTile(t.key, t.label, _href(t.url, t.query), t.icon)
        for _, _, t in sorted(tiles, key=lambda x: (x[0], x[1]))
    ]


def _count(actor: Actor, key: str, count: Count | None, topic: str | None) -> int:
    if count is None:
        return 0
    if topic is None:
        return int(count(actor))
    from gonghui.core import counts

    scope = ("badge", key, getattr(actor, "scope_path", None), getattr(actor, "pk", None))
    return counts.cached_count(topic, scope, lambda: int(count(actor)))


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Celery's ``beat_schedule`` from every module's periodic jobs."""
    return {
        job.key: {"task": job.task, "schedule": job.interval()}
        for m in modules()
        for job in m.periodic
    }


def demo_steps() -> list[DemoStep]:
    return _ordered([s for m in modules() for s in m.demo], "demo step")


def bench_scenarios() -> list[BenchScenario]:
    return _ordered([s for m in modules() for s in m.bench], "bench scenario")


Step = TypeVar("Step", DemoStep, BenchScenario)


def _ordered(steps: list[Step], what: str) -> list[Step]:
    """Steps in dependency order (``after``), by ``order`` among those free to run; a missing
    or circular dependency is an error that names the step."""
    by_key = {s.key: s for s in steps}
    for step in steps:
        for needed in step.after:
            if needed not in by_key:
                raise LookupError(
                    f"{what} {step.key!r} runs after {needed!r}, which no module declares"
                )
    done: list[Step] = []
    waiting = sorted(steps, key=lambda s: s.order)
    while waiting:
        ready = [s for s in waiting if all(n in {d.key for d in done} for n in s.after)]
        if not ready:
            raise LookupError(f"{what}s wait for each other: {', '.join(s.key for s in waiting)}")
        done.append(ready[0])
        waiting.remove(ready[0])
    return done


def org_picker(key: str) -> OrgPickerSource:
    """The organisation picker source named ``key``; ``LookupError`` when none is."""
    for module in modules():
        for source in module.org_pickers:
            if source.key == key:
                return source
    raise LookupError(key)


def figures() -> list[Figure]:
    found = [(f.order, i, f) for i, f in enumerate(f for m in modules() for f in m.figures)]
    return [f for _, _, f in sorted(found, key=lambda x: (x[0], x[1]))]


def figure(key: str) -> Figure:
    for f in figures():
        if f.key == key:
            return f
    raise LookupError(key)


def figure_value(key: str, *, actor: Actor, org: Any, year: int) -> Number:
    """A figure of ``org``'s subtree in ``year``; an ``org`` outside the actor's scope is
    "not found", like any record there."""
    _check_scope(actor, org)
    found = figure(key)
    if found.value is not None:
        return found.value(actor, org, year)
    return int(found.records(actor, org, year).count())


def figure_records(key: str, *, actor: Actor, org: Any, year: int) -> Any:
    _check_scope(actor, org)
    return figure(key).records(actor, org, year)


def figure_months(
    key: str, *, actor: Actor, org: Any, months: int = 12, today: datetime.date | None = None
) -> list[tuple[str, int]]:
    """A flow figure of ``org``'s subtree month by month, the last ``months`` months up to
    this one, oldest first: ``[("2026-01", 12), ...]``. One grouped query over the figure's
    own records, so each month is exactly the count its records give."""
    from django.db.models import Count, Sum
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    _check_scope(actor, org)
    found = figure(key)
    if not found.dated_by:
        raise LookupError(f"{key} is not a flow (no dated_by)")
    today = today or timezone.localdate()
    index = today.year * 12 + today.month - 1 - (months - 1)
    first = datetime.date(index // 12, index % 12 + 1, 1)
    records = functools.reduce(
        operator.or_,
        (found.records(actor, org, year) for year in range(first.year, today.year + 1)),
    )
    since: Any = first
    if _is_datetime(records.model, found.dated_by):
        since = timezone.make_aware(datetime.datetime.combine(first, datetime.time()))
    rows = (
        records.filter(**{f"{found.dated_by}__gte": since})
        # Not "month": a figure's records may have a field of that name (a pay line's month).
        .annotate(figure_month=TruncMonth(found.dated_by))
        .values("figure_month")
        .annotate(n=Sum(found.month_sum) if found.month_sum else Count("pk"))
        .order_by()
    )
    counts: dict[str, int] = {}
    for row in rows:
        moment = row["figure_month"]
        if isinstance(moment, datetime.datetime):
            moment = timezone.localtime(moment) if timezone.is_aware(moment) else moment
        label = f"{moment.year}-{moment.month:02d}"
        counts[label] = counts.get(label, 0) + int(row["n"] or 0)
    labels = []
    for step in range(months):
        at = index + step
        labels.append(f"{at // 12}-{at % 12 + 1:02d}")
    return [(label, counts.get(label, 0)) for label in labels]


def _is_datetime(model: Any, path: str) -> bool:
    from django.db import models as db_models

    field: Any = None
    for part in path.split("__"):
        field = model._meta.get_field(part)
        if field.is_relation:
            model = field.related_model
    return isinstance(field, db_models.DateTimeField)


def _check_scope(actor: Actor, org: Any) -> None:
    from gonghui.core.scoping import require_within

    require_within(actor, org)


def year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day of ``year``, for figures' date filters."""
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
