"""Sign-in (one-time codes, passwords, API tokens), staff accounts and enterprise contacts."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress
import logging
import math
import secrets
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gonghui.accounts.models import (
    CONTACT_MOBILE_PURPOSE,
    AccountKind,
    ApiToken,
    ConsentEnd,
    OneTimeCode,
    PrivacyConsent,
    SignInFailure,
    User,
)
from gonghui.core import notify
from gonghui.core.availability import guarded
from gonghui.core.crypto import blind_index, mask_mobile
from gonghui.core.locks import LockSpace, lock_first, lock_one
from gonghui.core.permissions import Perm, Role
from gonghui.core.scoping import NotFound, require_within
from gonghui.core.validators import check_plain_text, clean_text, normalize_mobile, raise_errors
from gonghui.members.models import Person
from gonghui.members.services import PersonInput, mobile_hash, person_register
from gonghui.organizations.models import Enterprise, Organization

OTP_PURPOSE = "otp.code"
IP_HOURLY_LIMIT = 30
REGISTER_ATTEMPTS_PER_HOUR = 5


def _code_hash(mobile_hash_value: str, code: str) -> str:
    return blind_index(f"{mobile_hash_value}:{code}", purpose=OTP_PURPOSE)


def _resend_wait(digest: str, now: datetime.datetime) -> int:
    recent = OneTimeCode.objects.filter(mobile_hash=digest).order_by("-created_at").first()
    if recent is None:
        return 0
    left = settings.GONGHUI_OTP_RESEND_SECONDS - (now - recent.created_at).total_seconds()
    return max(0, math.ceil(left))


def otp_resend_wait(*, mobile: str) -> int:
    """Seconds before another code may be sent to ``mobile`` (0: now). The sign-in page's
    countdown on its button starts from this."""
    try:
        number = normalize_mobile(mobile)
    except ValidationError:
        return 0
    return _resend_wait(mobile_hash(number), timezone.now())


@transaction.atomic
def otp_send(*, mobile: str, ip_address: str = "") -> None:
    """Send a six-digit sign-in code. The same answer whether or not the number is known,
    so the endpoint does not tell who is registered."""
    try:
        number = normalize_mobile(mobile)
    except ValidationError as exc:
        raise ValidationError({"mobile": exc.messages}) from None
    digest = mobile_hash(number)
    now = timezone.now()
    wait = _resend_wait(digest, now)
    if wait:
        raise ValidationError(
            {"mobile": [_("验证码已发送，请 %(s)s 秒后再试。") % {"s": wait}]}, code="throttled"
        )
    day_start = now - datetime.timedelta(days=1)
    if (
        OneTimeCode.objects.filter(mobile_hash=digest, created_at__gte=day_start).count()
        >= settings.GONGHUI_OTP_DAILY_LIMIT
    ):
        raise ValidationError(
            {"mobile": [_("该手机号今天获取验证码的次数已达上限，请明天再试或使用密码登录。")]},
            code="throttled",
        )
    if ip_address:
        key = f"otp-ip:{ip_address}"
        guarded(lambda: cache.add(key, 0, timeout=3600))
        if guarded(lambda: cache.incr(key)) > IP_HOURLY_LIMIT:
            raise ValidationError({"mobile": [_("请求过于频繁，请稍后再试。")]}, code="throttled")
    code = f"{secrets.randbelow(1_000_000):06d}"
    OneTimeCode.objects.create(
        mobile_hash=digest,
        code_hash=_code_hash(digest, code),
        expires_at=now + datetime.timedelta(seconds=settings.GONGHUI_OTP_TTL_SECONDS),
    )
    minutes = settings.GONGHUI_OTP_TTL_SECONDS // 60
    text = _("您的登录验证码是 %(code)s，%(m)s 分钟内有效。请勿告诉他人。") % {
        "code": code,
        "m": minutes,
    }
    notify.notify_code(mobile=number, text=text)


def otp_verify(*, mobile: str, code: str) -> str:
    """Check a code; return the normalised mobile. Each code works once, and a few wrong
    guesses spend it."""
    error = ValidationError({"code": [_("验证码不正确或已过期，请重新获取。")]})
    try:
        number = normalize_mobile(mobile)
    except ValidationError as exc:
        raise ValidationError({"mobile": exc.messages}) from None
    code = (code or "").strip()
    if not (len(code) == 6 and code.isdigit()):
        raise error
    digest = mobile_hash(number)
    with transaction.atomic():
        # The newest live code of this number.
        otp = lock_first(
            LockSpace.ONE_TIME_CODE,
            OneTimeCode.objects.filter(
                mobile_hash=digest, used_at__isnull=True, expires_at__gt=timezone.now()
            ).order_by("-created_at"),
        )
        if otp is None or otp.attempts >= settings.GONGHUI_OTP_MAX_ATTEMPTS:
            raise error
        if not hmac.compare_digest(otp.code_hash, _code_hash(digest, code)):
            otp.attempts += 1
            otp.save(update_fields=["attempts"])
            failed = True  # raised after the block commits, so the spent attempt is kept
        else:
            otp.used_at = timezone.now()
            otp.save(update_fields=["used_at"])
            failed = False
    if failed:
        raise error
    return number


def _worker_username(mobile_digest: str) -> str:
    return f"w{mobile_digest[:24]}"


@transaction.atomic
def _person_username(person: Person) -> str:
    return f"p{person.pk}"


def _link(user: User, person: Person) -> User:
    """Bind an account to its person. The account's name stops being derived from a mobile
    number, so a number given up and later reissued to someone else cannot lead back here."""
    user.person = person
    user.full_name = person.name
    user.username = _person_username(person)
    user.save(update_fields=["person", "full_name", "username"])
    return user


@transaction.atomic
def worker_account_for_mobile(*, mobile: str) -> User:
    """The worker account behind a verified mobile number: the account of the person who holds
    the number now, else a not-yet-registered account for the number. Registered accounts are
    found through their person only, never through a number they once had."""
    digest = mobile_hash(mobile)
    person = Person.unscoped.filter(mobile_hash=digest).first()
    pending = User.objects.filter(username=_worker_username(digest), person=None).first()
    if person is not None:
        user = User.objects.filter(person=person).first()
        if user is not None:
            return user
        if pending is not None:
            return _link(pending, person)
        user = User.objects.create(
            username=_person_username(person),
            kind=AccountKind.WORKER,
            person=person,
            full_name=person.name,
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        return user
    if pending is None:
        pending = User.objects.create(username=_worker_username(digest), kind=AccountKind.WORKER)
        pending.set_unusable_password()
        pending.save(update_fields=["password"])
    return pending


@transaction.atomic
def worker_register(
    *, actor: User, mobile: str, name: str, id_number: str, household: str = ""
) -> Person:
    """A signed-in worker without a person record registers themself (real name and ID
    number); the verified mobile becomes theirs."""
    if not actor.is_worker_account or actor.person_id is not None:
        raise ValidationError({"id_number": [_("您已完成实名登记。")]})
    # Each attempt says whether an ID number is on file: a few an hour, not a search engine.
    attempts = f"register-attempts:{actor.pk}"
    guarded(lambda: cache.add(attempts, 0, timeout=3600))
    if guarded(lambda: cache.incr(attempts)) > REGISTER_ATTEMPTS_PER_HOUR:
        raise ValidationError(
            {"id_number": [_("尝试次数过多，请一小时后再试，或联系所在工会办理。")]}
        )
    number = normalize_mobile(mobile)
    if actor.username != _worker_username(mobile_hash(number)):
        raise ValidationError({"mobile": [_("手机号与登录时验证的不一致。")]})
    try:
        person = person_register(
            actor=actor,
            data=PersonInput(name=name, id_number=id_number, mobile=number, household=household),
        )
    except ValidationError as exc:
        if "id_number" in exc.message_dict and "已登记" in " ".join(exc.message_dict["id_number"]):
            raise ValidationError(
                {
                    "id_number": [
                        _(
                            "该身份证号已由工会登记，但登记的手机号不是本机号码。"
                            "请联系所在工会更正手机号后再登录。"
                        )
                    ]
                }
            ) from None
        raise
    _link(actor, person)
    return person


def worker_password_user(*, mobile: str, password: str) -> User | None:
    """A worker account by mobile and password, or ``None``."""
    try:
        number = normalize_mobile(mobile)
    except ValidationError:
        return None
    person = Person.unscoped.filter(mobile_hash=mobile_hash(number)).first()
    user = User.objects.filter(person=person).first() if person else None
    if user is None or not user.is_active or not user.check_password(password):
        return None
    return user


# --- password sign-in and its throttle --------------------------------------------------------
# Counted in the database (``SignInFailure``), not in Django's cache: without REDIS_URL the
# cache is per process, and the embedded default may run several gunicorn workers, each of
# which would otherwise grant its own quota of guesses.

signin_logger = logging.getLogger("gonghui.accounts.signin")
SIGNIN_PURPOSE = "signin.account"


class SignInThrottledError(Exception):
    """Too many wrong passwords for the account or from the address: no password is checked
    for ``retry_after`` more seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = max(1, retry_after)

    @property
    def message(self) -> str:
        minutes = math.ceil(self.retry_after / 60)
        return _("密码错误次数过多，请 %(m)s 分钟后再试。") % {"m": minutes}


