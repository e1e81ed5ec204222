// The organisation picker (organizations/widgets/org_picker.html, organizations.picker): the
// search box sends what was typed as ``q`` (it has no name, so the form it sits in never
// submits it); a click on a result puts its id in the hidden input and its name beside
// "已选择"; 清除 empties both; Escape or the close button folds the results away.
(function () {
  function picker(element) {
    return element.closest("[data-org-picker]");
  }

  function fold(root) {
    const results = root.querySelector("[data-org-picker-results]");
    if (results) results.replaceChildren();
  }

  function choose(root, id, name) {
    const input = root.querySelector("[data-org-picker-value]");
    const chosen = root.querySelector("[data-org-picker-chosen]");
    const clear = root.querySelector("[data-org-picker-clear]");
    input.value = id;
    chosen.textContent = name || chosen.dataset.empty;
    if (clear) clear.classList.toggle("d-none", !id);
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("htmx:configRequest", function (event) {
    const element = event.detail.elt;
    if (element.matches("[data-org-picker-search]")) {
      event.detail.parameters.q = element.value;
    }
  });

  document.addEventListener("click", function (event) {
    const pick = event.target.closest("[data-org-pick]");
    const clear = event.target.closest("[data-org-picker-clear]");
    const close = event.target.closest("[data-org-picker-close]");
    const root = picker(pick || clear || close || event.target);
    if (!root) return;
    if (pick) {
      choose(root, pick.dataset.orgPick, pick.dataset.orgName);
      const search = root.querySelector("[data-org-picker-search]");
      if (search) search.value = "";
      fold(root);
    } else if (clear) {
      choose(root, "", "");
    } else if (close) {
      fold(root);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    const root = picker(event.target);
    if (root) fold(root);
  });

  // Enter in the search box searches now instead of submitting the form around it.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches("[data-org-picker-search]")) {
      event.preventDefault();
      htmx.trigger(event.target, "search");
    }
  });
})();
