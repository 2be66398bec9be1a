/* Portico portal: branding and watching a ticket (product.md §12), loaded by portal.js only
 * when needed (a branded portal, a ticket page), so the log-in page's first load stays small.
 * Same safety rules as portal.js: DOM built with createElement/textContent only; the accent
 * colour goes through the CSSOM (style.setProperty), which the page's CSP allows, and only
 * after the same #rrggbb check the API made. */
(function () {
  "use strict";

  var EVENTS = [["public_reply", "Every public reply"], ["status", "Status changes"], ["resolved", "Resolution"]];

  window.PorticoModules = window.PorticoModules || {};
  window.PorticoModules["portal-org"] = function (kit) {
    var h = kit.h, api = kit.api;

    function brand(config) {
      if (config.accent_color && /^#[0-9A-Fa-f]{6}$/.test(config.accent_color)) {
        document.documentElement.style.setProperty("--brand", config.accent_color);
        document.documentElement.style.setProperty("--brand-dark", config.accent_color);
      }
      var link = document.querySelector(".brand");
      if (config.portal_name) {
        document.title = config.portal_name;
        if (link) link.textContent = config.portal_name;
      }
      if (link && config.logo_url && /^https:\/\//.test(config.logo_url)) {
        var logo = h("img", { src: config.logo_url, alt: "", "class": "brand-logo", height: "28" });
        link.insertBefore(logo, link.firstChild);
        link.classList.add("has-logo");
      }
    }

    /* The "Watch this ticket" panel: the events that mail you; a CC says so. */
    function watchPanel(slot, ticket) {
      var watching = ticket.watching || null;
      var chosen = watching ? watching.events : [];
      var status = h("p", { "class": "watch-status", role: "status" });
      var boxes = EVENTS.map(function (pair) {
        var id = "watch-" + pair[0];
        var box = h("input", { type: "checkbox", id: id, name: pair[0] });
        box.checked = chosen.indexOf(pair[0]) >= 0;
        return h("div", { "class": "check" }, [box, h("label", { "for": id, text: pair[1] })]);
      });
      function selected() {
        return EVENTS.map(function (p) { return p[0]; }).filter(function (name) {
          return document.getElementById("watch-" + name).checked;
        });
      }
      function describe(w) {
        if (w && w.cc) return "You are CC'd on this ticket: you get its replies and its resolution by email.";
        return w && w.events.length ? "You are watching this ticket." : "You are not watching this ticket.";
      }
      status.textContent = describe(watching);
      var save = h("button", { type: "button", "class": "button", text: "Save" });
      var stop = h("button", { type: "button", "class": "button secondary", text: "Stop watching" });
      function done(t) { watching = t.watching; status.textContent = describe(watching); stop.hidden = !(watching && watching.events.length); }
      function failed(err) { status.textContent = (err && err.message) || "Could not save."; }
      save.addEventListener("click", function () {
        var events = selected();
        if (!events.length) { status.textContent = "Choose at least one event, or stop watching."; return; }
        api("PUT", "/tickets/" + ticket.number + "/watch", { events: events }).then(done, failed);
      });
      stop.addEventListener("click", function () {
        api("DELETE", "/tickets/" + ticket.number + "/watch").then(function (t) {
          boxes.forEach(function (b) { b.querySelector("input").checked = false; });
          done(t);
        }, failed);
      });
      stop.hidden = !(watching && watching.events.length);
      slot.appendChild(h("h2", { id: "watch-h", text: "Email me about" }));
      slot.appendChild(h("fieldset", { "aria-labelledby": "watch-h" }, boxes));
      slot.appendChild(h("div", { "class": "actions" }, [save, stop]));
      slot.appendChild(status);
    }

    /* The link an agent's email change sends to the new address. */
    function verifyEmail(token) {
      var authPage = kit.authPage, notice = kit.notice, link = kit.link;
      var title = "Confirm your new email";
      if (!token) { authPage(title, [notice("This confirmation link is incomplete. Open the link from the email again.", "error")]); return; }
      return api("POST", "/email/verify", { token: token }).then(function (res) {
        authPage(title, [notice("Your email address is now " + res.email + ". Use it to log in.", "success"), link("/", "Log in")]);
      }, function (err) {
        if (err.code === "portal_blocked") return;
        var text = err.code === "token_used" ? "This link was already used." :
          err.code === "token_expired" ? "This link has expired or was replaced. Ask your helpdesk for a new one." : err.message;
        authPage(title, [notice(text, "error")]);
      });
    }

    return { brand: brand, watchPanel: watchPanel, verifyEmail: verifyEmail };
  };
})();
