"""The notification dispatcher: a thread of the pipeline daemon.

Each pass (1) turns recordings indexed since the last pass, and fair-use state changes, into
queued deliveries, committed together with the watermark, and (2) hands what is due to a small
pool of delivery threads (webhook, web push, MQTT or mail), retrying failures with exponential
backoff.

Fairness between accounts: each account's due deliveries go to one pool thread, one after the
other, and an account whose deliveries are still running gets no more until they ended. So one
owner's dead or slow receiver holds at most one thread, and for at most the delivery deadline
(``webhook_timeout_s``, the whole POST, however slowly the receiver drips its answer); other
owners' deliveries go out meanwhile on the other threads.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import sqlite_utils
from cryptography.hazmat.primitives.asymmetric import ec

from core.catalog import atomic, utcnow
from core.catalog import notifications as outbox
from core.catalog.accounts import MAIL_KINDS, paused_user_ids
from core.catalog.reconnect import ReconnectingCatalog, reconnecting_catalog
from core.catalog.users import get_user
from core.credential_box import (
    CredentialBox,
    SealBroken,
    load_credential_box,
)
from core.http_target import AddressPolicy
from core.mail_links import opt_out_url
from core.mailer import MailError, send_mail
from core.notification_rules import (
    fairuse_payload,
    mail_text,
    next_attempt_at,
    notification_labels,
    recording_payload,
    waits_for_labels,
    wants_recording,
)
from core.settings import Settings
from core.web_push import (
    PushSubscription,
    alarm_push_message,
    load_vapid_private_key,
    vapid_subject,
)
from pipeline import CATALOG_SUBJECT
from pipeline.integrations.mqtt_publisher import MqttPublisher, MqttUnavailable
from pipeline.integrations.web_push import PushFailed, SubscriptionGone, send_web_push
from pipeline.integrations.webhooks import WebhookFailed, ifttt_body, post_webhook

logger = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class NotificationDispatcher:
    def __init__(
        self,
        settings: Settings,
        db: sqlite_utils.Database | None = None,
        box: CredentialBox | None = None,
    ) -> None:
        self.settings = settings
        self.config = settings.notifications
        # The pass's connection: the one given (tests), else the dispatcher's own, opened again
        # after the catalog was lost.
        self._given_db = db
        self._catalog = reconnecting_catalog(settings.storage.catalog_path, CATALOG_SUBJECT)
        self.box = box or load_credential_box(settings)
        self.mqtt = MqttPublisher(self.config.mqtt) if self.config.mqtt.enabled else None
        self.stop_event = threading.Event()
        self.wake_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(
            max_workers=self.config.delivery_threads, thread_name_prefix="notify"
        )
        self._running_owners: set[int] = set()
        self._owners_lock = threading.Lock()
        # One catalog connection per delivery thread: a connection is not shared between
        # threads that write.
        self._thread_catalog = threading.local()
        self._thread_catalogs: list[ReconnectingCatalog] = []
        # Loaded (generated on first use) when the first web push goes out.
        self._vapid_key: ec.EllipticCurvePrivateKey | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="notifications", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.wake_event.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        # Running deliveries end by their deadline; ones not started yet are dropped (still
        # pending in the catalog, for the next start).
        self._pool.shutdown(wait=True, cancel_futures=True)
        for catalog in [self._catalog, *self._thread_catalogs]:
            catalog.close()
        if self.mqtt is not None:
            self.mqtt.close()

    def wake(self) -> None:
        """Run a pass now (e.g. right after a clip was indexed) instead of at the next tick."""
        self.wake_event.set()

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.run_once(wait=False)
            except Exception as error:
                if not self._catalog.lost(error):
                    logger.exception("notification pass failed")
            self.wake_event.wait(self.config.poll_interval_s)
            self.wake_event.clear()

    @property
    def db(self) -> sqlite_utils.Database:
        """The pass's catalog connection (`CatalogUnavailable` while the catalog is away)."""
        return self._given_db if self._given_db is not None else self._catalog.connection()

    # -- one pass --------------------------------------------------------------------------
    def run_once(self, wait: bool = True) -> tuple[int, int]:
        """Queue new events and deliver what is due; returns (queued, delivered). The daemon's
        loop does not ``wait`` for the deliveries (delivered is then 0): the next pass starts
        those of the accounts whose earlier ones have ended."""
        queued = self.queue_new_recordings() + self.queue_fairuse_changes()
        return queued, self.deliver_due(wait=wait)

    def queue_new_recordings(self) -> int:
        queued = 0
        now = datetime.now(UTC)
        db = self.db
        with atomic(db):
            rows = outbox.new_recordings(db)
            paused = paused_user_ids(db)
            done = None
            for row in rows:
                if waits_for_labels(row, now, self.config.label_wait_s):
                    break  # the watermark stays before it; later ones wait their turn
                done = row["id"]
                if not (row["armed"] and row["notify"]) or row["owner_id"] in paused:
                    continue  # a paused account blocked processing: nothing is sent for it
                payload = recording_payload(row)
                for target in outbox.targets_for_event(
                    db, row["owner_id"], row["camera_id"], "recording"
                ):
                    if wants_recording(outbox.target_labels(target), notification_labels(row)):
                        outbox.queue_delivery(
                            db, target["id"], "recording", f"recording:{row['id']}", payload
                        )
                        queued += 1
            if done is not None:
                outbox.set_watermark(db, "recordings", done)
        return queued

    def queue_fairuse_changes(self) -> int:
        queued = 0
        now = utcnow()
        db = self.db
        with atomic(db):
            paused = paused_user_ids(db)
            for row in outbox.fairuse_changes(db):
                if row["owner_id"] in paused:
                    continue  # told once the account is active again, if still changed
                payload = fairuse_payload(row, now)
                key = f"fairuse:{row['camera_id']}:{now}:{row['state']}"
                for target in outbox.targets_for_event(
                    db, row["owner_id"], row["camera_id"], "fairuse"
                ):
                    outbox.queue_delivery(db, target["id"], "fairuse", key, payload)
                    queued += 1
                outbox.mark_fairuse_seen(db, row["camera_id"], row["state"])
        return queued

    def deliver_due(self, wait: bool = True) -> int:
        """Start the due deliveries, one pool task per account; with ``wait`` the number sent."""
        with self._owners_lock:
            running = set(self._running_owners)
        by_owner: dict[int, list[dict[str, Any]]] = {}
        for delivery in outbox.due_deliveries(self.db, utcnow(), skip_owners=running):
            by_owner.setdefault(delivery["user_id"], []).append(delivery)
        tasks: list[Future[int]] = []
        for owner_id, deliveries in by_owner.items():
            with self._owners_lock:
                self._running_owners.add(owner_id)
            try:
                tasks.append(self._pool.submit(self._deliver_for_owner, owner_id, deliveries))
            except RuntimeError:  # the pool is shut down: stopping
                self._owner_done(owner_id)
                break
        if not wait:
            return 0
        return sum(task.result() for task in tasks)

    def _owner_done(self, owner_id: int) -> None:
        with self._owners_lock:
            self._running_owners.discard(owner_id)

    def _delivery_catalog(self) -> ReconnectingCatalog:
        catalog = getattr(self._thread_catalog, "catalog", None)
        if catalog is None:
            catalog = reconnecting_catalog(self.settings.storage.catalog_path, CATALOG_SUBJECT)
            self._thread_catalog.catalog = catalog
            with self._owners_lock:
                self._thread_catalogs.append(catalog)
        return catalog

    def _deliver_for_owner(self, owner_id: int, deliveries: list[dict[str, Any]]) -> int:
        """One account's due deliveries, one after the other (on a pool thread). Those the
        catalog went away from stay due (one sent but not marked goes again: at least once)."""
        delivered = 0
        catalog = self._delivery_catalog()
        try:
            db = catalog.connection()
            for delivery in deliveries:
                if self.stop_event.is_set():
                    break
                delivered += self._deliver_one(db, delivery)
        except Exception as error:
            if not catalog.lost(error):
                logger.exception("notification deliveries of account %d failed", owner_id)
        finally:
            self._owner_done(owner_id)
        return delivered

    def _deliver_one(self, db: sqlite_utils.Database, delivery: dict[str, Any]) -> int:
        """Send one delivery and record the outcome; 1 if it was sent."""
        try:
            self.deliver(delivery, db)
        except DeliveryFailed as error:
            attempts = delivery["attempts"] + 1
            when = None
            if error.retry:
                when = next_attempt_at(
                    attempts,
                    self.config.max_attempts,
                    self.config.backoff_s,
                    self.config.backoff_max_s,
                )
            outbox.mark_delivery_failed_attempt(db, delivery["id"], str(error), when)
            logger.info(
                "notification delivery=%d target=%d kind=%s attempt=%d failed: %s%s",
                delivery["id"],
                delivery["target_id"],
                delivery["kind"],
                attempts,
                error,
                "" if when else " (given up)",
            )
            return 0
        outbox.mark_delivery_sent(db, delivery["id"])
        logger.info(
            "notification delivery=%d target=%d kind=%s event=%s sent",
            delivery["id"],
            delivery["target_id"],
            delivery["kind"],
            delivery["event"],
        )
        return 1

    # -- one delivery ----------------------------------------------------------------------
    def deliver(self, delivery: dict[str, Any], db: sqlite_utils.Database) -> None:
        payload = json.loads(delivery["payload"])
        kind = delivery["kind"]
        if kind == "webhook":
            self._deliver_webhook(db, delivery, payload)
        elif kind == "webpush":
            self._deliver_web_push(db, delivery, payload)
        elif kind == "mqtt":
            self._deliver_mqtt(payload)
        elif kind == "email":
            self._deliver_mail(db, delivery, payload)
        else:
            raise DeliveryFailed(f"unknown kind {kind}", retry=False)

    def _target_policy(self) -> AddressPolicy:
        return (
            AddressPolicy.ANY if self.config.allow_private_webhook_targets else AddressPolicy.PUBLIC
        )

    def _deliver_webhook(
        self, db: sqlite_utils.Database, delivery: dict[str, Any], payload: dict[str, Any]
    ) -> None:
        sealed = outbox.get_target_secrets(db, delivery["target_id"])
        try:
            url = self.box.open(sealed["sealed_url"])["url"]
            secret = self.box.open(sealed["sealed_secret"])["secret"]
        except (SealBroken, KeyError, TypeError):
            raise DeliveryFailed("the stored webhook cannot be decrypted", retry=False) from None
        body = ifttt_body(payload) if delivery["payload_style"] == "ifttt" else payload
        policy = self._target_policy()
        try:
            post_webhook(
                url,
                secret,
                body,
                event=delivery["event"],
                delivery_id=delivery["id"],
                timeout=self.config.webhook_timeout_s,
                policy=policy,
            )
        except WebhookFailed as error:
            raise DeliveryFailed(str(error), retry=error.retry) from None

    def _deliver_web_push(
        self, db: sqlite_utils.Database, delivery: dict[str, Any], payload: dict[str, Any]
    ) -> None:
        """One alarm to one subscribed browser or phone; a subscription its push service says
        is gone (the app was uninstalled, the permission withdrawn) is removed with its target."""
        if payload["event"] != "recording":
            raise DeliveryFailed("web push carries alarms only", retry=False)
        sealed = outbox.get_target_secrets(db, delivery["target_id"])
        try:
            subscription = PushSubscription.from_sealed(self.box.open(sealed["sealed_url"]))
        except (SealBroken, KeyError, TypeError):
            raise DeliveryFailed(
                "the stored subscription cannot be decrypted", retry=False
            ) from None
        if self._vapid_key is None:
            self._vapid_key = load_vapid_private_key(self.settings)
        user = get_user(db, delivery["user_id"])
        try:
            send_web_push(
                subscription,
                alarm_push_message(payload, user.get("timezone"), user.get("language")),
                vapid_key=self._vapid_key,
                subject=vapid_subject(self.settings),
                timeout=self.config.webhook_timeout_s,
                policy=self._target_policy(),
            )
        except SubscriptionGone as error:
            outbox.delete_target(db, delivery["target_id"])
            logger.info(
                "web push target=%d removed: its subscription is gone", delivery["target_id"]
            )
            raise DeliveryFailed(str(error), retry=False) from None
        except PushFailed as error:
            raise DeliveryFailed(str(error), retry=error.retry) from None

    def _deliver_mqtt(self, payload: dict[str, Any]) -> None:
        if self.mqtt is None:
            raise DeliveryFailed("MQTT is not enabled on this server", retry=False)
        try:
            self.mqtt.publish_event(payload["camera"], payload)
        except MqttUnavailable as error:
            raise DeliveryFailed(str(error)) from None

    def _deliver_mail(
        self, db: sqlite_utils.Database, delivery: dict[str, Any], payload: dict[str, Any]
    ) -> None:
        """Mail the target's owner, if the account page's choice for this kind of mail is on
        (read now, so a one-click opt-out stops mails already queued); each carries the link."""
        user = get_user(db, delivery["user_id"])
        choice = "fairuse" if payload["event"] == "fairuse" else "alarms"
        if not user[MAIL_KINDS[choice]]:
            raise DeliveryFailed(
                f"{choice} mails are switched off on the account page", retry=False
            )
        subject, body = mail_text(payload, user.get("timezone"), user.get("language"))
        unsubscribe = opt_out_url(db, self.settings, user["id"], choice)
        try:
            kind = f"notify-{payload['event']}"
            send_mail(
                self.settings, user["email"], subject, body, kind=kind, unsubscribe_url=unsubscribe
            )
        except MailError:
            raise DeliveryFailed("the mail server did not take the mail") from None