@dataclass(frozen=True)
class _SignInSubject:
    account_key: str  # blind index of the normalised login
    label: str  # for the log: the login name, or the mobile number masked
    address: str  # "" when the client's address is unknown


def _address_key(address: str | None) -> str:
    """The client address the throttle counts: an IPv4 address, or the /64 of an IPv6 one
    (a single subscriber is given a whole /64 and could otherwise rotate through it)."""
    if not address:
        return ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:50]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def _signin_subject(login: str, address: str | None) -> _SignInSubject:
    login = (login or "").strip()
    try:
        number = normalize_mobile(login)
    except ValidationError:
        normal, label = "user:" + login.lower(), login[:40]
    else:
        normal, label = "mobile:" + number, mask_mobile(number)
    key = blind_index(normal, purpose=SIGNIN_PURPOSE)
    return _SignInSubject(account_key=key, label=label, address=_address_key(address))


def _lock_left(
    *, count: int, last: datetime.datetime | None, limit: int, now: datetime.datetime
) -> int:
    """Seconds still locked after ``count`` failures, the last at ``last``: none below
    ``limit``; from it on, the first lock doubled for every further failure, up to the cap."""
    if last is None or count < limit:
        return 0
    doubling = min(count - limit, 20)
    lock = min(
        settings.GONGHUI_SIGNIN_LOCK_MAX_SECONDS, settings.GONGHUI_SIGNIN_LOCK_SECONDS * 2**doubling
    )
    return max(0, math.ceil((last + datetime.timedelta(seconds=lock) - now).total_seconds()))


