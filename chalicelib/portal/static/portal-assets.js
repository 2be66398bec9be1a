/* Portico portal: assets (product.md §10), loaded by portal.js (loadPart, which hands over its
 * DOM and API helpers as `P`) when an asset page or the new ticket form needs it. A client sees
 * the assets assigned to them (a client admin: the organization's), an asset's details and the
 * tickets about it they may see. */
(function () {
  "use strict";

  var STATUS = { in_use: "In use", in_repair: "In repair", retired: "Retired" };

  function start(P) {
    var h = P.h;

    function label(a) { return a.name + (a.serial ? " (" + a.serial + ")" : ""); }

    /* Every page of the client's assets (a client has few; 100 a page). */
    function all(cursor, found) {
      return P.api("GET", "/assets" + P.qs({ limit: "100", cursor: cursor || "" })).then(function (res) {
        found = (found || []).concat(res.items || []);
        return res.next_cursor ? all(res.next_cursor, found) : found;
      });
    }

    function choices() {
      return all().then(function (items) {
        return items.filter(function (a) { return a.status !== "retired"; }).map(function (a) { return [a.id, label(a)]; });
      });
    }

    function list() {
      return all().then(function (items) {
        if (!items.length) { P.page("Assets", [h("p", { "class": "empty", text: "No assets are assigned to you." })]); return; }
        var rows = items.map(function (a) {
          return h("tr", null, h("td", null, P.link("/assets/" + a.id, a.name)), h("td", { text: a.type || "" }),
            h("td", { text: a.serial || "" }), h("td", { text: STATUS[a.status] || a.status }));
        });
        P.page("Assets", [h("table", { "class": "tickets" },
          h("thead", null, h("tr", null, h("th", { scope: "col", text: "Name" }), h("th", { scope: "col", text: "Type" }),
            h("th", { scope: "col", text: "Serial number" }), h("th", { scope: "col", text: "Status" }))),
          h("tbody", null, rows))]);
      });
    }

    function fact(term, value) { return value ? [h("dt", { text: term }), h("dd", { text: value })] : null; }

    function show(me, m) {
      var id = m[1];
      return Promise.all([P.api("GET", "/assets/" + id), P.api("GET", "/assets/" + id + "/tickets" + P.qs({ limit: "100" }))])
        .then(function (answers) {
          var a = answers[0], tickets = answers[1].items || [];
          var attributes = Object.keys(a.attributes || {}).map(function (k) { return fact(k, a.attributes[k]); });
          var rows = tickets.map(function (t) {
            return h("tr", null, h("td", null, P.link("/tickets/" + t.number, "#" + t.number)), h("td", { text: t.subject }),
              h("td", null, P.badge(t.status)), h("td", { text: P.when(t.updated_at) }));
          });
          P.page(a.name, [
            h("dl", { "class": "facts" }, fact("Type", a.type), fact("Serial number", a.serial),
              fact("Status", STATUS[a.status] || a.status), fact("Purchased", a.purchased_on),
              fact("Warranty until", a.warranty_until), attributes),
            h("h2", { text: "Tickets" }),
            rows.length ? h("table", { "class": "tickets" }, h("tbody", null, rows))
              : h("p", { "class": "empty", text: "No tickets about this asset." }),
            P.readOnly() || a.status === "retired" ? null : P.link("/tickets/new?asset=" + encodeURIComponent(a.id),
              "New ticket about this asset", "button")
          ]);
        });
    }

    return { choices: choices, list: list, show: show };
  }

  window.PorticoModules = window.PorticoModules || {};
  window.PorticoModules["portal-assets"] = start;
})();
