(function () {
  "use strict";
  var cards = Array.prototype.slice.call(document.querySelectorAll("#failures .case"));
  var form = document.getElementById("filters");
  var byCheck = document.getElementById("filter-check");
  var byClass = document.getElementById("filter-class");
  var shown = document.getElementById("filter-shown");

  function apply() {
    var check = byCheck ? byCheck.value : "";
    var klass = byClass ? byClass.value : "";
    var visible = 0;
    cards.forEach(function (card) {
      var checks = " " + card.getAttribute("data-checks") + " ";
      var match = (!check || checks.indexOf(" " + check + " ") >= 0) &&
        (!klass || card.getAttribute("data-class") === klass);
      card.hidden = !match;
      if (match) { visible += 1; }
    });
    if (shown) {
      shown.textContent = check || klass ? "showing " + visible + " of " + cards.length + " failing cases" : "";
    }
  }

  if (form) {
    form.hidden = false;
    byCheck.addEventListener("change", apply);
    byClass.addEventListener("change", apply);
    document.getElementById("filter-clear").addEventListener("click", function () {
      byCheck.value = "";
      byClass.value = "";
      apply();
    });
  }

  // A link to #failures?check=ID&class=CLASS opens the report filtered.
  var hash = window.location.hash;
  if (form && hash.indexOf("#failures?") === 0) {
    var wanted = {};
    hash.slice("#failures?".length).split("&").forEach(function (pair) {
      var parts = pair.split("=");
      wanted[decodeURIComponent(parts[0])] = decodeURIComponent(parts.slice(1).join("="));
    });
    byCheck.value = wanted.check || "";
    byClass.value = wanted["class"] || "";
    apply();
    document.getElementById("failures").scrollIntoView();
  }

  // A matrix cell filters the failures to its check and class before jumping to them.
  Array.prototype.forEach.call(document.querySelectorAll("a[data-check]"), function (link) {
    link.addEventListener("click", function () {
      if (!form) { return; }
      byCheck.value = link.getAttribute("data-check");
      byClass.value = link.getAttribute("data-class");
      if (byCheck.value !== link.getAttribute("data-check")) { byCheck.value = ""; }
      if (byClass.value !== link.getAttribute("data-class")) { byClass.value = ""; }
      apply();
    });
  });

  // Print everything: folded exchanges open for the printer and fold again after.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details:not([open])"), function (d) {
      d.open = true;
      opened.push(d);
    });
    cards.forEach(function (card) { card.hidden = false; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
    apply();
  });

  document.documentElement.setAttribute("data-ready-ms", String(Math.round(performance.now())));
})();
