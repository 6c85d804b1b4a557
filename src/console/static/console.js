// The console's only script: nothing depends on it (every page and form works without it).
// It keeps a form from being sent twice and reloads the dashboard every 30 seconds.
"use strict";
document.addEventListener("submit", function (e) {
  var form = e.target;
  if (form.dataset.sent) {
    e.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  var button = form.querySelector("button[type=submit]");
  if (button) {
    button.setAttribute("aria-busy", "true");
  }
});
(function () {
  var marked = document.querySelector("[data-refresh]");
  if (!marked) {
    return;
  }
  var secs = parseInt(marked.getAttribute("data-refresh"), 10);
  if (secs > 0) {
    setTimeout(function () {
      if (!document.hidden) {
        window.location.reload();
      }
    }, secs * 1000);
  }
})();
