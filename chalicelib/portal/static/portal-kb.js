/* The portal's Help section and the new-ticket form's article suggestions, loaded on demand by
 * portal.js (which hands over its DOM and API helpers as `kit`).
 * Same safety rules as portal.js: user text is set with textContent; an article's HTML, already
 * sanitized by the server, is parsed in an inert document (DOMParser) and copied element by
 * element through an allowlist, so nothing the allowlist does not name reaches the page. */
(function () {
  "use strict";

  var TAGS = { A: 1, BLOCKQUOTE: 1, BR: 1, CODE: 1, EM: 1, H1: 1, H2: 1, H3: 1, H4: 1, H5: 1, H6: 1, HR: 1, IMG: 1,
    LI: 1, OL: 1, P: 1, PRE: 1, STRONG: 1, UL: 1, TABLE: 1, THEAD: 1, TBODY: 1, TR: 1, TH: 1, TD: 1, DEL: 1, S: 1 };
  var ATTRIBUTES = { A: ["href", "title"], IMG: ["src", "alt", "title"], TH: ["align"], TD: ["align"] };
  var SAFE_URL = /^(https?:|mailto:|\/|#)/i;
  var SUGGESTIONS = 5;
  var DEBOUNCE_MS = 300;

  function start(kit) {
    var h = kit.h, add = kit.add, clear = kit.clear;

    /* The article's sanitized HTML as DOM nodes, rebuilt through the allowlist. */
    function articleBody(html) {
      var doc = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html");
      var box = h("div", { "class": "kb-article-body" });
      function copy(from, to) {
        Array.prototype.forEach.call(from.childNodes, function (node) {
          if (node.nodeType === 3) { to.appendChild(document.createTextNode(node.nodeValue)); return; }
          if (node.nodeType !== 1) return;
          if (!TAGS[node.tagName]) { copy(node, to); return; }
          var el = document.createElement(node.tagName.toLowerCase());
          (ATTRIBUTES[node.tagName] || []).forEach(function (name) {
            var value = node.getAttribute(name);
            if (value === null) return;
            if ((name === "href" || name === "src") && !SAFE_URL.test(value.trim())) return;
            el.setAttribute(name, value);
          });
          if (node.tagName === "A") { el.setAttribute("rel", "noopener noreferrer nofollow"); el.setAttribute("target", "_blank"); }
          if (node.tagName === "IMG") el.setAttribute("loading", "lazy");
          copy(node, el);
          to.appendChild(el);
        });
      }
      copy(doc.body, box);
      return box;
    }

    /* An excerpt with its matched words in <mark>. */
    function excerpt(item) {
      var p = h("p", { "class": "kb-excerpt" });
      var text = item.excerpt || "", at = 0;
      (item.highlights || []).forEach(function (span) {
        if (span[0] < at) return;
        add(p, text.slice(at, span[0]));
        add(p, h("mark", { text: text.slice(span[0], span[1]) }));
        at = span[1];
      });
      add(p, text.slice(at));
      return p;
    }

    function resultList(items, onOpen) {
      return h("ul", { "class": "kb-results" }, items.map(function (item) {
        var open = onOpen ? h("button", { type: "button", "class": "link-button kb-title", text: item.title,
          onclick: function () { onOpen(item); } }) : kit.link("/help" + kit.qs({ a: item.id }), item.title, "kb-title");
        return h("li", null, open, item.category ? h("span", { "class": "kb-category", text: item.category }) : null,
          excerpt(item));
      }));
    }

    function feedback(article) {
      var box = h("div", { "class": "kb-feedback", role: "group", "aria-label": "Was this article helpful?" });
      function vote(helpful) {
        return function () {
          clear(box);
          add(box, h("p", { role: "status", text: "Thank you for your feedback." }));
          kit.api("POST", "/kb/articles/" + encodeURIComponent(article.id) + "/feedback", { helpful: helpful })
            .catch(function () { return null; });
        };
      }
      add(box, [h("span", { text: "Was this helpful? " }),
        h("button", { type: "button", "class": "button secondary", onclick: vote(true), text: "Yes" }), " ",
        h("button", { type: "button", "class": "button secondary", onclick: vote(false), text: "No" })]);
      return box;
    }

    function searchForm(q) {
      var id = "kb-q";
      var input = h("input", { id: id, type: "search", name: "q", value: q || "", maxlength: "200",
        placeholder: "Search the help articles" });
      return h("form", { role: "search", "class": "kb-search", onsubmit: function (ev) {
        ev.preventDefault();
        kit.go("/help", { q: input.value.trim() });
      } }, h("label", { "for": id, "class": "visually-hidden", text: "Search the help articles" }), input,
        h("button", { type: "submit", "class": "button", text: "Search" }));
    }

    function viewArticle(id) {
      return kit.api("GET", "/kb/articles/" + encodeURIComponent(id)).then(function (article) {
        kit.page(article.title, [
          h("p", { "class": "kb-meta" }, kit.link("/help", "All help articles"),
            article.category ? " · " + article.category : "", article.updated_at ? " · Updated " + kit.when(article.updated_at) : ""),
          h("article", { "class": "kb-article" }, articleBody(article.html)),
          feedback(article)]);
      }, function (err) {
        if (err.status !== 404) throw err;
        kit.page("Article not found", [h("p", { text: "This article does not exist or is not available to you. " }),
          kit.link("/help", "All help articles")]);
      });
    }

    function viewIndex() {
      var q = kit.param("q"), category = kit.param("category");
      var path = "/kb/articles" + kit.qs(q ? { q: q } : { category: category, limit: "100" });
      return kit.api("GET", path).then(function (res) {
        var items = res.items || [];
        var parts = [searchForm(q)];
        if (q) {
          parts.push(h("p", { "class": "kb-count", role: "status",
            text: items.length ? items.length + (items.length === 1 ? " article" : " articles") + " found." : "No articles match your search." }));
          parts.push(resultList(items));
        } else if (!items.length) {
          parts.push(h("p", { text: "There are no help articles yet." }));
        } else {
          var groups = {}, names = [];
          items.forEach(function (item) {
            var name = item.category || "General";
            if (!groups[name]) { groups[name] = []; names.push(name); }
            groups[name].push(item);
          });
          names.forEach(function (name) {
            parts.push(h("section", { "class": "kb-group" }, h("h2", { text: name }), resultList(groups[name])));
          });
        }
        kit.page(q ? "Search results" : "Help", parts);
      });
    }

    /* Up to five articles matching the subject as it is typed; one opens in place (the form
     * keeps what was typed) and is reported as opened from a suggestion. */
    function suggest(input, where) {
      var timer = null, asked = "", box = h("div", { "class": "kb-suggestions", "aria-live": "polite" });
      var reading = h("div", { "class": "kb-suggested-article" });
      where.parentNode.insertBefore(box, where.nextSibling);
      box.parentNode.insertBefore(reading, box.nextSibling);
      function open(item) {
        kit.api("GET", "/kb/articles/" + encodeURIComponent(item.id)).then(function (article) {
          clear(reading);
          var close = h("button", { type: "button", "class": "link-button", text: "Close article",
            onclick: function () { clear(reading); } });
          add(reading, h("article", { "class": "kb-article card", "aria-label": article.title },
            h("h2", { text: article.title }), articleBody(article.html), feedback(article), close));
          close.focus({ preventScroll: true });
          kit.api("POST", "/kb/articles/" + encodeURIComponent(item.id) + "/feedback", { opened_from: "suggest" })
            .catch(function () { return null; });
        }).catch(function () { return null; });
      }
      function ask() {
        var q = input.value.trim();
        if (q === asked) return;
        asked = q;
        if (q.length < 3) { clear(box); return; }
        kit.api("GET", "/kb/articles" + kit.qs({ q: q, limit: String(SUGGESTIONS) })).then(function (res) {
          if (q !== asked) return;
          clear(box);
          var items = (res.items || []).slice(0, SUGGESTIONS);
          if (!items.length) return;
          add(box, [h("h2", { "class": "kb-suggestions-title", text: "Articles that may help" }), resultList(items, open)]);
        }).catch(function () { return null; });
      }
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(ask, DEBOUNCE_MS);
      });
    }

    return {
      view: function () { var id = kit.param("a"); return id ? viewArticle(id) : viewIndex(); },
      suggest: suggest
    };
  }

  /* Its own stylesheet, beside this script (same origin, allowed by the page's CSP). */
  (function stylesheet() {
    var current = document.currentScript;
    if (!current) return;
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = current.src.replace(/\.js(\?.*)?$/, ".css");
    document.head.appendChild(css);
  })();

  window.PorticoModules = window.PorticoModules || {};
  window.PorticoModules["portal-kb"] = start;
})();
