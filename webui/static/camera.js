// Camera page: the live picture starts only when asked (each stream holds one of the account's
// camera-call slots) and stops on a second press or when the page is left.
"use strict";
(() => {
  const toggle = document.getElementById("live-toggle");
  const picture = document.getElementById("live-picture");
  if (!toggle || !picture) return;
  const stop = () => {
    picture.removeAttribute("src"); // closes the stream, and so gives the slot back
    picture.hidden = true;
    toggle.textContent = toggle.dataset.start;
    toggle.setAttribute("aria-pressed", "false");
  };
  toggle.addEventListener("click", () => {
    if (picture.hasAttribute("src")) {
      stop();
      return;
    }
    picture.src = `${toggle.dataset.stream}?t=${Date.now()}`;
    picture.hidden = false;
    toggle.textContent = toggle.dataset.stop;
    toggle.setAttribute("aria-pressed", "true");
  });
  window.addEventListener("pagehide", stop);
})();
