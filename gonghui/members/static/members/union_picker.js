// Choosing a union from the portal's search results (members/portal/_union_options.html,
// where a worker applies to join; the console uses the organisation picker): the results list names the hidden input that takes
// the union's id (data-union-input) and the element that shows the chosen name
// (data-union-chosen); each result carries data-union-id and data-union-name.
(function () {
  document.addEventListener("click", function (event) {
    const option = event.target.closest("[data-union-id]");
    const list = option && option.closest("[data-union-input]");
    if (!list) return;
    const input = document.getElementById(list.dataset.unionInput);
    const chosen = document.getElementById(list.dataset.unionChosen);
    if (input) input.value = option.dataset.unionId;
    if (chosen) chosen.textContent = option.dataset.unionName;
    list.replaceChildren();
  });
})();
