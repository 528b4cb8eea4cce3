/* Small page behaviours, kept out of the HTML so the Content Security Policy can refuse
   inline scripts: confirm before a destructive action, print, and move the focus to the
   calendar's title after htmx swapped in another day. */
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
  document.addEventListener("htmx:afterSettle", function (event) {
    var holder = document.querySelector("[data-focus-after-swap]");
    if (!holder || !(event.target instanceof Element) || !event.target.contains(holder)) { return; }
    var title = document.getElementById(holder.dataset.focusAfterSwap);
    if (title) { title.focus(); }
  });
})();
