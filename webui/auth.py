"""Accounts: log in and out, register with a mailed confirmation link, reset a password."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, lazy_gettext

from core.catalog import AlreadyExists, NotFound
from core.catalog.account_tokens import (
    CONFIRM,
    RESET,
    issue_token,
    peek_token,
    redeem_token,
    void_tokens,
)
from core.catalog.accounts import confirm_email, register_user
from core.catalog.shared_limits import shared_limits
from core.catalog.users import (
    find_user_by_email,
    get_user,
    record_login,
    rehash_password,
    set_password,
    set_user_language,
)
from core.catalog.web_sessions import (
    create_session,
    end_session,
    find_session,
    touch_session,
)
from core.email_address import email_address
from core.security import hash_password, needs_rehash, verify_password
from core.spool import shorten_address
from webui.db import get_db, get_settings
from webui.i18n import browser_language
from webui.known_devices import known_device, remember_device
from webui.login_limits import LoginLimiter
from webui.mail_links import send_account_mail

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

MIN_PASSWORD = 8


def start_session(user: dict[str, Any]) -> None:
    """Log this browser in as ``user``: a new server-side session (any earlier one of this
    browser ends), its id in the signed cookie."""
    end_this_session()
    session.clear()
    session.permanent = True
    session["sid"] = create_session(
        get_db(), user["id"], network=client_network(), browser=browser_name()
    )


def end_this_session() -> None:
    """Log this browser out: its server-side session is deleted, so the cookie is worthless
    even to whoever copied it."""
    current = g.get("web_session")
    if current is not None:
        end_session(get_db(), current["user_id"], current["id"])
        g.web_session = None
    session.clear()


@bp.before_app_request
def load_logged_in_user() -> None:
    g.user = None
    g.web_session = None
    session_id = session.get("sid")
    if session_id is None:
        if session.get("user_id") is not None:
            session.clear()  # a cookie from before server-side sessions: log in again
        return
    db = get_db()
    current = find_session(db, session_id, get_settings().web.session_days)
    if current is None:
        session.clear()
        return
    try:
        user = get_user(db, current["user_id"])
    except NotFound:
        session.clear()
        return
    touch_session(db, current)
    g.user = user
    g.web_session = current


# Enough to tell one's own devices apart on the account page, without keeping the whole
# User-Agent (which is close to a fingerprint).
_BROWSERS = (
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def browser_name() -> str:
    agent = request.user_agent.string
    # Stored, and shown to whoever reads the account page: not translated.
    name = next((label for marker, label in _BROWSERS if marker in agent), "Browser")
    system = next((label for marker, label in _SYSTEMS if marker in agent), None)
    return f"{name} on {system}" if system else name


def login_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapped_view(**kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(**kwargs)

    return wrapped_view


def admin_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapped_view(**kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", next=request.path))
        if not g.user["is_admin"]:
            abort(403)
        return view(**kwargs)

    return wrapped_view


def client_network() -> str:
    return shorten_address(request.remote_addr or "")


def _limiter() -> LoginLimiter:
    limiter = current_app.extensions.get("alarmvault_login_limiter")
    if limiter is None:
        settings = get_settings()
        web = settings.web
        limiter = current_app.extensions.setdefault(
            "alarmvault_login_limiter",
            LoginLimiter(
                web.login_max_failures,
                web.login_max_failures_per_address,
                web.login_max_failures_per_account,
                web.login_window_s,
                shared=shared_limits(settings.storage.catalog_path),
            ),
        )
    return limiter


# A path on this site: "/" then printable ASCII without spaces. Browsers drop tabs and
# newlines from a Location and read a backslash as "/", so "/<TAB>/evil.example" becomes
# "//evil.example", another site; a newline would also break the header (a 500).
_LOCAL_PATH = re.compile(r"/(?![/\\])[!-\[\]-~]*")


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site, safe to redirect to; else None. The one check
    for every redirect to an address that came with a request."""
    if target and _LOCAL_PATH.fullmatch(target):
        return target
    return None


def _safe_next(target: str | None) -> str:
    return local_path(target) or url_for("dashboard.index")


def _link_ttl() -> timedelta:
    return timedelta(hours=get_settings().web.link_valid_hours)


def send_confirmation(user: dict[str, Any]) -> None:
    token = issue_token(get_db(), user["id"], CONFIRM, _link_ttl())
    send_account_mail(
        user["email"],
        lazy_gettext("Confirm your AlarmVault account"),
        "confirm_email",
        link=("auth.confirm", {"token": token}),
        language=user.get("language"),
    )


@bp.route("/login", methods=("GET", "POST"))
def login():
    if request.method == "GET":
        return render_template("auth/login.html", next=request.args.get("next", ""))
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    limiter = _limiter()
    network = client_network()
    db = get_db()
    user = find_user_by_email(db, email) if email else None
    device = known_device(user)
    if limiter.is_blocked(email, network, device):
        logger.warning("login refused: too many failures (network %s)", network)
        flash(gettext("Too many failed logins. Please wait a few minutes and try again."), "error")
        return render_template("auth/login.html", email=email, next=request.form.get("next")), 429
    if user is None or not verify_password(user["password_hash"], password):
        if user is None:
            # Same work as a wrong password, so the answer time does not reveal accounts.
            verify_password(_dummy_hash(), password)
        limiter.record_failure(email, network, device)
        logger.info("login failed (user %s)", user["id"] if user else "unknown")
        flash(gettext("Wrong e-mail address or password."), "error")
        return render_template("auth/login.html", email=email, next=request.form.get("next")), 401
    if user["needs_confirmation"]:
        send_confirmation(user)
        flash(
            gettext("Please confirm your e-mail address first: we have sent you a new link."),
            "error",
        )
        return render_template("auth/login.html", email=email), 403
    limiter.record_success(email, network, device)
    if needs_rehash(user["password_hash"]):
        rehash_password(db, user["id"], password)
        user = get_user(db, user["id"])
    record_login(db, user["id"])
    # The first login sets the language from the browser; the account page changes it.
    set_user_language(db, user["id"], browser_language(), only_if_unset=True)
    start_session(user)
    logger.info("login ok (user %d)", user["id"])
    response = redirect(_safe_next(request.form.get("next")))
    remember_device(response, user)
    return response


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not the password of anyone")


