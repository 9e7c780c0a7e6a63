// Recordings: the list's animated previews and the player's label track. Progressive: the
// list and the player work without it.
"use strict";

// The list: a poster with a preview plays it while the mouse is on it; on a touch screen the
// first tap plays it (the others stop) and a second tap opens the recording.
(() => {
  const posters = Array.from(document.querySelectorAll("img[data-preview]"));
  if (!posters.length) return;
  const play = (img) => {
    if (img.dataset.previewing) return;
    img.dataset.poster = img.getAttribute("src");
    img.dataset.previewing = "1";
    img.src = img.dataset.preview;
    img.closest(".clip")?.classList.add("previewing");
  };
  const stop = (img) => {
    if (!img.dataset.previewing) return;
    delete img.dataset.previewing;
    img.src = img.dataset.poster;
    img.closest(".clip")?.classList.remove("previewing");
  };
  let pointer = "mouse";
  document.addEventListener("pointerdown", (event) => { pointer = event.pointerType; }, true);
  for (const img of posters) {
    img.addEventListener("pointerenter", (event) => { if (event.pointerType === "mouse") play(img); });
    img.addEventListener("pointerleave", (event) => { if (event.pointerType === "mouse") stop(img); });
    img.closest("a")?.addEventListener("click", (event) => {
      if (pointer === "mouse" || img.dataset.previewing) return;
      event.preventDefault();
      posters.forEach((other) => { if (other !== img) stop(other); });
      play(img);
    });
  }
})();

// The player: the line on the label track follows the playing position. (A click on a bar
// seeks: app.js handles every [data-seek].)
(() => {
  const player = document.getElementById("player");
  const track = document.getElementById("track");
  const playhead = document.getElementById("playhead");
  if (!player || !track || !playhead) return;
  const move = () => {
    const duration = player.duration || parseFloat(track.dataset.duration) || 0;
    const x = duration ? Math.min(100, (100 * player.currentTime) / duration) : 0;
    playhead.setAttribute("x1", x.toFixed(2));
    playhead.setAttribute("x2", x.toFixed(2));
  };
  player.addEventListener("timeupdate", move);
  player.addEventListener("seeked", move);
})();
