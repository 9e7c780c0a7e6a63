// AlarmVault's service worker (served as /service-worker.js, scope: the whole site).
//
// It keeps ONLY the offline page and what that page needs. Pages, recordings, clips and
// pictures always come from the server and are never stored here: they are private, and a
// shared or lost device must not keep them. When a page cannot be loaded, the offline page
// is shown instead. It also shows push notifications for alarms.
"use strict";

const SHELL_CACHE = "alarmvault-shell-v1";
const OFFLINE_URL = "/offline";
const SHELL = [OFFLINE_URL, "/static/style.css", "/static/icons/icon-192.png", "/static/icons/icon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== SHELL_CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Always the network; the offline page only when there is none.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  if (SHELL.includes(url.pathname)) {
    // The offline page's own style and picture: fresh when online, from the cache when not.
    event.respondWith(fetch(request).catch(() => caches.match(url.pathname)));
  }
  // Everything else is not touched: the browser asks the server as it would without a worker.
});

// -- push notifications ------------------------------------------------------------------------

function base64(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (let start = 0; start < bytes.length; start += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(start, start + 0x8000));
  }
  return btoa(text);
}

// A picture of the recording, fetched with the user's session (the push itself carries none: at
// most 4 kB fit), as a data: URL for the notification; none when logged out or offline. Not
// cached: it is private.
function picture(path) {
  if (!path) return Promise.resolve(undefined);
  return fetch(path, { credentials: "same-origin", cache: "no-store" })
    .then((response) => {
      if (!response.ok) return undefined;
      const type = response.headers.get("Content-Type") || "image/jpeg";
      return response.arrayBuffer().then((buffer) => `data:${type};base64,${base64(buffer)}`);
    })
    .catch(() => undefined);
}

// The best frame (with the detection boxes) when the clip was analysed, else its poster.
function bestFrame(message) {
  return picture(message.image).then((image) => image || picture(message.poster));
}

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = {};
  }
  const title = message.title || message.camera || "AlarmVault";
  const body = [message.time, (message.labels || []).join(", ")].filter(Boolean).join(" · ");
  event.waitUntil(
    bestFrame(message).then((image) =>
      self.registration.showNotification(title, {
        body,
        image,
        icon: "/static/icons/icon-192.png",
        badge: "/static/icons/icon-192.png",
        tag: message.tag,
        timestamp: Date.now(),
        data: { url: message.url || "/" },
      }),
    ),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((client) => client.url === target);
      if (open) return open.focus();
      return self.clients.openWindow(target);
    }),
  );
});
