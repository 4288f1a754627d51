// A little help where JavaScript is on; every page works without it.
document.addEventListener("DOMContentLoaded", function () {
  // Filters that are menus apply as soon as they change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { if (el.form) el.form.submit(); });
  });
  // Ask before a write that is hard to undo.
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (ev) {
      if (!window.confirm(el.getAttribute("data-confirm"))) ev.preventDefault();
    });
  });
});
