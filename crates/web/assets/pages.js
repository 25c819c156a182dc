// Progressive enhancement only: the pages work without it.
// Moves the focus to the error summary when a form comes back with errors, so that a
// keyboard or screen-reader user hears what to fix first.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
});
