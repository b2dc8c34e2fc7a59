"""The second sign-in step (django-otp): a code from an authenticator app (TOTP) or a one-time
recovery code, after the password.

Who must take it: everyone who can see the whole district or full ID and mobile numbers, and,
with SECOND_FACTOR_FOR_EVERYONE, everyone. Anyone else who has enrolled takes it too. Until a
signed-in user has taken it, SecondFactorMiddleware sends every page to this step (or to the
set-up page for a user who must enrol and has not), and the admin site refuses its pages
(PortalAdminSite.has_permission), so a password alone opens no page with data.

Lockout: each wrong code counts as a failed sign-in for django-axes (the same limit and cool-off
as the password, and a locked-out user is signed out), and the device itself waits longer after
each failure (django-otp's throttling), which a fresh password does not reset.
"""

import math
import secrets
from base64 import b32encode

import segno
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from xiangcheng.replicas import writes_accounts_only
from xiangcheng.scoping import can_see_full_numbers, sees_whole_district

RECOVERY_CODES = 10
APP_DEVICE = "身份验证器"
RECOVERY_DEVICE = "恢复码"
WRONG_CODE = "验证码不正确或已过期，请输入身份验证器上当前显示的 6 位数字，或一个未用过的恢复码。"


def second_factor_required(user) -> bool:
    """Whether `user` may not use the portal on a password alone."""
    return bool(
        getattr(settings, "SECOND_FACTOR_FOR_EVERYONE", False)
        or sees_whole_district(user)
        or can_see_full_numbers(user)
    )


def enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


ENROLLED_SESSION_KEY = "second_factor_enrolled"


@receiver(user_logged_in)
def _remember_enrolment(sender, request, user, **kwargs):
    """Whether the user has enrolled, read once at sign-in, so that pages need not ask again."""
    if request is not None and hasattr(request, "session"):
        request.session[ENROLLED_SESSION_KEY] = enrolled(user)


def second_factor_pending(request) -> bool:
    """Whether the signed-in user still has to take the second step in this session: they must
    take it, or they enrolled and so chose to. Unenrolled users who need not are never asked."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return False
    return request.session.get(ENROLLED_SESSION_KEY, False) or second_factor_required(user)


def complete_test_sign_in(client, user) -> None:
    """After Django's test client's `force_login(user)` (the tests, the bench): leave in its session
    what a completed second step leaves, for a user who must take it: an enrolled authenticator
    that verified this session. Never reached by a request."""
    if not second_factor_required(type(user).objects.get(pk=user.pk)):
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[ENROLLED_SESSION_KEY] = True
    session.save()


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("admin:index")


class SecondFactorMiddleware:
    """Sends a signed-in user who has not taken the second step to it, from every page but the
    step itself and signing out. Placed after django-otp's OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def open_paths(self) -> set:
        # Reversed once, on the first request (the URLconf is loaded by then), not on every one.
        return {reverse(name) for name in ("second_factor", "second_factor_setup", "admin:logout")}

    def __call__(self, request):
        if request.path not in self.open_paths and second_factor_pending(request):
            name = "second_factor" if request.session.get(ENROLLED_SESSION_KEY) else "second_factor_setup"
            query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
            return redirect(f"{reverse(name)}?{query}" if query else reverse(name))
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="验证码",
        max_length=20,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        error_messages={"required": "请输入验证码。"},
    )


def _context(request, title, **context):
    # No side menu: until the step is taken, every page it lists leads back here.
    return {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "title": title,
        "next": _next(request),
        **context,
    }


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE), for the password and the code alike,
    with the cool-off in minutes."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    return render(request, "axes_lockout.html", context, status=429)


def _locked_out_after_failure(request) -> bool:
    """Count a wrong code as a failed sign-in, and sign the user out once django-axes locks
    them out. Returns whether it did."""
    credentials = {"username": request.user.get_username()}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if AxesProxyHandler.is_locked(request, credentials):
        logout(request)
        return True
    return False


@writes_accounts_only
@never_cache
@login_required
def verify(request):
    """The second step for an enrolled user: a code from their app, or one of their recovery codes."""
    if not enrolled(request.user):
        return redirect("second_factor_setup")
    if request.user.is_verified():
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        devices = _devices(request.user)
        wait = _wait(devices)
        device = None if wait else _device_accepting(devices, form.cleaned_data["code"].replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            return redirect(_next(request))
        if _locked_out_after_failure(request):
            return lockout_response(request)
        form.add_error("code", f"验证码连续输错，请 {wait} 秒后再试。" if wait else WRONG_CODE)
    return render(request, "admin/second_factor/verify.html", _context(request, "两步验证", form=form))


def _devices(user):
    """The user's confirmed devices: the authenticator app first, then the recovery codes."""
    return [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]


def _device_accepting(devices, code):
    """The one of `devices` that accepts `code`; each device applies its own throttling."""
    with transaction.atomic():
        return next((device for device in devices if device.verify_token(code)), None)


def _wait(devices) -> int:
    """Seconds until a code may be tried again after wrong ones (django-otp's throttling of
    every one of the user's `devices`), 0 when it may now."""
    checks = [device.verify_is_allowed() for device in devices]
    until = [data["locked_until"] for allowed, data in checks if not allowed]
    if not until or len(until) < len(devices):
        return 0
    return max(1, math.ceil((min(until) - timezone.now()).total_seconds()))


def _qr_svg(device) -> str:
    """The device's otpauth:// address as an inline SVG, drawn here (no image service, no inline
    style, so the strict CSP holds)."""
    return segno.make(device.config_url, error="m").svg_inline(border=2, omitsize=True)


def _new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with fresh ones and return them (shown once)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [secrets.token_hex(4) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@writes_accounts_only
@never_cache
@login_required
def setup(request):
    """Enrol an authenticator app: scan the QR code (or type the key), then confirm with the code
    the app shows. On success the session counts as verified and the recovery codes are shown once."""
    if enrolled(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('second_factor')}?{urlencode({'next': _next(request)})}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name=APP_DEVICE, confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].replace(" ", "")):
            with transaction.atomic():
                TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                codes = _new_recovery_codes(request.user)
            otp_login(request, device)
            request.session[ENROLLED_SESSION_KEY] = True
            return render(
                request,
                "admin/second_factor/recovery_codes.html",
                _context(request, "两步验证已开启", codes=codes),
            )
        if _locked_out_after_failure(request):
            return lockout_response(request)
        form.add_error("code", "验证码不正确，请输入身份验证器中本平台当前显示的 6 位数字。")
    context = _context(
        request,
        "设置两步验证",
        form=form,
        qr=mark_safe(_qr_svg(device)),  # noqa: S308 - segno's own SVG markup
        key=_spaced_key(device),
        required=second_factor_required(request.user),
        replacing=enrolled(request.user),
    )
    return render(request, "admin/second_factor/setup.html", context)


def _spaced_key(device) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@writes_accounts_only
@never_cache
@login_required
def recovery_codes(request):
    """New recovery codes for a verified user (the old ones stop working)."""
    if not request.user.is_verified():
        return redirect("second_factor")
    if request.method != "POST":
        return render(request, "admin/second_factor/recovery_codes.html", _context(request, "恢复码", codes=None))
    codes = _new_recovery_codes(request.user)
    return render(request, "admin/second_factor/recovery_codes.html", _context(request, "新的恢复码", codes=codes))
