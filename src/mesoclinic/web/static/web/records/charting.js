/* Charting injection points on a face / scalp / body map (mesoclinic records form).
 * Points are kept per area row as normalised coordinates (0-1) in hidden inputs
 * "area-N-chart" (JSON). Mouse: click to place. Keyboard: focus the map, move the
 * cross-hair with the arrow keys (Shift for bigger steps), Enter or Space to place. */
(function () {
  "use strict";
  var svg = document.getElementById("chart-map");
  if (!svg) { return; }
  var NS = "http://www.w3.org/2000/svg";
  var width = Number(svg.dataset.width), height = Number(svg.dataset.height);
  var layer = svg.querySelector(".placed-points");
  var cursor = svg.querySelector(".chart-cursor");
  var list = document.getElementById("chart-points-list");
  var statusLine = document.getElementById("chart-status");
  var volumeInput = document.getElementById("point-volume");
  var hidden = Array.prototype.slice.call(document.querySelectorAll("input[id$='-chart'][id^='area-']"));
  var points = hidden.map(function (input) {
    try { return input.value ? JSON.parse(input.value) : []; } catch (e) { return []; }
  });
  var at = { x: width / 2, y: height / 2 };

  function activeRow() {
    var checked = document.querySelector("input[name='chart-area']:checked");
    return checked ? Number(checked.value) : 0;
  }
  function round(value) { return Math.round(value * 10000) / 10000; }
  function areaName(row) {
    var input = document.getElementById("area-" + row + "-area");
    return (input && input.value.trim()) || "Area " + (row + 1);
  }
  function syncCount(row, before) {
    var count = document.getElementById("area-" + row + "-points");
    if (!count) { return; }
    var typed = Number(count.value || 0);
    if (typed === before || typed < points[row].length) { count.value = points[row].length; }
  }
  function render() {
    while (layer.firstChild) { layer.removeChild(layer.firstChild); }
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var number = 0;
    points.forEach(function (rowPoints, row) {
      hidden[row].value = rowPoints.length ? JSON.stringify(rowPoints) : "";
      rowPoints.forEach(function (point, index) {
        number += 1;
        var dot = document.createElementNS(NS, "circle");
        dot.setAttribute("cx", point.x * width);
        dot.setAttribute("cy", point.y * height);
        dot.setAttribute("r", 3.5);
        dot.setAttribute("class", "placed area-" + row);
        layer.appendChild(dot);
        var item = document.createElement("li");
        item.textContent = areaName(row) + " at " + Math.round(point.x * 100) + "% across, " +
          Math.round(point.y * 100) + "% down" + (point.volume_ml ? ", " + point.volume_ml + " mL " : " ");
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "link";
        remove.textContent = "Remove";
        remove.setAttribute("aria-label", "Remove point " + number);
        remove.addEventListener("click", function () {
          var before = points[row].length;
          points[row].splice(index, 1);
          syncCount(row, before);
          render();
          svg.focus();
        });
        item.appendChild(remove);
        list.appendChild(item);
      });
    });
    statusLine.textContent = number ? number + " point" + (number === 1 ? "" : "s") + " placed." : "No points placed.";
  }
  function place(x, y) {
    if (x < 0 || y < 0 || x > width || y > height) { return; }
    var row = activeRow();
    var before = points[row].length;
    var volume = volumeInput && volumeInput.value.trim();
    points[row].push({ x: round(x / width), y: round(y / height), volume_ml: volume || null });
    syncCount(row, before);
    render();
  }
  function moveCursor() {
    cursor.setAttribute("transform", "translate(" + at.x + " " + at.y + ")");
  }
  svg.addEventListener("click", function (event) {
    var matrix = svg.getScreenCTM();
    if (!matrix) { return; }
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var local = point.matrixTransform(matrix.inverse());
    place(local.x, local.y);
  });
  svg.addEventListener("focus", function () { cursor.removeAttribute("hidden"); moveCursor(); });
  svg.addEventListener("blur", function () { cursor.setAttribute("hidden", ""); });
  svg.addEventListener("keydown", function (event) {
    var step = event.shiftKey ? 10 : 2;
    var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) {
      at.x = Math.min(width, Math.max(0, at.x + moves[event.key][0]));
      at.y = Math.min(height, Math.max(0, at.y + moves[event.key][1]));
      moveCursor();
      event.preventDefault();
    } else if (event.key === "Enter" || event.key === " ") {
      place(at.x, at.y);
      event.preventDefault();
    }
  });
  // data-confirm buttons are handled by web/page.js, on every page.
  render();
})();
