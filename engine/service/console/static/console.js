// chronolex support console: niceties only; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // The copy button: shown only where a script can copy.
  document.querySelectorAll("button.copy").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    var status = button.parentElement.querySelector(".copy-status");
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { if (status) { status.textContent = button.dataset.copied; } };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(done, function () { source.select(); });
      } else {
        source.select();
        try { if (document.execCommand("copy")) { done(); } } catch (e) { /* selected for the user to copy */ }
      }
    });
  });
  // Hover or focus on a band or a tick: its words under the chart, read by screen readers too.
  document.querySelectorAll("section.chart").forEach(function (section) {
    var out = section.querySelector(".tooltip");
    if (!out) { return; }
    section.querySelectorAll("svg [tabindex]").forEach(function (mark) {
      var show = function () { out.textContent = mark.getAttribute("aria-label"); };
      mark.addEventListener("mouseenter", show);
      mark.addEventListener("focus", show);
    });
  });
});
