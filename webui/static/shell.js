// The app around the pages on a phone: the service worker, the menu, the filter sheet and
// swiping between recordings. Every page works without it.
"use strict";

// The service worker: offline page and push notifications (see /service-worker.js).
if ("serviceWorker" in navigator && document.body.dataset.serviceWorker) {
  navigator.serviceWorker.register(document.body.dataset.serviceWorker, { scope: "/" }).catch(() => {});
}

// The menu: on a narrow screen the main navigation folds behind the menu button.
(() => {
  const button = document.getElementById("menu-button");
  const nav = document.getElementById("main-nav");
  if (!button || !nav) return;
  button.hidden = false;
  document.documentElement.classList.add("has-menu-button");
  const setOpen = (open) => {
    button.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("open", open);
  };
  setOpen(false);
  button.addEventListener("click", () => setOpen(button.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && nav.classList.contains("open")) {
      setOpen(false);
      button.focus();
    }
  });
})();

// The recordings filter: on a narrow screen a button opens it as a sheet from the bottom. The
// button and the sheet exist only while the screen is narrow (a wide one shows the filter).
(() => {
  const form = document.querySelector("form.filters");
  if (!form) return;
  const narrow = window.matchMedia("(max-width: 47.99rem)");
  if (!form.id) form.id = "filter-sheet";
  const opener = document.createElement("button");
  opener.type = "button";
  opener.className = "sheet-opener secondary";
  opener.id = "filter-opener";
  opener.textContent = document.body.dataset.filterLabel || "Filter";
  opener.setAttribute("aria-controls", form.id);
  const closer = document.createElement("button");
  closer.type = "button";
  closer.className = "sheet-closer secondary";
  closer.textContent = document.body.dataset.closeLabel || "Close";
  const setOpen = (open) => {
    form.classList.toggle("open", open);
    document.body.classList.toggle("sheet-open", open);
    opener.setAttribute("aria-expanded", String(open));
    if (open) (form.querySelector("input, select") || closer).focus();
  };
  const arrange = () => {
    if (narrow.matches) {
      form.prepend(closer);
      form.before(opener);
      form.classList.add("sheet");
      setOpen(false);
      requestAnimationFrame(() => requestAnimationFrame(() => form.classList.add("ready")));
    } else {
      setOpen(false);
      opener.remove();
      closer.remove();
      form.classList.remove("sheet", "ready");
    }
  };
  arrange();
  narrow.addEventListener("change", arrange);
  opener.addEventListener("click", () => setOpen(true));
  closer.addEventListener("click", () => {
    setOpen(false);
    opener.focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && form.classList.contains("open")) {
      setOpen(false);
      opener.focus();
    }
  });
})();

// Recording page: a horizontal swipe steps to the next (left) or previous (right) recording,
// like the ← → keys (the stepper's links carry data-key). Swipes over the player's controls
// or a strip that scrolls sideways are left alone.
(() => {
  if (!document.querySelector("a[data-key]")) return;
  let start = null;
  document.addEventListener("touchstart", (event) => {
    const touch = event.touches[0];
    const onControl = event.target.closest("input, select, textarea, .scroll, .hours, [data-no-swipe]");
    start = event.touches.length === 1 && !onControl ? { x: touch.clientX, y: touch.clientY, t: Date.now() } : null;
  }, { passive: true });
  document.addEventListener("touchend", (event) => {
    if (!start) return;
    const touch = event.changedTouches[0];
    const dx = touch.clientX - start.x;
    const dy = touch.clientY - start.y;
    const quick = Date.now() - start.t < 800;
    start = null;
    if (!quick || Math.abs(dx) < 60 || Math.abs(dx) < 2 * Math.abs(dy)) return;
    const link = document.querySelector(`a[data-key="${dx < 0 ? "ArrowRight" : "ArrowLeft"}"]`);
    if (link) link.click();
  }, { passive: true });
})();
