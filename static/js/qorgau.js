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

/* A link to #e14 on the case page when event #14 is on another page of the timeline: ask the
   server for the page that shows it (without script, links carry ?event=14 themselves). */
(function () {
  "use strict";
  var match = /^#e(\d+)$/.exec(window.location.hash);
  if (!match || document.getElementById("e" + match[1])) { return; }
  if (!document.getElementById("timeline")) { return; }
  var params = new URLSearchParams(window.location.search);
  if (params.get("event") === match[1]) { return; }  /* asked already: not visible */
  params.set("event", match[1]);
  params.delete("page");
  window.location.replace(window.location.pathname + "?" + params.toString() + match[0]);
})();

/* Tables as cards on a phone: each cell of a table.table is labelled with its column's
   heading, which the stylesheet shows beside it under 640 px. Cells that carry their own
   data-label keep it; tables swapped in by htmx are labelled too. */
(function () {
  "use strict";
  function label(root) {
    var tables = root.querySelectorAll ? root.querySelectorAll("table.table") : [];
    Array.prototype.forEach.call(tables, function (table) {
      var heads = table.querySelectorAll("thead th");
      if (!heads.length) { return; }
      Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.children, function (cell) {
          var head = heads[column];
          column += cell.colSpan || 1;
          var text = head ? head.textContent.trim() : "";
          if (text && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", text); }
        });
      });
    });
  }
  label(document);
  document.addEventListener("htmx:afterSwap", function (event) { label(event.target); });
})();

/* The event form shows only the details of the chosen kind (data-kinds on each detail);
   with no kind chosen, or without JavaScript, every detail stays visible. */
(function () {
  "use strict";
  var kind = document.querySelector("form select[name=kind]");
  if (!kind) { return; }
  function show() {
    var chosen = kind.value;
    var details = document.querySelectorAll(".kind-detail[data-kinds]");
    Array.prototype.forEach.call(details, function (detail) {
      var kinds = detail.getAttribute("data-kinds").split(" ");
      detail.hidden = Boolean(chosen) && kinds.indexOf(chosen) < 0;
    });
    Array.prototype.forEach.call(document.querySelectorAll("fieldset.kind-details"),
      function (set) {
        set.hidden = !set.querySelector(".kind-detail:not([hidden])");
      });
  }
  kind.addEventListener("change", show);
  show();
})();

/* A calendar beside each date typed as text (inputs with data-date-picker): the date picked
   is written into the text field as dd.mm.yyyy. Typing "2015–2024" or "c. 2019" still
   works; without JavaScript there is only the text field. */
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  Array.prototype.forEach.call(document.querySelectorAll("input[data-date-picker]"),
    function (text) {
      var pick = document.createElement("input");
      pick.type = "date";
      pick.className = "date-picker";
      pick.setAttribute("aria-label", text.getAttribute("data-date-picker"));
      pick.addEventListener("change", function () {
        var parts = pick.value.split("-");
        if (parts.length === 3) {
          text.value = pad(+parts[2]) + "." + pad(+parts[1]) + "." + parts[0];
          text.dispatchEvent(new Event("input", { bubbles: true }));
        }
      });
      text.insertAdjacentElement("afterend", pick);
    });
})();