def _signin_lock_left(subject: _SignInSubject, now: datetime.datetime) -> tuple[int, int, int]:
    """(seconds locked, failures of the account, failures from the address)."""
    account = SignInFailure.objects.filter(
        account_key=subject.account_key,
        counts_for_account=True,
        at__gt=now - datetime.timedelta(seconds=settings.GONGHUI_SIGNIN_ACCOUNT_WINDOW_SECONDS),
    ).aggregate(n=Count("id"), last=Max("at"))
    left = _lock_left(
        count=account["n"],
        last=account["last"],
        limit=settings.GONGHUI_SIGNIN_ACCOUNT_FAILURES,
        now=now,
    )
    from_address = 0
    if subject.address:
        window = datetime.timedelta(seconds=settings.GONGHUI_SIGNIN_ADDRESS_WINDOW_SECONDS)
        address = SignInFailure.objects.filter(
            address=subject.address, at__gt=now - window
        ).aggregate(n=Count("id"), last=Max("at"))
        from_address = address["n"]
        left = max(
            left,
            _lock_left(
                count=address["n"],
                last=address["last"],
                limit=settings.GONGHUI_SIGNIN_ADDRESS_FAILURES,
                now=now,
            ),
        )
    return left, account["n"], from_address


def _password_user(*, login: str, password: str, accounts: str) -> User | None:
    if accounts == "enterprise":
        return enterprise_contact_password_user(mobile=login, password=password)
    if accounts in ("worker", "any"):
        user = worker_password_user(mobile=login, password=password)
        if user is not None or accounts == "worker":
            return user
    found = authenticate(None, username=(login or "").strip(), password=password)
    if found is None or (accounts == "any" and not getattr(found, "is_staff_account", False)):
        return None
    return cast(User, found)


