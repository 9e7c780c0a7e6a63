// Push notifications on the account page: subscribe this browser with the server's VAPID key
// and hand the subscription to the server (or take it back). See webui/push_devices.py.
"use strict";
(() => {
  const section = document.getElementById("push");
  if (!section) return;
  const state = document.getElementById("push-state");
  const on = document.getElementById("push-on");
  const off = document.getElementById("push-off");
  const text = (name) => section.dataset[name] || "";
  const say = (message) => { state.textContent = message; };
  if (!window.isSecureContext) {
    say(text("msgInsecure"));
    return;
  }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say(text("msgUnsupported"));
    return;
  }

  const keyBytes = (base64url) => {
    const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
  };
  const post = (url, body) => fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": section.dataset.csrf },
    body: JSON.stringify(body),
  });
  // Which listed device this browser is: the id the server gave when it subscribed.
  const DEVICE_KEY = "alarmvault-push-device";
  const show = (subscribed) => {
    on.hidden = subscribed;
    off.hidden = !subscribed;
    say(subscribed ? text("msgOn") : text("msgOff"));
    const mine = subscribed && localStorage.getItem(DEVICE_KEY);
    section.querySelectorAll("[data-device-id]").forEach((item) => {
      item.querySelector(".this-device").hidden = item.dataset.deviceId !== mine;
    });
  };

  navigator.serviceWorker.ready.then((registration) => registration.pushManager.getSubscription())
    .then((subscription) => show(Boolean(subscription)))
    .catch(() => say(text("msgUnsupported")));

  on.addEventListener("click", () => {
    on.disabled = true;
    Notification.requestPermission()
      .then((permission) => {
        if (permission !== "granted") throw new Error(text("msgDenied"));
        return navigator.serviceWorker.ready;
      })
      .then((registration) => registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(section.dataset.pushKey),
      }))
      .then((subscription) => post(section.dataset.subscribeUrl, { subscription: subscription.toJSON() }))
      .then((response) => response.json().catch(() => ({ error: response.statusText })).then((answer) => {
        if (!response.ok) throw new Error(answer.error);
        localStorage.setItem(DEVICE_KEY, String(answer.id));
        window.location.reload();
      }))
      .catch((error) => say(`${text("msgFailed")} ${error.message || ""}`.trim()))
      .finally(() => { on.disabled = false; });
  });

  off.addEventListener("click", () => {
    off.disabled = true;
    navigator.serviceWorker.ready
      .then((registration) => registration.pushManager.getSubscription())
      .then((subscription) => {
        if (!subscription) return null;
        const endpoint = subscription.endpoint;
        return subscription.unsubscribe().then(() => post(section.dataset.unsubscribeUrl, { endpoint }));
      })
      .then(() => {
        localStorage.removeItem(DEVICE_KEY);
        window.location.reload();
      })
      .catch((error) => say(`${text("msgFailed")} ${error.message || ""}`.trim()))
      .finally(() => { off.disabled = false; });
  });
})();
