/* Candidate portal: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Every htmx request carries the CSRF token (the server rejects changes without it).
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  // A change that failed (network, expired form, server) is said out loud, never silent.
  document.addEventListener("htmx:responseError", showRequestError);
  document.addEventListener("htmx:sendError", showRequestError);
  function showRequestError() {
    var box = document.getElementById("request-error");
    if (!box) return;
    box.hidden = false;
    box.scrollIntoView({ block: "center" });
  }

  // A file larger than the form allows is refused before it is sent, in the same words
  // the server would use.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) return;
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var file = input.files && input.files[0];
    var box = document.getElementById(input.getAttribute("aria-describedby"));
    var tooLarge = Boolean(file && file.size > limit);
    input.setCustomValidity(tooLarge ? input.getAttribute("data-too-large") : "");
    if (box) box.textContent = tooLarge ? input.getAttribute("data-too-large") : "";
  });

  // After a swap the old button is gone and focus would fall to the page: it moves to the
  // new message (marked by the server), or else to the swapped part's heading.
  document.addEventListener("htmx:afterSettle", function (event) {
    var spot = document.querySelector("[data-focus-after-swap]");
    if (spot) {
      spot.removeAttribute("data-focus-after-swap");
      spot.focus();
      return;
    }
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) return;
    var part = event.target && document.contains(event.target) ? event.target : null;
    var heading = part && part.querySelector ? part.querySelector("h1, h2, h3") : null;
    if (heading) {
      if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  });

  // The pool's "save this search" form saves what the search form shows right now.
  document.addEventListener("htmx:afterSettle", function () {
    var results = document.querySelector("#pool-results input[name=query]");
    var save = document.getElementById("save-query");
    if (results && save) save.value = results.value;
  });

  // Show the candidate's times in the zone their device is in, unless they chose one.
  function syncTimeZone() {
    var body = document.body;
    var url = body.getAttribute("data-tz-url");
    if (!url) return;
    var detected;
    try { detected = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    if (!detected || detected === body.getAttribute("data-tz")) return;
    var guard = "tz-sent:" + detected;
    if (window.sessionStorage && sessionStorage.getItem(guard)) return;
    if (window.sessionStorage) sessionStorage.setItem(guard, "1");
    var data = new FormData();
    data.append("csrf_token", csrfToken());
    data.append("timezone", detected);
    data.append("source", "browser");
    data.append("next", window.location.pathname + window.location.search);
    // The answer is one line (what changed, or an offer to switch); the page is not reloaded.
    fetch(url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      return response.status === 200 ? response.text() : "";
    }).then(function (html) {
      var slot = document.getElementById("tz-offer");
      if (!html || !slot) return;
      slot.innerHTML = html;
      slot.hidden = false;
    }).catch(function () { /* the page still shows the stored zone */ });
  }

  var UNITS = [["day", 86400], ["hour", 3600], ["minute", 60]];

  function relative(ms, lang) {
    var seconds = Math.round(ms / 1000);
    var rtf = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
    for (var i = 0; i < UNITS.length; i++) {
      var size = UNITS[i][1];
      if (Math.abs(seconds) >= size * (i === UNITS.length - 1 ? 1 : 1.5)) {
        return rtf.format(Math.round(seconds / size), UNITS[i][0]);
      }
    }
    return rtf.format(Math.max(1, Math.round(seconds / 60)), "minute");
  }

  // The visible countdown is not a live region: a screen reader hears it only when it
  // matters, once 15 minutes before and once at the start.
  var lastTick = null;
  function announce(start, now) {
    var box = document.querySelector("[data-countdown-announce]");
    if (!box) return;
    var soon = start - 15 * 60000;
    var said = null;
    if (lastTick !== null && lastTick < start && now >= start && now - start < 5 * 60000) {
      said = box.getAttribute("data-started");
    } else if (lastTick !== null && lastTick < soon && now >= soon && now < start) {
      said = box.getAttribute("data-soon");
    }
    if (said) box.textContent = said;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var start = Date.parse(el.getAttribute("data-countdown"));
      var end = Date.parse(el.getAttribute("data-ends"));
      var lang = el.getAttribute("data-lang") || document.documentElement.lang;
      var words = el.getAttribute("data-lang") === "sv"
        ? { starts: "Börjar ", now: "Pågår nu", ended: "Intervjun är över" }
        : { starts: "Starts ", now: "Happening now", ended: "This interview has ended" };
      var text;
      if (now < start) text = words.starts + relative(start - now, lang);
      else if (now <= end) text = words.now;
      else text = words.ended;
      if (el.textContent !== text) el.textContent = text;
      announce(start, now);
    });
    lastTick = now;
    document.querySelectorAll("[data-join-opens]").forEach(function (el) {
      if (now >= Date.parse(el.getAttribute("data-join-opens")) && !el.classList.contains("join-open")) {
        el.classList.add("join-open");
        var button = el.querySelector(".join-button");
        if (button) button.classList.add("primary", "big");
      }
    });
  }

  // A copy button beside a read-only field (the calendar address), where the browser lets
  // a page copy; without it the field is there to select and copy by hand.
  function enableCopyButtons() {
    if (!navigator.clipboard || !window.isSecureContext) return;
    document.querySelectorAll("button[data-copy][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }
  document.addEventListener("htmx:afterSettle", enableCopyButtons);
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    navigator.clipboard.writeText(field.value).then(function () {
      button.textContent = button.getAttribute("data-copied") || button.textContent;
    }).catch(function () { /* the field stays selected for copying by hand */ });
  });

  // A time-zone list gets a search box: typing "tokyo", "indien" or "+05:30" leaves only the
  // zones that match (and the one chosen now). Without this file the list is still there.
  function enhanceZonePickers() {
    document.querySelectorAll("select[data-zone-picker]").forEach(function (select) {
      if (select.getAttribute("data-enhanced")) return;
      select.setAttribute("data-enhanced", "1");
      var all = Array.prototype.slice.call(select.options);
      var words = all.map(function (o) {
        return (o.textContent + " " + (o.getAttribute("data-search") || "")).toLowerCase();
      });
      var wrap = document.createElement("div");
      wrap.className = "zone-search";
      var label = document.createElement("label");
      var input = document.createElement("input");
      input.type = "search";
      input.id = (select.id || "zone") + "-search";
      input.autocomplete = "off";
      input.setAttribute("aria-controls", select.id);
      label.htmlFor = input.id;
      label.textContent = select.getAttribute("data-search-label") || "";
      wrap.appendChild(label);
      wrap.appendChild(input);
      // Search first, then choose: the box goes above the list's own label.
      var own = select.labels && select.labels[0];
      var before = own && own.parentNode === select.parentNode ? own : select;
      select.parentNode.insertBefore(wrap, before);
      input.addEventListener("input", function () {
        var query = input.value.trim().toLowerCase().replace(/\u2212/g, "-");
        var chosen = select.value;
        while (select.options.length) select.remove(0);
        all.forEach(function (option, i) {
          if (!query || option.value === chosen || words[i].indexOf(query) !== -1) {
            select.add(option);
          }
        });
        select.value = chosen;
      });
      // Enter in the search box would send the form with the old choice: keep it here.
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); select.focus(); }
      });
    });
  }
  document.addEventListener("htmx:afterSettle", enhanceZonePickers);

  document.addEventListener("DOMContentLoaded", function () {
    enhanceZonePickers();
    enableCopyButtons();
    syncTimeZone();
    if (document.querySelector("[data-countdown], [data-join-opens]")) {
      tick();
      window.setInterval(tick, 30000);
    }
  });
})();