def password_sign_in(
    *, login: str, password: str, address: str | None, channel: str, accounts: str
) -> User | None:
    """The account these credentials open, or ``None``; the one way every password sign-in
    goes (console, portal, enterprise area, API). ``accounts``: ``"staff"`` (login name:
    Django's backend), ``"worker"`` (mobile number), ``"enterprise"`` (an enterprise contact's
    mobile number) or ``"any"`` (a worker's mobile, else a staff login name).

    Raises ``SignInThrottledError`` instead of checking the password while the account or the
    address is locked, and for the failure that locks it. Locks are bounded in time
    (``GONGHUI_SIGNIN_LOCK_MAX_SECONDS``), so a guesser cannot shut a person out for good;
    the account's first successful sign-in after its lock clears its count (not the
    address's: signing in to one's own account must not buy more guesses at others)."""
    subject = _signin_subject(login, address)
    with transaction.atomic():
        now = timezone.now()
        left, _n, _m = _signin_lock_left(subject, now)
        attempt = None
        if not left:
            # Written before the password is checked, so guesses sent in parallel count
            # each other; deleted below if the password was right.
            attempt = SignInFailure.objects.create(
                at=now,
                account_key=subject.account_key,
                address=subject.address,
                channel=channel,
            )
    if attempt is None:
        signin_logger.info(
            "password sign-in refused while locked (%s s left): account %r, address %s, via %s",
            left,
            subject.label,
            subject.address or "-",
            channel,
        )
        raise SignInThrottledError(left)
    user = _password_user(login=login, password=password, accounts=accounts)
    if user is not None:
        with transaction.atomic():
            SignInFailure.objects.filter(pk=attempt.pk).delete()
            cleared = SignInFailure.objects.filter(
                account_key=subject.account_key, counts_for_account=True
            ).update(counts_for_account=False)
        if cleared:
            signin_logger.info(
                "password sign-in after %s failures: account %r, address %s, via %s",
                cleared,
                subject.label,
                subject.address or "-",
                channel,
            )
        return user
    with transaction.atomic():
        now = timezone.now()
        longest = max(
            settings.GONGHUI_SIGNIN_ACCOUNT_WINDOW_SECONDS,
            settings.GONGHUI_SIGNIN_ADDRESS_WINDOW_SECONDS,
        )
        SignInFailure.objects.filter(at__lt=now - datetime.timedelta(seconds=longest)).delete()
        left, failures, from_address = _signin_lock_left(subject, now)
    signin_logger.warning(
        "password sign-in failed: account %r (%s failures), address %s (%s), via %s%s",
        subject.label,
        failures,
        subject.address or "-",
        from_address,
        channel,
        f"; locked for {left} s" if left else "",
    )
    if left:
        raise SignInThrottledError(left)
    return None


@transaction.atomic
def worker_set_password(*, actor: User, password: str) -> None:
    """A worker (or an enterprise contact: ``enterprise_contact_set_password``) sets the
    password they may sign in with next time instead of a code."""
    try:
        validate_password(password, actor)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    actor.set_password(password)
    actor.save(update_fields=["password"])


