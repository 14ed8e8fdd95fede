// riskseg dashboard: small conveniences only; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // filters apply as soon as a choice is made
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) select.form.submit();
    });
  });
  // "/" jumps to the customer search, as on many sites
  var search = document.getElementById("search-q");
  document.addEventListener("keydown", function (event) {
    var tag = (event.target && event.target.tagName) || "";
    if (event.key === "/" && search && !/^(INPUT|TEXTAREA|SELECT)$/.test(tag)) {
      event.preventDefault();
      search.focus();
    }
  });
  // opening a dismiss form puts the cursor in its note
  document.querySelectorAll("details.dismiss").forEach(function (box) {
    box.addEventListener("toggle", function () {
      var note = box.querySelector("input[name=note]");
      if (box.open && note) note.focus();
    });
  });
  // a button is pressed once: a slow answer does not send the change twice
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        window.setTimeout(function () { b.disabled = true; }, 0);
      });
    });
  });
});
