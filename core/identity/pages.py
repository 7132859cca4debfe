"""Sign-in, sign-out, one's own account (extension and job title) and password."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.i18n import gettext as _
from core.identity import services, sessions
from core.identity.models import User
from core.identity.schemas import MeChange
from core.web.access import actor_of
from core.web.routing import safe_next
from core.web.forms import FormErrors, changed_meanwhile, form_action, form_passwords, problem_errors
from core.web.templating import render
from core.permissions import AUTHENTICATED, PUBLIC
from core.web.authentication import SESSION_COOKIE
from core.problems import Problem
from core.web.routing import page_route


def _set_session_cookie(request: Request, response: Response, secret: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(SESSION_COOKIE, secret, max_age=settings.session_absolute_hours * 3600, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https", path="/")


def _device(request: Request) -> dict[str, str]:
    """What the throttle needs to recognise a browser the account signed in on before."""
    return {"secret_key": request.app.state.secret_key,
            "device_cookie": request.cookies.get(sessions.DEVICE_COOKIE, "")}


def _remember_device(request: Request, response: Response, user) -> None:
    """Mark this browser as one the user signed in on: failures elsewhere then cannot
    suspend the user's sign-in here (see the throttle in core/identity/sessions.py)."""
    value = sessions.remember_device(request.app.state.secret_key, request.cookies.get(sessions.DEVICE_COOKIE, ""),
                                     user.id)
    response.set_cookie(sessions.DEVICE_COOKIE, value, max_age=sessions.DEVICE_COOKIE_DAYS * 86400, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https", path="/")


async def login_form(request: Request) -> Response:
    if request.state.user is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return render(request, "core/auth/login.html", {"next": safe_next(request.query_params.get("next")),
                                                    "values": {}, "errors": FormErrors()})


async def login(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username", ""))[:64]
    password, = await form_passwords(request, ["password"])
    next_url = safe_next(str(form.get("next", "/")))
    try:
        user = await sessions.check_credentials(request.app.state.settings, username, password,
                                                request.state.client_address, **_device(request))
    except Problem as problem:
        status = problem.status if problem.status in (401, 429) else 400
        return render(request, "core/auth/login.html", {"next": next_url, "values": {"username": username},
                                                        "errors": FormErrors(general=[problem.detail])},
                      status_code=status)
    if request.state.session is not None:  # signing in over another session ends it
        await sessions.end_session(request.state.session, request.state.client_address)
    signin = await sessions.start_session(request.app.state.settings, user, request.state.client_address,
                                          request.headers.get("user-agent", ""))
    # After the session is stored: a plugin's failure (logged) never undoes the sign-in.
    await request.app.state.host.notify("on_signed_in", user=user, client_address=request.state.client_address)
    response = RedirectResponse(next_url, status_code=303)
    _set_session_cookie(request, response, signin.secret)
    _remember_device(request, response, user)
    return response


async def logout(request: Request) -> Response:
    if request.state.session is not None:
        await sessions.end_session(request.state.session, request.state.client_address)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def password_form(request: Request, errors: FormErrors | None = None, status_code: int = 200,
                        done: bool = False) -> Response:
    return render(request, "core/auth/password.html", {"errors": errors or FormErrors(), "done": done},
                  status_code=status_code)


async def change_password(request: Request) -> Response:
    """Not through form_action: the success renders the page with the browser's fresh
    session cookie, and nothing typed is ever shown again."""
    user = request.state.user
    current, new, repeat = await form_passwords(request, ["current", "new", "repeat"])
    errors = FormErrors()
    try:  # the same throttle as sign-in: a stolen session must not guess the password here
        attempt = await sessions.attempt_password(sessions.Limits.of(request.app.state.settings), user.username,
                                                  current, request.state.client_address, **_device(request))
    except Problem as problem:
        return await password_form(request, FormErrors(fields={"current": problem.detail}), 429)
    if attempt.valid:
        await attempt.release()
    else:
        errors.fields["current"] = _("The current password is wrong.")
    if new != repeat:
        errors.fields["repeat"] = _("The two new passwords differ.")
    if not errors:
        try:
            await services.set_password(user, new, actor=actor_of(request))
        except Problem as problem:
            errors = problem_errors(problem, ["new"], aliases={"password": "new"})
    if errors:
        return await password_form(request, errors, 422)
    # Every session of the user ended with the change; this browser gets a fresh one.
    signin = await sessions.start_session(request.app.state.settings, user, request.state.client_address,
                                          request.headers.get("user-agent", ""))
    response = await password_form(request, done=True)
    _set_session_cookie(request, response, signin.secret)
    return response


async def account_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                       status_code: int = 200) -> Response:
    """The signed-in user's own account: who they are, and the extension and job title
    colleagues find them by in the staff directory."""
    user = await User.get(id=request.state.user.id)
    shown = values or {"extension": user.extension, "title": user.title}
    return render(request, "core/auth/account.html", {
        "account": user, "values": {**shown, "version": str(user.version)}, "errors": errors or FormErrors(),
        "saved": request.query_params.get("saved") == "1"}, status_code=status_code)


async def account_update(request: Request) -> Response:
    """Through the same service as ``PATCH /api/v1/me``; a refusal re-shows the form."""
    user = await User.get(id=request.state.user.id)

    def read_version(values: dict) -> dict:
        if not values["version"].isdigit():  # a form without the version read cannot be checked: stale
            raise Problem(409, _("Someone else changed your account since you opened the page. Enter your change "
                                 "again."))
        return values

    async def page(errors: FormErrors, values: dict, status: int) -> Response:
        if changed_meanwhile(status, values, user):
            stale = _("Someone else changed your account since you opened the page. Enter your change again.")
            return await account_page(request, FormErrors(general=[stale]), status_code=status)
        return await account_page(request, errors, values, status)

    return await form_action(
        request, fields=["extension", "title", "version"], schema=MeChange, prepare=read_version, keep_blank=True,
        page=page, success_url="/account?saved=1",
        act=lambda body: services.update_own_profile(actor_of(request), body.model_dump(
            exclude={"version"}, exclude_unset=True), version=body.version))


def routes():
    return [
        page_route("/login", login_form, permission=PUBLIC),
        page_route("/login", login, permission=PUBLIC, methods=["POST"]),
        page_route("/logout", logout, permission=PUBLIC, methods=["POST"]),
        page_route("/account", account_page, permission=AUTHENTICATED),
        page_route("/account", account_update, permission=AUTHENTICATED, methods=["POST"]),
        page_route("/account/password", password_form, permission=AUTHENTICATED),
        page_route("/account/password", change_password, permission=AUTHENTICATED, methods=["POST"]),
    ]
