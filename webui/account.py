"""The account page: e-mail, password, mail choices, named plates, export, pause and
deletion."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from datetime import UTC, datetime, timedelta

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import force_locale, gettext, lazy_gettext

from core.catalog import AlreadyExists, NotFound
from core.catalog.account_tokens import CHANGE_EMAIL, issue_token, redeem_token, void_tokens
from core.catalog.accounts import (
    change_email,
    export_user_data,
    opt_out_by_key,
    set_account_state,
    set_mail_preferences,
)
from core.catalog.plates import (
    MAX_KNOWN_PLATES,
    TooManyKnownPlates,
    add_known_plate,
    delete_known_plate,
    list_known_plates,
)
from core.catalog.states import AccountState
from core.catalog.users import find_user_by_email, get_user, set_password, set_user_language
from core.catalog.web_sessions import end_session, end_sessions, list_sessions
from core.email_address import email_address
from core.security import verify_password
from core.translation import supported
from core.web_push import application_server_key
from webui.auth import (
    _password_problem,
    end_this_session,
    login_required,
    start_session,
    tokens_revoked_note,
)
from webui.data_removal import remove_account
from webui.db import get_db, get_settings
from webui.mail_links import send_account_mail
from webui.push_devices import push_devices

logger = logging.getLogger(__name__)

bp = Blueprint("account", __name__)

MAIL_KIND_NAMES = {
    "alarms": lazy_gettext("alarm notices"),
    "fairuse": lazy_gettext("fair-use notices"),
}


def _password_ok() -> bool:
    if verify_password(g.user["password_hash"], request.form.get("current_password", "")):
        return True
    flash(gettext("Your current password was not right."), "error")
    return False


def account_page() -> str:
    return render_template(
        "account/index.html",
        sessions=list_sessions(get_db(), g.user["id"]),
        this_session=g.web_session["id"],
        known_plates=list_known_plates(get_db(), g.user["id"]),
        push_devices=push_devices(g.user["id"]),
        push_key=application_server_key(get_settings()),
    )


@bp.route("/account")
@login_required
def index():
    return account_page()


@bp.route("/account/plates", methods=("POST",))
@login_required
def name_plate():
    try:
        plate = add_known_plate(
            get_db(),
            g.user["id"],
            request.form.get("text", "")[:40],
            request.form.get("name", "")[:200],
        )
    except TooManyKnownPlates:
        flash(gettext("At most %(num)d named plates per account.", num=MAX_KNOWN_PLATES), "error")
    except ValueError as error:
        # The catalog's messages are message ids (core.translation.N_).
        flash(gettext(str(error)), "error")
    else:
        # The plate and its name stay out of the log: they are about other people.
        logger.info("named plate saved (user %d)", g.user["id"])
        flash(
            gettext("%(plate)s is now “%(name)s”.", plate=plate["text"], name=plate["name"]), "info"
        )
    return redirect(url_for("account.index") + "#plates")


@bp.route("/account/plates/<id:plate_id>/delete", methods=("POST",))
@login_required
def forget_plate(plate_id: int):
    try:
        delete_known_plate(get_db(), g.user["id"], plate_id)
    except NotFound:
        abort(404)  # no such plate of this account: someone else's looks the same
    logger.info("named plate removed (user %d)", g.user["id"])
    flash(gettext("The plate's name is removed."), "info")
    return redirect(url_for("account.index") + "#plates")


@bp.route("/account/email", methods=("POST",))
@login_required
def email():
    if not _password_ok():
        return account_page(), 400
    try:
        new_email = email_address(request.form.get("email", ""))
    except ValueError:
        flash(gettext("Please enter one e-mail address."), "error")
        return account_page(), 400
    if find_user_by_email(get_db(), new_email) is None:
        token = issue_token(
            get_db(),
            g.user["id"],
            CHANGE_EMAIL,
            timedelta(hours=get_settings().web.link_valid_hours),
            payload=new_email,
        )
        send_account_mail(
            new_email,
            lazy_gettext("Confirm your new AlarmVault e-mail address"),
            "change_email",
            link=("account.confirm_email_change", {"token": token}),
        )
    # The same answer whether or not the address is taken: it does not reveal other accounts.
    flash(
        gettext("We have sent a link to the new address. Your e-mail changes when you open it."),
        "info",
    )
    return redirect(url_for("account.index"))


@bp.route("/account/email/<token>")
@login_required
def confirm_email_change(token: str):
    redeemed = redeem_token(get_db(), token, CHANGE_EMAIL)
    if redeemed is None or redeemed.user_id != g.user["id"] or not redeemed.payload:
        flash(gettext("That link is not valid any more."), "error")
        return redirect(url_for("account.index"))
    try:
        change_email(get_db(), g.user["id"], redeemed.payload)
    except AlreadyExists:
        flash(gettext("That address belongs to another account now."), "error")
        return redirect(url_for("account.index"))
    start_session(get_user(get_db(), g.user["id"]))
    logger.info("e-mail changed (user %d)", g.user["id"])
    flash(gettext("Your e-mail address is changed."), "info")
    return redirect(url_for("account.index"))


@bp.route("/account/password", methods=("POST",))
@login_required
def password():
    if not _password_ok():
        return account_page(), 400
    new = request.form.get("password", "")
    problem = _password_problem(new, request.form.get("password2", ""))
    if problem:
        flash(problem, "error")
        return account_page(), 400
    revoked = set_password(get_db(), g.user["id"], new)
    void_tokens(get_db(), g.user["id"])
    # Other sessions end (their stamp no longer matches); this one continues.
    start_session(get_user(get_db(), g.user["id"]))
    logger.info("password changed (user %d, %d API tokens revoked)", g.user["id"], revoked)
    flash(
        gettext(
            "Your password is changed. Other devices are logged out. %(tokens)s",
            tokens=tokens_revoked_note(revoked),
        ),
        "info",
    )
    return redirect(url_for("account.index"))


@bp.route("/account/sessions/end", methods=("POST",))
@login_required
def end_all_sessions():
    """Log out everywhere: every browser of the account, this one included."""
    end_sessions(get_db(), g.user["id"])
    session.clear()
    logger.info("all sessions ended (user %d)", g.user["id"])
    flash(gettext("You are logged out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/sessions/<id:session_id>/end", methods=("POST",))
@login_required
def end_one_session(session_id: int):
    """Log out one browser of the account (another one's, or this one)."""
    if session_id == g.web_session["id"]:
        end_this_session()
        return redirect(url_for("auth.login"))
    if not end_session(get_db(), g.user["id"], session_id):
        abort(404)  # no such session of this account: someone else's looks the same
    logger.info("session ended (user %d)", g.user["id"])
    flash(gettext("That device is logged out."), "info")
    return redirect(url_for("account.index") + "#sessions")


@bp.route("/account/mail", methods=("POST",))
@login_required
def mail_preferences():
    set_mail_preferences(
        get_db(),
        g.user["id"],
        alarms=request.form.get("alarms") == "1",
        fairuse=request.form.get("fairuse") == "1",
    )
    flash(gettext("Your mail choices are saved."), "info")
    return redirect(url_for("account.index"))


@bp.route("/account/language", methods=("POST",))
@login_required
def language():
    chosen = supported(request.form.get("language"))
    if chosen is None:
        flash(gettext("Please choose a language from the list."), "error")
        return redirect(url_for("account.index") + "#language")
    set_user_language(get_db(), g.user["id"], chosen)
    logger.info("language %s chosen (user %d)", chosen, g.user["id"])
    # Flashed in the new language: this request still speaks the old one.
    with force_locale(chosen):
        flash(gettext("Pages and mails are in English from now on."), "info")
    return redirect(url_for("account.index") + "#language")


@bp.route("/mail/opt-out/<key>/<kind>", methods=("GET", "POST"))
def mail_opt_out(key: str, kind: str):
    """One click from a mail, no login: GET from the link, POST from RFC 8058 mail clients."""
    user_id = opt_out_by_key(get_db(), key, kind)
    if user_id is None:
        return render_template("account/opted_out.html", kind=None), 404
    logger.info("mail opt-out %s (user %d)", kind, user_id)
    return render_template("account/opted_out.html", kind=MAIL_KIND_NAMES[kind])


@bp.route("/account/export")
@login_required
def export():
    data = export_user_data(get_db(), g.user["id"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in data.items():
            if name == "exported_at":
                continue
            archive.writestr(f"{name}.json", json.dumps(value, indent=2, default=str))
        archive.writestr(
            "README.txt",
            gettext(
                "Everything AlarmVault stores about account %(id)s, exported %(at)s.\n"
                "One JSON file per table; the clips themselves can be downloaded from each "
                "recording's page.\n",
                id=g.user["id"],
                at=data["exported_at"],
            ),
        )
    buffer.seek(0)
    logger.info("data export (user %d)", g.user["id"])
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return send_file(
        buffer,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"alarmvault-export-{stamp}.zip",
    )


@bp.route("/account/pause", methods=("POST",))
@login_required
def pause():
    state = AccountState.PAUSED if request.form.get("paused") == "1" else AccountState.ACTIVE
    set_account_state(get_db(), g.user["id"], state)
    logger.info("account state %s (user %d)", state, g.user["id"])
    flash(
        gettext("Your account is paused: uploads are refused and nothing is processed.")
        if state == AccountState.PAUSED
        else gettext("Your account is active again."),
        "info",
    )
    return redirect(url_for("account.index"))


@bp.route("/account/delete", methods=("POST",))
@login_required
def delete():
    if request.form.get("confirm") != "DELETE":
        flash(gettext("Please type DELETE to confirm."), "error")
        return account_page(), 400
    if not _password_ok():
        return account_page(), 400
    remove_account(g.user["id"])
    session.clear()
    flash(gettext("Your account and all its recordings are deleted. Goodbye."), "info")
    return redirect(url_for("auth.login"))