# --- the privacy notice ------------------------------------------------------------------------


def _require_worker(actor: User) -> None:
    if not actor.is_worker_account:
        raise PermissionDenied(_("仅限职工本人使用。"))


@transaction.atomic
def privacy_consent_give(*, actor: User, version: str, channel: str) -> PrivacyConsent:
    """The worker agrees to the privacy notice of ``version`` (the one they were shown),
    through ``channel``. It must be the current version: a notice replaced while they read it
    is shown again. Agreeing again to the version in force changes nothing; agreeing to a new
    version ends the consent to the old one (superseded)."""
    _require_worker(actor)
    current = str(settings.GONGHUI_PRIVACY_NOTICE_VERSION)
    if version != current:
        raise ValidationError(
            {"version": [_("个人信息保护告知书已更新，请阅读新版后再同意。")]}, code="stale"
        )
    lock_one(LockSpace.PRIVACY_CONSENT, User, actor.pk)
    now = timezone.now()
    in_force = PrivacyConsent.objects.filter(user=actor, ended_at__isnull=True).first()
    if in_force is not None and in_force.version == current:
        return in_force
    if in_force is not None:
        in_force.ended_at = now
        in_force.end_reason = ConsentEnd.SUPERSEDED
        in_force.ended_channel = channel
        in_force.save(update_fields=["ended_at", "end_reason", "ended_channel"])
    return PrivacyConsent.objects.create(user=actor, version=current, channel=channel, given_at=now)


@transaction.atomic
def privacy_consent_withdraw(*, actor: User, channel: str) -> PrivacyConsent | None:
    """The worker withdraws their consent (PIPL art. 15): the consent in force is ended and
    kept as the record; None when there was none. What the union must keep under other law
    (the member roll, open cases) is not deleted by this; the portal and the worker API are
    closed to the worker until they agree again."""
    _require_worker(actor)
    lock_one(LockSpace.PRIVACY_CONSENT, User, actor.pk)
    in_force = PrivacyConsent.objects.filter(user=actor, ended_at__isnull=True).first()
    if in_force is None:
        return None
    in_force.ended_at = timezone.now()
    in_force.end_reason = ConsentEnd.WITHDRAWN
    in_force.ended_channel = channel
    in_force.save(update_fields=["ended_at", "end_reason", "ended_channel"])
    return in_force


# --- API tokens -------------------------------------------------------------------------------


def _token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, user: User, name: str = "mini-program") -> tuple[str, ApiToken]:
    """A new bearer token; the plaintext is returned once and never stored."""
    key = "gh_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=_token_hash(key),
        prefix=key[:8],
        name=name[:50],
        expires_at=timezone.now() + datetime.timedelta(days=settings.GONGHUI_API_TOKEN_DAYS),
    )
    return key, token


# Every API request asks this, so it is one plain statement (an ORM queryset would cost
# more to build than to run); the account's organisation is read when first needed.
_BEARER_SQL = """
SELECT u.*, t.id AS token_id, t.last_used_at AS token_used_at
FROM accounts_apitoken t JOIN accounts_user u ON u.id = t.user_id
WHERE t.key_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s AND u.is_active
"""


def api_token_user(*, key: str) -> User | None:
    now = timezone.now()
    found = list(
        User.objects.raw(
            _BEARER_SQL, [_token_hash(key), connection.ops.adapt_datetimefield_value(now)]
        )
    )
    if not found:
        return None
    user: Any = found[0]
    used = user.token_used_at
    if isinstance(used, str):  # SQLite returns the joined column as text
        used = parse_datetime(used)
    if used is not None and timezone.is_naive(used):
        used = used.replace(tzinfo=datetime.UTC)
    if used is None or (now - used).total_seconds() > 300:
        ApiToken.objects.filter(pk=user.token_id).update(last_used_at=now)
    return cast(User, user)