@bp.route("/logout", methods=("POST",))
def logout():
    if g.user is not None:
        logger.info("logout (user %d)", g.user["id"])
    end_this_session()
    return redirect(url_for("auth.login"))


def tokens_revoked_note(revoked: int) -> str:
    """The sentence that tells an owner a new password also revoked their API tokens."""
    if revoked == 0:
        return ""
    if revoked == 1:
        return gettext("Your API token is revoked; make a new one where you need it.") + " "
    return (
        gettext(
            "Your %(num)d API tokens are revoked; make new ones where you need them.", num=revoked
        )
        + " "
    )


def _password_problem(password: str, repeated: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return gettext("The password must have at least %(num)d characters.", num=MIN_PASSWORD)
    if len(password) > 1024:
        return gettext("The password is too long.")
    if password != repeated:
        return gettext("The two passwords differ.")
    return None


@bp.route("/register", methods=("GET", "POST"))
def register():
    if not get_settings().web.registration_open:
        abort(404)
    if request.method == "GET":
        return render_template("auth/register.html")
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    problem = _password_problem(password, request.form.get("password2", ""))
    try:
        email = email_address(email)
    except ValueError:
        problem = gettext("Please enter your e-mail address (one address).")
    if problem:
        flash(problem, "error")
        return render_template("auth/register.html", email=email), 400
    limiter = _limiter()
    network = client_network()
    if limiter.is_blocked(email, network):
        flash(gettext("Too many attempts. Please wait a few minutes and try again."), "error")
        return render_template("auth/register.html", email=email), 429
    # Every registration mails someone: counted like a failed login against flooding.
    limiter.record_failure(email, network)
    db = get_db()
    try:
        user = register_user(db, email, password)
    except AlreadyExists:
        # Do not reveal that the address has an account: tell its owner instead.
        existing = find_user_by_email(get_db(), email)
        send_account_mail(
            email,
            lazy_gettext("Your AlarmVault account"),
            "already_registered",
            link=("auth.reset_request", {}),
            language=existing.get("language") if existing else None,
        )
    else:
        logger.info("registered (user %d)", user["id"])
        send_confirmation(user)
    return render_template("auth/check_mail.html", email=email)


@bp.route("/confirm/<token>")
def confirm(token: str):
    redeemed = redeem_token(get_db(), token, CONFIRM)
    if redeemed is None:
        flash(gettext("That link is not valid any more. Log in to get a new one."), "error")
        return redirect(url_for("auth.login"))
    confirm_email(get_db(), redeemed.user_id)
    logger.info("e-mail confirmed (user %d)", redeemed.user_id)
    flash(gettext("Thank you, your e-mail address is confirmed. Please log in."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/reset", methods=("GET", "POST"))
def reset_request():
    if request.method == "GET":
        return render_template("auth/reset_request.html")
    email = request.form.get("email", "").strip()
    limiter = _limiter()
    network = client_network()
    if limiter.is_blocked(email, network):
        flash(gettext("Too many attempts. Please wait a few minutes and try again."), "error")
        return render_template("auth/reset_request.html", email=email), 429
    # Counted like a failed login, so the form cannot be used to flood someone's mailbox.
    limiter.record_failure(email, network)
    user = find_user_by_email(get_db(), email) if "@" in email else None
    if user is not None:
        token = issue_token(get_db(), user["id"], RESET, timedelta(hours=1))
        send_account_mail(
            user["email"],
            lazy_gettext("Reset your AlarmVault password"),
            "reset_password",
            link=("auth.reset_password", {"token": token}),
            language=user.get("language"),
        )
        logger.info("password reset link sent (user %d)", user["id"])
    return render_template("auth/check_mail.html", email=email, reset=True)


@bp.route("/reset/<token>", methods=("GET", "POST"))
def reset_password(token: str):
    db = get_db()
    if peek_token(db, token, RESET) is None:
        flash(gettext("That link is not valid any more. Please ask for a new one."), "error")
        return redirect(url_for("auth.reset_request"))
    if request.method == "GET":
        return render_template("auth/reset_password.html", token=token)
    password = request.form.get("password", "")
    problem = _password_problem(password, request.form.get("password2", ""))
    if problem:
        flash(problem, "error")
        return render_template("auth/reset_password.html", token=token), 400
    redeemed = redeem_token(db, token, RESET)
    if redeemed is None:
        return redirect(url_for("auth.reset_request"))
    revoked = set_password(db, redeemed.user_id, password)
    # Whoever could read the mailbox proved to own it: the address is confirmed too.
    confirm_email(db, redeemed.user_id)
    void_tokens(db, redeemed.user_id, RESET)
    logger.info("password reset (user %d, %d API tokens revoked)", redeemed.user_id, revoked)
    flash(
        gettext(
            "Your password is changed. %(tokens)sPlease log in.",
            tokens=tokens_revoked_note(revoked),
        ),
        "info",
    )
    return redirect(url_for("auth.login"))
