// Forms: the character counter of long text fields. ``{% field %}`` (core/templatetags)
// renders the field with data-maxlength and, after it, a counter whose id is the field's id
// plus "_count"; this keeps the number up to date and turns it red past the limit. The field
// has no maxlength attribute on purpose: the browser would cut pasted text without a word,
// while the server refuses over-long text with a message at the field. Loaded from a file
// with a delegated listener: the content security policy allows no inline script
// (docs/adr/0007).
(function () {
  // As the form counts it once posted: code points (not UTF-16 units), and each line break
  // twice, since the browser sends it as CR LF and the server's max_length counts both.
  function sentLength(text) {
    let n = 0;
    for (const ch of text.replace(/\r\n/g, "\n")) {
      n += ch === "\n" ? 2 : 1;
    }
    return n;
  }

  function update(field) {
    const counter = document.getElementById(field.id + "_count");
    const number = counter && counter.querySelector("[data-count]");
    if (!number) {
      return;
    }
    const n = sentLength(field.value);
    const over = n > Number(field.dataset.maxlength);
    number.textContent = String(n);
    counter.classList.toggle("text-danger", over);
    counter.classList.toggle("fw-semibold", over);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("[data-maxlength]")) {
      update(event.target);
    }
  });
  // A page restored from the back/forward cache, or refilled by the browser, shows its text.
  function updateAll() {
    document.querySelectorAll("[data-maxlength]").forEach(update);
  }
  window.addEventListener("pageshow", updateAll);
  document.addEventListener("htmx:afterSwap", updateAll);
})();
