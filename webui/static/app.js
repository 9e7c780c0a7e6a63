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
