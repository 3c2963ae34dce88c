/* Frontier theme script. The pages work without it; it only keeps the top bar's date
   current and adds a "Copy link" button next to the share links. No dependencies. */
(function () {
  "use strict";

  var lang = document.documentElement.lang || undefined;

  function isoDay(now) {
    function pad(n) { return (n < 10 ? "0" : "") + n; }
    return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  }

  // "Sunday, 29 November 2026", as the build writes it, with names in the page's language.
  function longDay(now) {
    try {
      var parts = {};
      new Intl.DateTimeFormat(lang, { weekday: "long", day: "numeric", month: "long", year: "numeric" })
        .formatToParts(now).forEach(function (p) { parts[p.type] = p.value; });
      return parts.weekday + ", " + parts.day + " " + parts.month + " " + parts.year;
    } catch (e) {
      return null;
    }
  }

  function updateToday() {
    var now = new Date();
    var stamp = isoDay(now);
    document.querySelectorAll("time[data-today]").forEach(function (el) {
      if (el.getAttribute("datetime") === stamp) { return; }
      var text = longDay(now);
      if (text) {
        el.setAttribute("datetime", stamp);
        el.textContent = text;
      }
    });
  }

  updateToday();
  // A page left open overnight turns the date over at midnight.
  setInterval(updateToday, 60 * 1000);

  // On a phone the section strip scrolls sideways: bring the current section into view.
  var current = document.querySelector(".sections-list [aria-current]");
  if (current) {
    var strip = current.closest(".sections-list");
    var item = current.parentElement;
    if (strip && item && item.offsetLeft + item.offsetWidth > strip.clientWidth) {
      strip.scrollLeft = item.offsetLeft - (strip.clientWidth - item.offsetWidth) / 2;
    }
  }

  // A wide table scrolls sideways inside its own box, never the whole page.
  document.querySelectorAll(".prose table").forEach(function (table) {
    if (table.parentElement.classList.contains("table-scroll")) { return; }
    var box = document.createElement("div");
    box.className = "table-scroll";
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", "Table");
    box.tabIndex = 0;
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
  });

  if (navigator.clipboard) {
    document.querySelectorAll(".copy-link").forEach(function (button) {
      var item = button.closest(".copy-item");
      var share = button.closest(".share");
      var status = share ? share.querySelector(".copy-status") : null;
      if (item) { item.hidden = false; }
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
          if (status) { status.textContent = "Link copied."; }
        }, function () {
          if (status) { status.textContent = "The link could not be copied."; }
        });
      });
    });
  }
})();
