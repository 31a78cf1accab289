// One trial: wait for both pictures, show them for data-display-ms, hide them, then ask.
(function () {
  "use strict";
  var pair = document.getElementById("pair");
  var images = [document.getElementById("left"), document.getElementById("right")].filter(Boolean);
  var buttons = [document.getElementById("choose-left"), document.getElementById("choose-right")];
  var question = document.getElementById("question");
  var displayMs = parseInt(pair.getAttribute("data-display-ms"), 10);
  var asked = false;
  var shownAt = null;
  pair.classList.add("waiting");

  function ask() {
    pair.classList.remove("waiting");
    pair.classList.add("hidden");
    question.classList.remove("hidden");
    buttons.forEach(function (b) { b.disabled = false; });
    asked = true;
    // how long the pair was really on screen: the browser test checks it against data-display-ms
    document.body.setAttribute("data-shown-ms", String(Math.round(performance.now() - shownAt)));
    document.body.setAttribute("data-state", "asking");
  }

  function show() {
    pair.classList.remove("waiting");
    shownAt = performance.now();
    document.body.setAttribute("data-state", "showing");
    window.setTimeout(ask, displayMs);
  }

  if (pair.getAttribute("data-seen") === "1") {
    // a reloaded trial: its pictures were sent once already and are not shown again
    shownAt = performance.now();
    ask();
  } else {
    var pending = images.length;
    var loaded = function () { pending -= 1; if (pending === 0) { show(); } };
    images.forEach(function (img) {
      if (img.complete && img.naturalWidth > 0) { loaded(); }
      else { img.addEventListener("load", loaded); img.addEventListener("error", loaded); }
    });
  }

  // a second click would post the same trial again (refused, but confusing)
  document.getElementById("answer").addEventListener("submit", function () {
    window.setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; }); }, 0);
  });
  document.addEventListener("keydown", function (event) {
    if (!asked) { return; }
    if (event.key === "ArrowLeft") { buttons[0].click(); }
    if (event.key === "ArrowRight") { buttons[1].click(); }
  });
})();
