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

  // <button hx-post=… hx-target="#status" data-countdown-label="%(s)s 秒后重新获取">: when the
  // answer swapped into its target carries data-wait="60", the button is disabled and counts
  // the seconds down on its label, then comes back (the sign-in code's resend limit; the server
  // refuses an early resend anyway and answers with the seconds left).
  document.addEventListener("htmx:afterSwap", function (event) {
    const config = event.detail.requestConfig;
    const button = config && config.elt;
    if (!button || !button.matches("[data-countdown-label]")) {
      return;
    }
    const status = event.detail.target.querySelector("[data-wait]");
    const seconds = status ? Math.floor(Number(status.dataset.wait)) : 0;
    if (seconds > 0) {
      countdown(button, seconds);
    }
  });

  function countdown(button, seconds) {
    if (button.countdownTimer) {
      window.clearInterval(button.countdownTimer);
    } else {
      button.dataset.countdownText = button.textContent;
    }
    let left = seconds;
    const show = function () {
      button.textContent = button.dataset.countdownLabel.replace("%(s)s", String(left));
    };
    button.disabled = true;
    show();
    button.countdownTimer = window.setInterval(function () {
      left -= 1;
      if (left > 0) {
        show();
        return;
      }
      window.clearInterval(button.countdownTimer);
      button.countdownTimer = null;
      button.textContent = button.dataset.countdownText;
      button.disabled = false;
    }, 1000);
  }

  // <select data-autosubmit>: choosing sends its form (the form keeps a button for those
  // without script).
  document.addEventListener("change", function (event) {
    const field = event.target.closest("[data-autosubmit]");
    if (field && field.form) {
      field.form.requestSubmit();
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
