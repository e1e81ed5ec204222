// Behaviour shared by every page, declared in templates with data attributes and handled here
// by delegated listeners: the content security policy allows no inline script and no on*=
// attribute (docs/adr/0007).
(function () {
  // <a data-history-back href="…">: back to the previous page when there is one, else the link.
  document.addEventListener("click", function (event) {
    const link = event.target.closest("[data-history-back]");
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });

  // <button hx-get=… data-remove-after-request>: the button goes once its request succeeded
  // (the tree's "expand" button, replaced by the children it loaded).
  document.addEventListener("htmx:afterRequest", function (event) {
    const element = event.detail.elt;
    if (event.detail.successful && element.matches("[data-remove-after-request]")) {
      element.remove();
    }
  });

  // <div class="progress-bar" data-progress="42">: the bar's width, set through the DOM
  // (a style attribute would need style-src 'unsafe-inline'). Set on htmx:afterSwap, which
  // runs in the same task as the swap, so a polled bar is never painted at zero first.
  function showProgress() {
    document.querySelectorAll("[data-progress]").forEach(function (bar) {
      const percent = Math.max(0, Math.min(100, Number(bar.dataset.progress) || 0));
      bar.style.width = percent + "%";
    });
  }
  showProgress();
  document.addEventListener("htmx:afterSwap", showProgress);
})();
