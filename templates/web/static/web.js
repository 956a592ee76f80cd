/* careplan serve: small enhancements only; every page works without this file.
   - a filter box above the treatments checklist,
   - a treatment's status menu shown once it is ticked,
   - fields hidden while they do not apply (data-hidden-when="key=value"),
   - live batch progress (polls the progress address; without script: a refresh link). */
"use strict";

document.documentElement.classList.add("js");

function setUpFilter(slot) {
  var list = document.getElementById(slot.getAttribute("data-filter-for"));
  if (!list) return;
  var wrapper = document.createElement("div");
  wrapper.className = "filter";
  var label = document.createElement("label");
  label.setAttribute("for", "therapy-filter");
  label.textContent = "Find a treatment (name, brand or abbreviation)";
  var input = document.createElement("input");
  input.type = "search";
  input.id = "therapy-filter";
  input.autocomplete = "off";
  var count = document.createElement("p");
  count.className = "help";
  count.id = "therapy-filter-count";
  count.setAttribute("aria-live", "polite");
  input.setAttribute("aria-describedby", count.id);
  wrapper.append(label, input, count);
  slot.append(wrapper);
  input.addEventListener("input", function () {
    var words = input.value.toLowerCase().trim().split(/\s+/).filter(Boolean);
    var shown = 0;
    list.querySelectorAll(".therapy").forEach(function (row) {
      var text = row.getAttribute("data-search") || "";
      var match = words.every(function (w) { return text.indexOf(w) !== -1; });
      var ticked = row.querySelector("input[type=checkbox]").checked;
      row.hidden = !(match || ticked);
      if (match) shown += 1;
    });
    list.querySelectorAll("fieldset.group").forEach(function (group) {
      group.hidden = !group.querySelector(".therapy:not([hidden])");
    });
    count.textContent = words.length ? shown + " treatments match" : "";
  });
}

function setUpStatuses() {
  document.querySelectorAll(".therapy").forEach(function (row) {
    var box = row.querySelector("input[type=checkbox]");
    var update = function () { row.classList.toggle("chosen", box.checked); };
    box.addEventListener("change", update);
    update();
  });
}

function setUpConditions() {
  document.querySelectorAll("[data-hidden-when]").forEach(function (field) {
    var rule = field.getAttribute("data-hidden-when").split("=");
    var control = document.querySelector('[name="' + rule[0] + '"]');
    if (!control) return;
    var update = function () {
      var hidden = control.value === rule[1];
      field.setAttribute("data-hidden", hidden ? "yes" : "no");
      // A field that does not apply is not sent (it would contradict the one it depends on).
      field.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = hidden;
      });
    };
    control.addEventListener("change", update);
    update();
  });
}

function setUpProgress(box) {
  var url = box.getAttribute("data-progress-url");
  var bar = document.getElementById("progress-bar");
  var text = document.getElementById("progress-text");
  var poll = function () {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        bar.max = Math.max(data.total, 1);
        bar.value = data.done;
        bar.textContent = data.done + " of " + data.total;
        text.textContent = data.done + " of " + data.total + " rows done.";
        if (data.running) {
          window.setTimeout(poll, 300);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 1000); });
  };
  poll();
}

function focusErrors() {
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-filter-for]").forEach(setUpFilter);
  setUpStatuses();
  setUpConditions();
  var progress = document.getElementById("progress");
  if (progress) setUpProgress(progress);
  focusErrors();
});
