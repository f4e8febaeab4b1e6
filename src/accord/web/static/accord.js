// Charts from the data the page carries (a <script type="application/json"> beside each
// canvas: no inline code, so the content security policy stays strict), and small helpers.
(function () {
  "use strict";
  function draw(root) {
    if (typeof Chart === "undefined") return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) return;
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      var spec = JSON.parse(source.textContent);
      spec.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, spec.options || {});
      new Chart(canvas, spec);
      canvas.dataset.drawn = "1";
    });
  }
  function widths(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) { el.style.width = el.dataset.width + "%"; });
  }
  function selectAll(root) {
    root.querySelectorAll("input[data-select-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        document.querySelectorAll("input[name='" + box.dataset.selectAll + "']").forEach(function (other) {
          if (!other.disabled) other.checked = box.checked;
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); widths(document); selectAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); widths(event.target); selectAll(event.target); });
})();