@transaction.atomic
def api_token_revoke(*, user: User, key: str) -> None:
    ApiToken.objects.filter(user=user, key_hash=_token_hash(key)).update(revoked_at=timezone.now())


# --- staff accounts ---------------------------------------------------------------------------


def _is_password_hash(encoded: str) -> bool:
    try:
        identify_hasher(encoded)
    except ValueError:
        return False
    return True


def _clean_roles(roles: list[str]) -> list[str]:
    roles = sorted(set(roles))
    if not roles:
        raise ValidationError({"roles": [_("请至少选择一个角色。")]})
    if any(r not in Role.values for r in roles):
        raise ValidationError({"roles": [_("角色不正确。")]})
    return roles


@transaction.atomic
def staff_create(
    *,
    actor: Any,
    organization: Organization,
    username: str,
    full_name: str,
    roles: list[str],
    password: str = "",
    password_hash: str = "",
) -> User:
    """Create a staff account in the actor's subtree (``actor=None``: set-up and demo data).

    ``password_hash`` provisions an account with an already-hashed password (accounts moved
    from another system, or many demo accounts sharing one password) instead of a plaintext
    one; it must be a hash Django recognises."""
    if actor is not None:
        require_within(actor, organization, Perm.MANAGE_STAFF)
    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    if not username or not username.replace("-", "").replace("_", "").isalnum():
        errors["username"] = [_("登录名只能包含字母、数字、- 和 _。")]
    elif User.objects.filter(username=username).exists():
        errors["username"] = [_("登录名已被使用。")]
    try:
        check_plain_text(full_name)
    except ValidationError as exc:
        errors["full_name"] = exc.messages
    try:
        roles = _clean_roles(roles)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    user = User(
        username=username,
        full_name=full_name.strip(),
        kind=AccountKind.STAFF,
        organization=organization,
        roles=roles,
    )
    if password_hash:
        if not _is_password_hash(password_hash):
            errors["password"] = [_("密码摘要格式不正确。")]
    else:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    if password_hash:
        user.password = password_hash
    else:
        user.set_password(password)
    user._history_user = actor  # type: ignore[attr-defined]
    user.save()
    return user


@transaction.atomic
def staff_update(
    *, actor: Any, user: User, full_name: str, roles: list[str], is_active: bool
) -> User:
    if not user.is_staff_account or user.organization is None:
        raise NotFound
    require_within(actor, user.organization, Perm.MANAGE_STAFF)
    if user.pk == actor.pk and (not is_active or Role.ADMIN not in roles):
        raise ValidationError({"roles": [_("不能取消自己的管理员角色或停用自己的账号。")]})
    try:
        check_plain_text(full_name)
    except ValidationError as exc:
        raise ValidationError({"full_name": exc.messages}) from None
    user.full_name, user.roles, user.is_active = full_name.strip(), _clean_roles(roles), is_active
    user._history_user = actor  # type: ignore[attr-defined]
    user.save()
    return user


# --- enterprise contacts ------------------------------------------------------------------------
# An enterprise contact signs in at the enterprise area's own entry (``/enterprise/login/``)
# with the same one-time codes as workers; the entry decides which account a verified number
# opens, so one number may be a worker's and a contact's at once (docs/adr/0012).


def contact_mobile_hash(number: str) -> str:
    """The blind index of a contact's normalised mobile number."""
    return blind_index(number, purpose=CONTACT_MOBILE_PURPOSE)


def _require_covering(actor: Any, enterprise: Enterprise, perm: Perm | None = None) -> None:
    """Contacts are managed by the organisation covering the enterprise (its union, else its
    town) and by anyone above it; anyone else gets "not found"."""
    require_within(actor, enterprise.covering, perm)


