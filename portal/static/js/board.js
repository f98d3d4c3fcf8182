/* The pipeline board: move cards by dragging them, or by keyboard (pick a card up, choose a
   stage with the arrow keys, Enter). Both submit the card's own form, so every move goes the
   way the form without JavaScript goes (htmx posts it; the answer swaps in only what
   changed). The board works without this file. */
(function () {
  "use strict";

  var lifted = null; // {card, columns, index} while a card is picked up by keyboard
  var focusAfter = null; // the card id whose "Pick up" button gets focus after a swap

  function board() { return document.getElementById("pipeline"); }

  function say(text) {
    var status = document.getElementById("board-status");
    if (status) status.textContent = text;
  }

  function words(key, values) {
    var text = (board() && board().getAttribute("data-" + key)) || "";
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("%(" + name + ")s").join(values[name]);
    });
    return text;
  }

  function nameOf(card) {
    var link = card.querySelector(".pcard-head a");
    return link ? link.textContent.trim() : "";
  }

  function columns() {
    return Array.prototype.slice.call(document.querySelectorAll("#pipeline .column"));
  }

  function columnOf(element) {
    return element && element.closest ? element.closest("#pipeline .column") : null;
  }

  function highlight(column) {
    columns().forEach(function (c) { c.classList.toggle("drop-target", c === column); });
  }

  function moveCard(card, column) {
    var stageId = column.getAttribute("data-stage-id");
    if (!card || !stageId || stageId === card.getAttribute("data-stage-id")) return;
    var form = card.querySelector("form.move");
    var select = form && form.querySelector("select[name=stage_id]");
    if (!select) return;
    select.value = stageId;
    focusAfter = card.id;
    say(words("moving", { name: nameOf(card), stage: column.getAttribute("data-stage-name") }));
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  // ------------------------------------------------------------ dragging

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest("#pipeline .pcard") : null;
    if (!card) return;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
    card.classList.add("dragging");
  });

  document.addEventListener("dragend", function (event) {
    var card = event.target.closest ? event.target.closest(".pcard") : null;
    if (card) card.classList.remove("dragging");
    highlight(null);
  });

  document.addEventListener("dragover", function (event) {
    var column = columnOf(event.target);
    if (!column || !document.querySelector("#pipeline .pcard.dragging")) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "move";
    highlight(column);
  });

  document.addEventListener("drop", function (event) {
    var column = columnOf(event.target);
    var card = document.querySelector("#pipeline .pcard.dragging");
    if (!column || !card) return;
    event.preventDefault();
    card.classList.remove("dragging");
    highlight(null);
    moveCard(card, column);
  });

  // ------------------------------------------------------------ keyboard

  function drop(commit) {
    if (!lifted) return;
    var state = lifted;
    lifted = null;
    state.card.classList.remove("lifted");
    var button = state.card.querySelector(".lift");
    if (button) button.setAttribute("aria-pressed", "false");
    highlight(null);
    if (commit && state.columns[state.index] !== columnOf(state.card)) {
      moveCard(state.card, state.columns[state.index]);
    } else {
      say(words("cancelled", { name: nameOf(state.card) }));
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("#pipeline .lift") : null;
    if (!button) return;
    var card = button.closest(".pcard");
    if (lifted && lifted.card === card) { drop(true); return; }
    drop(false);
    var all = columns();
    lifted = { card: card, columns: all, index: all.indexOf(columnOf(card)) };
    card.classList.add("lifted");
    button.setAttribute("aria-pressed", "true");
    say(words("picked", { name: nameOf(card) }));
  });

  document.addEventListener("keydown", function (event) {
    if (!lifted) return;
    var step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (step) {
      event.preventDefault();
      lifted.index = Math.max(0, Math.min(lifted.columns.length - 1, lifted.index + step));
      var column = lifted.columns[lifted.index];
      highlight(column);
      column.scrollIntoView({ block: "nearest", inline: "nearest" });
      say(words("over", { stage: column.getAttribute("data-stage-name") }));
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      drop(true);
    } else if (event.key === "Escape" || event.key === "Tab") {
      if (event.key === "Escape") event.preventDefault();
      drop(false);
    }
  });

  // ------------------------------------------------------------ answers

  // A move someone else made first (409) still shows the card where it really is.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (event.detail.xhr.status === 409 && target && target.closest && target.closest("#pipeline")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    enable();
    if (!focusAfter) return;
    var button = document.querySelector("#" + focusAfter + " .lift");
    focusAfter = null;
    if (button) button.focus();
  });

  // ------------------------------------------------------------ ticks

  function countTicks() {
    var label = document.querySelector("#bulk-form .bulk-count");
    if (!label) return;
    var n = document.querySelectorAll("input.pick[form=bulk-form]:checked").length;
    label.textContent = n ? label.getAttribute("data-some").replace("%(num)s", n)
      : label.getAttribute("data-none");
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input.pick")) countTicks();
  });

  function enable() {
    document.querySelectorAll("#pipeline .lift[hidden]").forEach(function (button) {
      button.hidden = false;
      button.setAttribute("aria-pressed", "false");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    enable();
    countTicks();
  });
})();
