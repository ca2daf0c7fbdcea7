// The cookbook site's behaviours, with nothing loaded from the network.
//
// 1. The tag filter of the landing and section pages: a tag button shows only the recipe cards that carry
//    the tag ("all" shows every card); the choice is kept in the address (#tag=<tag>), so a recipe page's
//    tag links open the landing page filtered.
// 2. Search result snippets: Sphinx cuts a snippet out of the page's text as one run of characters around
//    the first hit, which often starts with the title and the links under it, run together. Here the
//    snippet is the page's opening text: the title, the recipe's header lines and folded code skipped, a
//    space kept between blocks, so it starts with the recipe's own first sentence. And results are ranked
//    with the recipe titles first (Scorer.score, Sphinx's hook for it).
(function () {
  "use strict";

  function applyFilter(tag) {
    document.querySelectorAll(".tag-filter").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.tag === tag));
    });
    document.querySelectorAll(".recipe-card").forEach(function (card) {
      var tags = (card.dataset.tags || "").split("|");
      card.hidden = tag !== "" && tags.indexOf(tag) === -1;
    });
    document.querySelectorAll(".recipe-cards").forEach(function (cards) {
      var shown = cards.querySelectorAll(".recipe-card:not([hidden])").length;
      var section = cards.closest("section");
      if (section && section.querySelector(".recipe-cards") === cards) section.hidden = shown === 0;
    });
  }

  function tagFromAddress() {
    var match = /(?:^|[#&])tag=([^&]+)/.exec(window.location.hash);
    return match ? decodeURIComponent(match[1]) : "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector(".tag-bar")) {
      document.querySelectorAll(".tag-filter").forEach(function (button) {
        button.addEventListener("click", function () {
          var tag = button.dataset.tag;
          history.replaceState(null, "", tag ? "#tag=" + encodeURIComponent(tag) : window.location.pathname);
          applyFilter(tag);
        });
      });
      applyFilter(tagFromAddress());
      window.addEventListener("hashchange", function () { applyFilter(tagFromAddress()); });
    }

    if (typeof Scorer !== "undefined") {
      // Rank a page whose own title holds the query above pages that only mention its words: Sphinx scores
      // every title word alike and breaks ties alphabetically. A title holding the query as a phrase gains
      // more the more of the title the phrase is; one holding all its words gains a little.
      var query = (new URLSearchParams(window.location.search).get("q") || "").toLowerCase().trim();
      var words = query.split(/\s+/).filter(Boolean);
      Scorer.score = function (result) {
        var title = String(result[1] || "").toLowerCase();
        var score = result[4];
        if (!query || title.indexOf(" > ") !== -1) return score;
        if (title.indexOf(query) !== -1) score += Math.round((40 * query.length) / title.length);
        if (words.every(function (w) { return title.indexOf(w) !== -1; })) score += 10;
        return score;
      };
    }

    if (typeof Search !== "undefined" && Search.makeSearchSummary) {
      Search.makeSearchSummary = function (htmlString) {
        var doc = new DOMParser().parseFromString(htmlString, "text/html");
        var main = doc.querySelector('[role="main"]');
        if (!main) return null;
        var skip = "h1, .headerlink, script, style, .recipe-links, .recipe-facts, .recipe-run, "
          + ".recipe-recording, details.hide, .tag-bar";
        main.querySelectorAll(skip).forEach(function (el) { el.remove(); });
        var parts = [];
        main.querySelectorAll("p, li, h2, h3, pre, td, th, dt, dd").forEach(function (el) {
          if (!el.querySelector("p, li, pre")) parts.push(el.textContent.replace(/\s+/g, " ").trim());
        });
        var text = parts.filter(Boolean).join(" ");
        if (!text) return null;
        var summary = document.createElement("p");
        summary.classList.add("context");
        summary.textContent = text.length > 240 ? text.slice(0, 240).replace(/\s+\S*$/, "") + " ..." : text;
        return summary;
      };
    }
  });
})();
