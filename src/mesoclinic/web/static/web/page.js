/* Small page behaviours, kept out of the HTML so the Content Security Policy can refuse
   inline scripts: confirm before a destructive action, print, move the focus to the
   calendar's title after htmx swapped in another day, and name each table cell's column
   for phones. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    var confirmer = target.closest("button[data-confirm], a[data-confirm]");
    if (confirmer && !window.confirm(confirmer.dataset.confirm)) { event.preventDefault(); }
    if (target.closest("[data-print]")) { window.print(); }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  /* The day grid's free times: one tab stop per column (the first free time), the arrow
     keys move between free times (up/down in a column, left/right across columns), so a
     day with hundreds of free times is not hundreds of tab stops. */
  function freeSlots() { return Array.prototype.slice.call(document.querySelectorAll("a.phase-free[data-col]")); }
  function rove() {
    var seen = {};
    freeSlots().forEach(function (slot) {
      slot.tabIndex = seen[slot.dataset.col] ? -1 : 0;
      seen[slot.dataset.col] = true;
    });
  }
  document.addEventListener("keydown", function (event) {
    var slot = event.target instanceof Element ? event.target.closest("a.phase-free[data-col]") : null;
    if (!slot || ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"].indexOf(event.key) < 0) { return; }
    var slots = freeSlots();
    var columns = [];
    slots.forEach(function (s) { if (columns.indexOf(s.dataset.col) < 0) { columns.push(s.dataset.col); } });
    var mine = slots.filter(function (s) { return s.dataset.col === slot.dataset.col; });
    var index = mine.indexOf(slot);
    var next = null;
    if (event.key === "ArrowDown") { next = mine[index + 1]; }
    if (event.key === "ArrowUp") { next = mine[index - 1]; }
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      var col = columns[columns.indexOf(slot.dataset.col) + (event.key === "ArrowRight" ? 1 : -1)];
      var there = slots.filter(function (s) { return s.dataset.col === col; });
      next = there[Math.min(index, there.length - 1)];
    }
    if (next) {
      event.preventDefault();
      slot.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    }
  });
  /* On a phone a table's rows stack and its header row is hidden: each cell carries its
     column's name (data-label, shown before the value by app.css), taken from the header
     once, so every table of the app reads "Left: 0" rather than a bare "0". */
  function labelCells() {
    document.querySelectorAll("table.table").forEach(function (table) {
      var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        var hidden = th.querySelector(".visually-hidden");
        return hidden && hidden.textContent === th.textContent ? "" : th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, index) {
          if (names[index] && !cell.dataset.label) { cell.dataset.label = names[index]; }
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", rove);
  document.addEventListener("DOMContentLoaded", labelCells);
  document.addEventListener("htmx:afterSettle", rove);
  document.addEventListener("htmx:afterSettle", labelCells);
  document.addEventListener("htmx:afterSettle", function (event) {
    var holder = document.querySelector("[data-focus-after-swap]");
    if (!holder || !(event.target instanceof Element) || !event.target.contains(holder)) { return; }
    var title = document.getElementById(holder.dataset.focusAfterSwap);
    if (title) { title.focus(); }
  });
})();
