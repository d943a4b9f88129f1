/* Quick exit: the button, or Escape pressed twice, ends the session and replaces this page
   (and its history entry) with a neutral site. No inline script: CSP allows only this file. */
(function () {
  "use strict";
  var form = document.getElementById("quick-exit");
  if (!form) { return; }
  var target = form.getAttribute("data-target");
  function leave(event) {
    if (event) { event.preventDefault(); }
    try { navigator.sendBeacon(form.action); } catch (e) { /* leaving matters more */ }
    document.body.innerHTML = "";
    window.location.replace(target);
  }
  form.addEventListener("submit", leave);
  var last = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    if (now - last < 800) { leave(event); }
    last = now;
  });
})();
