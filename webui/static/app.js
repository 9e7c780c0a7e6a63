// Small progressive enhancements; every page works without them.
"use strict";
document.addEventListener("click", (event) => {
  const confirmer = event.target.closest("[data-confirm]");
  if (confirmer && !window.confirm(confirmer.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  const seeker = event.target.closest("[data-seek]");
  const player = document.getElementById("player");
  if (seeker && player) {
    player.currentTime = parseFloat(seeker.dataset.seek) || 0;
    player.play();
  }
});
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-select-all]");
  if (!all) return;
  const form = all.closest("form");
  form.querySelectorAll(`input[name="${all.dataset.selectAll}"]`).forEach((box) => {
    box.checked = all.checked;
  });
});

// Review: ← and → step to the previous/next recording (links marked data-key), unless the
// key is meant for a form field or the player (which seeks with the arrows when focused).
document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  if (event.target.closest("input, select, textarea, video, [contenteditable]")) return;
  const link = document.querySelector(`a[data-key="${event.key}"]`);
  if (link) {
    event.preventDefault();
    link.click();
  }
});

// Time zone: while the account has none, tell the server the browser's zone once and show
// the page again in it (the server never overrides a zone chosen on the account page).
(() => {
  const url = document.body.dataset.zoneUrl;
  const zone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!url || !zone) return;
  const body = new URLSearchParams({ timezone: zone, csrf_token: document.body.dataset.csrf });
  fetch(url, { method: "POST", body, credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : null))
    .then((answer) => {
      if (answer && answer.changed && zone !== "UTC") window.location.reload();
    })
    .catch(() => {});
})();