@transaction.atomic
def enterprise_contact_invite(
    *, actor: Any, enterprise: Enterprise, name: str, mobile: str
) -> User:
    """Invite a person to act for ``enterprise``: an account signing in with ``mobile`` (code,
    or a password they set later), told by SMS where to sign in. A contact deactivated
    earlier is invited again by the same number. One number is one enterprise's contact."""
    _require_covering(actor, enterprise, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    name = clean_text(name, "name", errors, required=True, limit=50)
    number = ""
    try:
        number = normalize_mobile(mobile)
    except ValidationError as exc:
        errors["mobile"] = exc.messages
    if not enterprise.is_active:
        errors.setdefault("enterprise", []).append(_("该企业已不在营，不能邀请联系人。"))
    raise_errors(errors)
    digest = contact_mobile_hash(number)
    # Lock the number's account, if any, so a deactivation at this moment cannot interleave.
    contact = lock_first(
        LockSpace.ENTERPRISE_CONTACT,
        User.objects.filter(kind=AccountKind.ENTERPRISE, mobile_hash=digest),
    )
    if contact is not None:
        if contact.enterprise_id != enterprise.pk:
            raise ValidationError(
                {"mobile": [_("该手机号已是另一家企业的联系人，一个手机号只能联系一家企业。")]}
            )
        if contact.is_active:
            raise ValidationError({"mobile": [_("该手机号已是本企业的联系人。")]})
        contact.full_name, contact.is_active, contact.invited_by = name, True, actor
        contact._history_user = actor  # type: ignore[attr-defined]
        contact.save(update_fields=["full_name", "is_active", "invited_by"])
    else:
        contact = User(
            username=f"e{secrets.token_hex(8)}",
            kind=AccountKind.ENTERPRISE,
            full_name=name,
            enterprise=enterprise,
            mobile=number,
            mobile_hash=digest,
            invited_by=actor,
        )
        contact.set_unusable_password()
        contact._history_user = actor  # type: ignore[attr-defined]
        try:
            with transaction.atomic():  # a savepoint: the failed INSERT leaves the rest usable
                contact.save()
        except IntegrityError:
            # Two invitations of one number at once: the unique constraint kept the first.
            raise ValidationError({"mobile": [_("该手机号已是企业联系人。")]}) from None
    text = _(
        "%(org)s邀请您作为“%(e)s”的企业联系人使用网上工会。"
        "请在网上工会的“企业联系人登录”页面用本手机号获取验证码登录。"
    ) % {"org": actor.organization.name, "e": enterprise.name}
    # To a number, not a worker: no in-app copy; sent once after commit (see notify_number).
    notify.notify_number(mobile=number, text=text)
    return contact


@transaction.atomic
def enterprise_contact_deactivate(*, actor: Any, contact: User) -> User:
    """The contact can no longer sign in; their sessions and API tokens stop working."""
    if not contact.is_enterprise_account or contact.enterprise is None:
        raise NotFound
    _require_covering(actor, contact.enterprise, Perm.EDIT_RECORDS)
    contact = lock_one(LockSpace.ENTERPRISE_CONTACT, User, contact.pk)
    if not contact.is_active:
        raise ValidationError({"contact": [_("该联系人已停用。")]})
    contact.is_active = False
    contact._history_user = actor  # type: ignore[attr-defined]
    contact.save(update_fields=["is_active"])
    ApiToken.objects.filter(user=contact, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return contact


def enterprise_contact_for_mobile(*, mobile: str) -> User | None:
    """The active contact account a verified mobile number opens, or ``None``."""
    try:
        number = normalize_mobile(mobile)
    except ValidationError:
        return None
    return (
        User.objects.filter(
            kind=AccountKind.ENTERPRISE, mobile_hash=contact_mobile_hash(number), is_active=True
        )
        .select_related("enterprise")
        .first()
    )


def enterprise_contact_password_user(*, mobile: str, password: str) -> User | None:
    """An enterprise contact by mobile and password, or ``None``."""
    user = enterprise_contact_for_mobile(mobile=mobile)
    if user is None or not user.check_password(password):
        return None
    return user


def enterprise_contact_set_password(*, actor: User, password: str) -> None:
    if not actor.is_enterprise_account:
        raise NotFound
    worker_set_password(actor=actor, password=password)
