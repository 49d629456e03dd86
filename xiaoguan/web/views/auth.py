"""Log in and out, ask for a reset link, set a password from an invitation or reset link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from xiaoguan.core.errors import ValidationFailedError
from xiaoguan.org.models import User
from xiaoguan.org.services import user_password_reset_request, user_set_password
from xiaoguan.web.forms import LoginForm, PasswordResetRequestForm, SetPasswordForm
from xiaoguan.web.views.common import form_take_error

# Like Django's own reset view: the real token leaves the address bar (and Referer headers) at once and waits in the
# session; the page then lives at a URL with this placeholder instead.
TOKEN_PLACEHOLDER = "set"  # noqa: S105 - a fixed path segment, not a secret
TOKEN_SESSION_KEY = "_xiaoguan_password_token"  # noqa: S105 - a session key name, not a secret

login_view = LoginView.as_view(template_name="web/auth/login.html", authentication_form=LoginForm, redirect_authenticated_user=True)
logout_view = LogoutView.as_view()


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link. The answer is the same whether or not the address has an account."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_password_reset_request(email=form.cleaned_data["email"])
        return render(request, "web/auth/reset_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "web/auth/reset.html", {"form": form}, status=422 if form.errors else 200)


def _user_from_uid(uidb64: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


@never_cache
@csrf_protect
@sensitive_post_parameters("password", "password_again")
@require_http_methods(["GET", "POST"])
def set_password(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Set a password from an invitation or a reset link, then land logged in on the workbench."""
    user = _user_from_uid(uidb64)
    if token != TOKEN_PLACEHOLDER:
        if user is not None and default_token_generator.check_token(user, token):
            request.session[TOKEN_SESSION_KEY] = token
            return redirect(reverse("web:set_password", args=[uidb64, TOKEN_PLACEHOLDER]))
        return render(request, "web/auth/link_invalid.html", status=400)
    session_token = request.session.get(TOKEN_SESSION_KEY)
    if user is None or not session_token or not default_token_generator.check_token(user, session_token):
        return render(request, "web/auth/link_invalid.html", status=400)

    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_set_password(user=user, password=form.cleaned_data["password"])
        except ValidationFailedError as exc:
            form_take_error(form, exc)
        else:
            del request.session[TOKEN_SESSION_KEY]
            login(request, user, backend="xiaoguan.org.auth_backend.EmailBackend")
            messages.success(request, _("密码已设置，欢迎使用销管。"))
            return redirect("web:home")
    return render(request, "web/auth/set_password.html", {"form": form, "person": user}, status=422 if form.errors else 200)
