// The deal board: dragging a card onto another column asks the server to move the deal.
// The server decides (the same stage rules as every other channel); a refused card snaps back.
(function () {
  "use strict";
  let pending = null;

  function init() {
    const form = document.getElementById("move-form");
    if (!form || typeof Sortable === "undefined") return;
    document.querySelectorAll(".board-cards").forEach(function (list) {
      Sortable.create(list, {
        group: "deals",
        sort: false,
        draggable: ".deal-card",
        filter: ".load-more",
        animation: 150,
        forceFallback: true,
        onEnd: function (event) {
          if (event.from === event.to) return;
          const card = event.item;
          pending = { card: card, from: event.from, next: event.from.children[event.oldIndex] || null };
          form.elements.deal_id.value = card.dataset.deal;
          form.elements.version.value = card.dataset.version;
          form.elements.stage_id.value = event.to.dataset.stage;
          htmx.trigger(form, "submit");
        },
      });
    });
    document.body.addEventListener("deal-move-refused", function () {
      if (pending) pending.from.insertBefore(pending.card, pending.next);
      pending = null;
    });
    document.body.addEventListener("deal-moved", function (event) {
      if (pending) pending.card.dataset.version = event.detail.version;
      pending = null;
    });
    document.body.addEventListener("htmx:responseError", function () {
      if (pending) pending.from.insertBefore(pending.card, pending.next);
      pending = null;
    });
    document.body.addEventListener("click", function (event) {
      const button = event.target.closest("[data-close-dialog]");
      if (button) button.closest("dialog").remove();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
