// The portal calendar's "copy the subscription address" button. The clipboard API needs a
// secure context; on a plain-http intranet the input is selected for a long-press copy.
(function () {
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy-target]");
    if (!button) return;
    const input = document.getElementById(button.dataset.copyTarget);
    if (!input) return;
    const done = function () {
      button.textContent = button.dataset.copied;
    };
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {});
    } else if (document.execCommand && document.execCommand("copy")) {
      done();
    }
  });
})();
