/* Portico client portal: a tiny dependency-free single-page app.
 * Safety rules kept throughout (tests/api/test_portal_page.py holds us to them): the DOM is
 * built with createElement/textContent only, so user text is never parsed as HTML; the session
 * lives only in the HttpOnly cookie (no web storage); every write sends X-Requested-With:
 * portico, which a cross-site form cannot send. */
(function () {
  "use strict";

  var BASE = document.documentElement.getAttribute("data-base") || "";
  var ROOT = BASE + "/portal";
  var BLOCKED = "Client self-service portal temporarily blocked";
  var STATUSES = ["new", "open", "pending", "resolved", "closed"];
  var PRIORITIES = ["low", "normal", "high", "urgent"];
  var PAGE = 25; /* tickets per page of My tickets */
  /* `bearer`: a session token sent as Authorization instead of the cookie (unused by the page
   * itself: an agent's read-only client view becomes its own HttpOnly cookie, see viewImpersonate). */
  var state = { config: null, me: null, flash: null, bearer: null };
  var main = document.getElementById("main");
  var nav = document.getElementById("nav");
  var banner = document.getElementById("banner");
  var uid = 0;

  /* ---------- DOM helpers ---------- */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    var key;
    for (key in attrs || {}) {
      var v = attrs[key];
      if (v === null || v === undefined || v === false) continue;
      if (key === "text") el.textContent = v;
      else if (key === "class") el.className = v;
      else if (key.slice(0, 2) === "on") el.addEventListener(key.slice(2), v);
      else if (v === true) el.setAttribute(key, "");
      else el.setAttribute(key, String(v));
    }
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { add(el, c); }); return; }
    el.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }
  function link(path, text, cls) {
    return h("a", { href: ROOT + path, "data-link": true, "class": cls, text: text });
  }
  function when(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }
  function cap(s) { s = String(s || ""); return s.charAt(0).toUpperCase() + s.slice(1); }
  function badge(status) { return h("span", { "class": "badge badge-" + String(status).replace(/[^a-z]/g, ""), text: cap(status) }); }

  /* ---------- API ---------- */
  function ApiError(status, data) {
    this.status = status;
    this.code = (data && data.code) || "error";
    this.message = (data && data.message) || "Something went wrong (HTTP " + status + "). Please try again.";
    this.fields = (data && data.fields) || {};
  }
  /* `key`: an Idempotency-Key, so sending a form again after a lost answer creates nothing twice. */
  function api(method, path, body, key) {
    var opts = { method: method, credentials: state.bearer ? "omit" : "same-origin", headers: { Accept: "application/json" } };
    if (state.bearer) opts.headers.Authorization = "Bearer " + state.bearer;
    if (key) opts.headers["Idempotency-Key"] = key;
    if (method !== "GET") {
      opts.headers["X-Requested-With"] = "portico";
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body || {});
    }
    return fetch(ROOT + path, opts).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!r.ok) {
          var err = new ApiError(r.status, data);
          if (err.code === "portal_blocked") showBlocked();
          if (err.code === "unauthorized" && state.me) { err.handled = true; sessionEnded(); }
          if (r.status === 429 && r.headers.get("Retry-After")) {
            err.message += " Try again in " + r.headers.get("Retry-After") + " seconds.";
          }
          throw err;
        }
        return data;
      });
    }, function () {
      throw new ApiError(0, { code: "network", message: "The portal could not be reached. Check your connection and try again." });
    });
  }
  /* One key per body a form sends: the same body again (a retry) reuses it, a changed one gets a new one. */
  function idempotency() {
    var key = null, sent = null;
    return function (body) {
      var text = JSON.stringify(body);
      if (text !== sent) {
        sent = text;
        key = Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) { return (b + 256).toString(16).slice(1); }).join("");
      }
      return key;
    };
  }
  function qs(params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      if (params[k]) parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(params[k]));
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  /* ---------- forms ---------- */
  function newId() { return "f" + (++uid); }
  function field(spec) {
    var id = newId();
    var input;
    var attrs = { id: id, name: spec.name, required: spec.required, autocomplete: spec.autocomplete || "off",
      minlength: spec.minlength, maxlength: spec.maxlength, readonly: spec.readonly, inputmode: spec.inputmode };
    if (spec.type === "textarea") {
      attrs.rows = spec.rows || 6;
      input = h("textarea", attrs);
      input.value = spec.value || "";
    } else if (spec.type === "select") {
      input = h("select", attrs, spec.options.map(function (o) {
        return h("option", { value: o[0], text: o[1], selected: String(o[0]) === String(spec.value || "") });
      }));
    } else {
      attrs.type = spec.type || "text";
      input = h("input", attrs);
      if (spec.value !== undefined && spec.value !== null) input.value = spec.value;
    }
    var hintId = spec.hint ? id + "-hint" : null;
    var errId = id + "-err";
    input.setAttribute("aria-describedby", (hintId ? hintId + " " : "") + errId);
    return h("div", { "class": "field", "data-field": spec.name },
      h("label", { "for": id, text: spec.label + (spec.required ? "" : " (optional)") }),
      spec.hint ? h("p", { "class": "hint", id: hintId, text: spec.hint }) : null,
      input,
      h("p", { "class": "field-error", id: errId }));
  }

  /* A form that posts to the API. `submit(values)` returns a promise; API errors land next
   * to the form (message) and next to each field named in `fields`. With `opts.files` (see
   * withFiles), files can be attached (values.attachments: the finished uploads' ids); their
   * button comes after the submit button so the keyboard order of the fields stays as it was. */
  function form(opts) {
    var errorBox = h("div", { "class": "form-error", role: "alert" });
    var button = h("button", { type: "submit", "class": opts.secondary ? "secondary" : null, text: opts.button });
    var files = opts.files ? Files.attacher() : null;
    var el = h("form", { "class": "form", novalidate: true, "aria-label": opts.label },
      errorBox, opts.extra || null, opts.fields.map(field), files && files.list,
      h("div", { "class": "actions" }, button, files && files.controls, opts.after || null),
      h("p", { "class": "form-status", role: "status" }));
    if (files) files.bind(el);
    el.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var values = {};
      opts.fields.forEach(function (f) {
        var input = el.elements[f.name];
        values[f.name] = input.value.trim ? (f.type === "password" ? input.value : input.value.trim()) : input.value;
      });
      showErrors(el, errorBox, null);
      say(el, "");
      var local = opts.check ? opts.check(values) : null;
      if (!local) local = requiredMissing(opts.fields, values);
      if (!local && files) { local = files.problem(); values.attachments = files.ids(); }
      if (local) { showErrors(el, errorBox, local); return; }
      button.disabled = true;
      el.setAttribute("aria-busy", "true");
      Promise.resolve().then(function () { return opts.submit(values, el); }).catch(function (err) {
        if (!(err instanceof ApiError)) { if (window.console) console.warn(err); err = new ApiError(0, null); }
        if (err.handled) return;
        if (err.status === 401 && opts.authed !== false) { state.me = null; go("/", { next: here() }); return; }
        showErrors(el, errorBox, err);
      }).then(function () { button.disabled = false; el.removeAttribute("aria-busy"); });
    });
    return el;
  }
  function say(formEl, text) { formEl.querySelector(".form-status").textContent = text; }
  function requiredMissing(fields, values) {
    var missing = {};
    fields.forEach(function (f) { if (f.required && !values[f.name]) missing[f.name] = "This field is required."; });
    return Object.keys(missing).length ? { message: "Please fill in the required fields.", fields: missing } : null;
  }
  function showErrors(formEl, box, err) {
    clear(box);
    Array.prototype.forEach.call(formEl.querySelectorAll(".field"), function (f) {
      var input = f.querySelector("input,textarea,select");
      if (input) input.removeAttribute("aria-invalid");
      clear(f.querySelector(".field-error"));
    });
    if (!err) return;
    var unplaced = [];
    Object.keys(err.fields || {}).forEach(function (key) {
      var name = key.split(".").pop();
      var f = formEl.querySelector('.field[data-field="' + name.replace(/[^a-z0-9_]/gi, "") + '"]');
      if (f) {
        f.querySelector(".field-error").textContent = String(err.fields[key]);
        f.querySelector("input,textarea,select").setAttribute("aria-invalid", "true");
      } else {
        unplaced.push(name + ": " + err.fields[key]);
      }
    });
    box.textContent = err.message + (unplaced.length ? " " + unplaced.join("; ") : "");
  }
  function passwordsMatch(a, b) {
    return function (v) {
      if (v[a] && v[b] && v[a] !== v[b]) {
        var f = {}; f[b] = "The two passwords are not the same.";
        return { message: "The passwords do not match.", fields: f };
      }
      return null;
    };
  }
  function notice(text, kind) { return h("p", { "class": "notice " + (kind || "info"), role: kind === "error" ? "alert" : "status", text: text }); }

  /* ---------- parts of the page in their own files, fetched the first time they are needed ----------
   * So the log-in page's first load stays light. Each file sits beside portal.js (wherever that is
   * served) and registers window.PorticoModules[name] = function (kit) { return {...}; }; once the
   * file has run, that function gets the one `kit` below. `message`: what a failed load says. */
  var SCRIPT = document.currentScript ? document.currentScript.src : "";
  var parts = {};
  function loadPart(name, message) {
    if (!parts[name]) {
      parts[name] = new Promise(function (resolve, reject) {
        var script = h("script", { src: SCRIPT.replace(/portal\.js(\?.*)?$/, name + ".js") });
        script.addEventListener("load", function () { resolve(window.PorticoModules[name](kit)); });
        script.addEventListener("error", function () { delete parts[name]; reject(new ApiError(0, message ? { message: message } : null)); });
        document.head.appendChild(script);
      });
    }
    return parts[name];
  }
  var PART_LOST = "Part of the page could not be loaded.";
  var kit = { h: h, add: add, clear: clear, link: link, when: when, badge: badge, page: page, authPage: authPage,
    notice: notice, form: form, say: say, api: api, ApiError: ApiError, qs: qs, go: go, param: param,
    readOnly: readOnly, state: state, ROOT: ROOT, newId: newId };

  /* Attachments (portal-files.js): a page that attaches or lists files waits for `withFiles()`. */
  var Files = null;
  function withFiles() { return loadPart("portal-files").then(function (f) { Files = f; return f; }); }
  /* A log-in, activation or confirmation that answers `mfa_required` asks for the code first. */
  function secondFactor(answer, done) {
    if (!answer || !answer.mfa_required) { done(); return null; }
    return loadPart("portal-mfa").then(function (mfa) { mfa.codeStep(answer, done); });
  }

  /* ---------- router ---------- */
  /* Where we are, to come back after logging in; a plain #anchor (an email's "#rate") is kept. */
  function here() {
    return location.pathname.slice(ROOT.length) + location.search + (/^#[a-z-]+$/.test(location.hash) ? location.hash : "");
  }
  function go(path, params, replace) {
    var url = ROOT + (path === "/" ? "" : path) + (params ? qs(params) : "");
    history[replace ? "replaceState" : "pushState"](null, "", url);
    render();
  }
  function param(name) { return new URLSearchParams(location.search).get(name); }

  var routes = [
    [/^\/?$/, viewLogin, false],
    [/^\/activate$/, viewActivate, false],
    [/^\/verify$/, viewVerify, false],
    [/^\/signup$/, viewSignup, false],
    [/^\/forgot$/, viewForgot, false],
    [/^\/reset$/, viewReset, false],
    [/^\/tickets$/, viewTickets, true],
    [/^\/tickets\/new$/, viewNewTicket, true],
    [/^\/tickets\/(\d+)$/, viewTicket, true],
    [/^\/profile$/, viewProfile, true],
    [/^\/colleagues$/, viewColleagues, true],
    [/^\/assets$/, assetsView("list"), true],
    [/^\/assets\/([0-9A-Za-z]+)$/, assetsView("show"), true],
    [/^\/impersonate$/, viewImpersonate, false],
    [/^\/verify-email$/, function () { return loadPart("portal-org").then(function (o) { o.verifyEmail(param("token")); }); }, false],
    [/^\/help$/, viewHelp, false]
  ];

  /* Replace the main area with a page; `narrow` pages (log in, activate...) sit in a card. */
  function page(title, children, narrow) {
    document.title = title + " · Support portal";
    clear(main);
    main.className = narrow ? "wrap narrow" : "wrap";
    var box = main;
    if (narrow) { box = h("div", { "class": "card" }); main.appendChild(box); }
    var heading = h("h1", { tabindex: "-1", text: title });
    add(box, heading);
    if (state.flash) { add(box, notice(state.flash.text, state.flash.kind)); state.flash = null; }
    add(box, children);
    heading.focus({ preventScroll: true });
    return heading;
  }
  function authPage(title, children) { return page(title, children, true).parentNode; }

  function loadConfig() {
    if (state.config) return Promise.resolve(state.config);
    return api("GET", "/config").then(function (c) {
      state.config = c;
      if (c.portal_name || c.logo_url || c.accent_color) loadPart("portal-org").then(function (o) { o.brand(c); });
      return c;
    });
  }
  function loadMe() {
    if (state.me) return Promise.resolve(state.me);
    /* /session answers 200 when logged out too: no 401 in the console on a first load. */
    return api("GET", "/session").then(function (s) { state.me = s.authenticated ? s.user : null; return state.me; }, function (err) {
      if (state.bearer && err.status === 401) {
        state.bearer = null;
        state.flash = { text: "The read-only client view has ended.", kind: "info" };
      }
      if (err.status === 401 || err.status === 404 || err.status === 403) return null;
      throw err;
    });
  }

  /* Views load data before they paint; a newer navigation wins over one still loading. */
  var renderCount = 0;
  function render() {
    var path = location.pathname.slice(ROOT.length) || "/";
    var mine = ++renderCount;
    function current() { return mine === renderCount; }
    main.className = "wrap";
    loadConfig().then(function (config) {
      if (!current()) return;
      if (config.portal_enabled === false) { showBlocked(); return; }
      for (var i = 0; i < routes.length; i++) {
        var m = routes[i][0].exec(path);
        if (!m) continue;
        var view = routes[i][1];
        if (!routes[i][2]) {
          return loadMe().then(function (me) { if (!current()) return; chrome(me); return view(me, m); });
        }
        return loadMe().then(function (me) {
          if (!current()) return;
          chrome(me);
          if (!me) { go("/", { next: here() }, true); return; }
          return view(me, m);
        });
      }
      chrome(state.me);
      page("Page not found", [h("p", { text: "There is no page at this address. " }), link("/tickets", "Go to my tickets")]);
    }).catch(function (err) {
      if (err && (err.code === "portal_blocked" || err.handled)) return;
      page("Something went wrong", [notice(err && err.message ? err.message : "The page could not be loaded.", "error")]);
    });
  }

  function showBlocked() {
    clear(nav); clear(banner);
    main.className = "wrap narrow";
    document.title = "Portal blocked · Support portal";
    clear(main);
    add(main, h("div", { "class": "card" },
      h("h1", { tabindex: "-1", text: "Portal unavailable" }),
      h("p", { "class": "notice error", role: "alert", id: "blocked", text: BLOCKED })));
  }

  function isAdmin(me) { return !!me && (me.role === "client_admin" || me.role === "admin" || me.is_admin === true); }
  function readOnly() { return !!state.bearer || !!(state.me && (state.me.read_only || state.me.impersonated_by)); }

  /* The header: navigation when logged in, and the impersonation banner. */
  function chrome(me) {
    clear(nav); clear(banner);
    if (!me) { helpLinkWhenPublic(); return; }
    var list = h("ul", null,
      h("li", null, link("/tickets", "My tickets")),
      h("li", null, link("/help", "Help")),
      readOnly() ? null : h("li", null, link("/tickets/new", "New ticket")),
      h("li", null, link("/assets", "Assets")),
      isAdmin(me) ? h("li", null, link("/colleagues", "Colleagues")) : null,
      h("li", null, link("/profile", "Profile")),
      h("li", null, h("button", { type: "button", "class": "link-button", onclick: logout, text: readOnly() ? "Stop viewing" : "Log out" })));
    add(nav, list);
    if (readOnly()) {
      var who = me.name ? me.name + " (" + me.email + ")" : me.email || "this client";
      var by = me.impersonated_by || me.impersonator;
      add(banner, h("div", { "class": "impersonation", role: "status" },
        h("div", { "class": "wrap" }, h("strong", { text: "Viewing as " + who + ", read-only." }),
          by ? " Opened by " + (by.email || by.username || by) + "." : "",
          " Nothing can be changed from this session.")));
    }
    markCurrent();
  }
  function markCurrent() {
    Array.prototype.forEach.call(nav.querySelectorAll("a"), function (a) {
      if (a.getAttribute("href") === location.pathname) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
  }
  /* The session ended under us (expired, password changed elsewhere, account disabled, the
   * agent's view timed out): say so on the log-in page, and come back here after logging in. */
  function sessionEnded() {
    var viewing = readOnly();
    var next = viewing ? null : { next: here() };
    state.flash = { text: viewing ? "The read-only client view has ended." : "Your session has ended. Log in again.", kind: "info" };
    state.bearer = null;
    state.me = null;
    /* An ended view's cookie is cleared first: it would still win over a client session of this browser. */
    (viewing ? api("DELETE", "/impersonate").catch(function () { return null; }) : Promise.resolve()).then(function () {
      go("/", next, true);
    });
  }
  function logout() {
    if (readOnly()) { /* stop viewing as the client: the view's cookie only, a client session stays */
      api("DELETE", "/impersonate").catch(function () { return null; }).then(function () {
        state.me = null;
        state.flash = { text: "You stopped viewing as the client.", kind: "info" };
        go("/");
      });
      return;
    }
    api("POST", "/logout").catch(function () { return null; }).then(function () {
      state.me = null;
      state.flash = { text: "You are logged out.", kind: "info" };
      go("/");
    });
  }

  /* ---------- public pages ---------- */
  function loginForm(next) {
    return form({
      label: "Log in", button: "Log in", authed: false,
      fields: [
        { name: "email", label: "Email", type: "email", required: true, autocomplete: "username" },
        { name: "password", label: "Password", type: "password", required: true, autocomplete: "current-password" }
      ],
      submit: function (v) {
        return api("POST", "/login", { email: v.email, password: v.password }).then(function (answer) {
          return secondFactor(answer, function () {
            state.me = null;
            var target = next && /^\/[a-z]/.test(next) ? next : "/tickets";
            history.pushState(null, "", ROOT + target);
            render();
          });
        });
      }
    });
  }
  function loginLinks() {
    return h("p", { "class": "alt-links" }, link("/forgot", "Forgot your password?"),
      state.config && state.config.self_signup ? [" · ", link("/signup", "Create an account")] : null);
  }

  function viewLogin(me) {
    if (me) { go("/tickets", null, true); return; }
    authPage("Log in", [h("p", { "class": "lead", text: "Log in to follow your support requests." }),
      loginForm(param("next")), loginLinks()]);
  }

  function viewActivate() {
    var token = param("token");
    if (!token) { authPage("Activate your account", [notice("This activation link is incomplete. Open the link from your invitation email again.", "error")]); return; }
    return api("GET", "/activation/" + encodeURIComponent(token)).then(function (info) {
      if (info && info.status === "active") { alreadyActive(); return; }
      authPage("Activate your account", [
        h("p", { "class": "lead" }, "Welcome! Set up your account for ", h("strong", { text: info.email }), "."),
        h("dl", { "class": "facts" }, h("dt", { text: "Email" }), h("dd", { id: "activation-email", text: info.email })),
        form({
          label: "Activate your account", button: "Activate account", authed: false,
          fields: [
            { name: "name", label: "Full name", required: true, autocomplete: "name", maxlength: 200, value: info.name },
            { name: "phone", label: "Phone", type: "tel", autocomplete: "tel", maxlength: 40, value: info.phone },
            { name: "password", label: "Password", type: "password", required: true, autocomplete: "new-password", minlength: 10,
              hint: "At least 10 characters; not a common password and not your email." },
            { name: "password2", label: "Repeat password", type: "password", required: true, autocomplete: "new-password" }
          ],
          check: passwordsMatch("password", "password2"),
          submit: function (v) {
            var body = { token: token, name: v.name, password: v.password };
            if (v.phone) body.phone = v.phone;
            return api("POST", "/activate", body).then(function (answer) {
              return secondFactor(answer, function () {
                state.me = null;
                state.flash = { text: "Your account is active. Welcome!", kind: "success" };
                go("/tickets");
              });
            });
          }
        })
      ]);
    }, function (err) {
      if (err.code === "token_used") { alreadyActive(); return; }
      if (err.code === "token_expired") {
        authPage("Invitation expired", [notice("This invitation link has expired. Please ask your support contact to send you a new invitation.", "error")]);
        return;
      }
      if (err.code === "portal_blocked") return;
      authPage("Activate your account", [notice(err.status === 404 ? "This activation link is not valid. Please ask your support contact for a new invitation." : err.message, "error")]);
    });
  }
  function alreadyActive() {
    authPage("Log in", [notice("Your account is already activated. Log in with your email and password.", "info"), loginForm(), loginLinks()]);
  }

  function viewVerify() {
    var token = param("token");
    if (!token) { authPage("Confirm your email", [notice("This confirmation link is incomplete. Open the link from the email again.", "error")]); return; }
    return api("POST", "/signup/verify", { token: token }).then(function (answer) {
      return secondFactor(answer, function () {
        state.me = null;
        state.flash = { text: "Your email address is confirmed. Welcome!", kind: "success" };
        go("/tickets", null, true);
      });
    }, function (err) {
      if (err.code === "token_used") { alreadyActive(); return; }
      if (err.code === "portal_blocked") return;
      var text = err.code === "token_expired" ? "This confirmation link has expired. Sign up again to get a new one." : err.message;
      authPage("Confirm your email", [notice(text, "error"), state.config.self_signup ? h("p", null, link("/signup", "Sign up again")) : null]);
    });
  }

  function viewSignup(me) {
    if (me) { go("/tickets", null, true); return; }
    if (!state.config.self_signup) {
      authPage("Sign up", [notice("Sign-up is not open. Your support contact can invite you.", "info"), h("p", null, link("/", "Back to log in"))]);
      return;
    }
    var card = authPage("Create an account", [h("p", { "class": "lead", text: "We will email you a link to confirm your address." })]);
    add(card, form({
      label: "Create an account", button: "Create account", authed: false,
      fields: [
        { name: "email", label: "Email", type: "email", required: true, autocomplete: "email" },
        { name: "name", label: "Full name", required: true, autocomplete: "name", maxlength: 200 },
        { name: "password", label: "Password", type: "password", required: true, autocomplete: "new-password", minlength: 10,
          hint: "At least 10 characters; not a common password and not your email." },
        { name: "password2", label: "Repeat password", type: "password", required: true, autocomplete: "new-password" }
      ],
      check: passwordsMatch("password", "password2"),
      submit: function (v) {
        return api("POST", "/signup", { email: v.email, name: v.name, password: v.password }).then(function () {
          authPage("Check your email", [notice("Thank you. If the address can be used, a confirmation link is on its way to " + v.email + ". Open it to activate your account.", "success"),
            h("p", null, link("/", "Back to log in"))]);
        });
      }
    }));
    add(card, h("p", { "class": "alt-links" }, "Already have an account? ", link("/", "Log in")));
  }

  function viewForgot() {
    authPage("Forgot your password?", [
      h("p", { "class": "lead", text: "Enter your email and we will send you a link to choose a new password." }),
      form({
        label: "Forgot your password", button: "Send reset link", authed: false,
        fields: [{ name: "email", label: "Email", type: "email", required: true, autocomplete: "email" }],
        submit: function (v) {
          return api("POST", "/password/forgot", { email: v.email }).then(function () {
            authPage("Check your email", [notice("If an account exists for " + v.email + ", a link to reset the password is on its way.", "success"),
              h("p", null, link("/", "Back to log in"))]);
          });
        }
      }),
      h("p", { "class": "alt-links" }, link("/", "Back to log in"))
    ]);
  }

  function viewReset() {
    var token = param("token");
    if (!token) { authPage("Choose a new password", [notice("This reset link is incomplete. Open the link from the email again.", "error")]); return; }
    authPage("Choose a new password", [form({
      label: "Choose a new password", button: "Save new password", authed: false,
      fields: [
        { name: "password", label: "New password", type: "password", required: true, autocomplete: "new-password", minlength: 10,
          hint: "At least 10 characters; not a common password and not your email." },
        { name: "password2", label: "Repeat new password", type: "password", required: true, autocomplete: "new-password" }
      ],
      check: passwordsMatch("password", "password2"),
      submit: function (v) {
        return api("POST", "/password/reset", { token: token, password: v.password }).then(function () {
          state.me = null;
          authPage("Log in", [notice("Your password has been changed. Log in with the new one.", "success"), loginForm(), loginLinks()]);
        }, function (err) {
          if (err.code === "token_expired" || err.code === "token_used") {
            err.message = "This reset link can no longer be used. Ask for a new one from the “Forgot your password?” page.";
          }
          throw err;
        });
      }
    })]);
  }

  /* An agent's "login as client" link: <portal>/impersonate#token=<read-only session token>.
   * The token becomes the view's own HttpOnly cookie, so a reload keeps the view until it expires. */
  function viewImpersonate() {
    var token = new URLSearchParams(location.hash.slice(1)).get("token");
    if (!token) { authPage("View as client", [notice("This link is incomplete. Open it again from the agent tool.", "error")]); return; }
    history.replaceState(null, "", location.pathname); /* the token leaves the address bar */
    state.me = null; /* a refused link is no reason to end a client session of this browser */
    return api("POST", "/impersonate", { token: token }).then(function () {
      state.me = null;
      go("/tickets", null, true);
    }, function (err) {
      authPage("View as client", [notice(err.status === 401 ? "This link has expired. Open the client's portal again from the agent tool." : err.message, "error")]);
    });
  }

  /* ---------- tickets ---------- */
  function viewTickets(me) {
    var status = param("status") || "";
    var scope = isAdmin(me) && param("scope") === "organization" ? "organization" : "";
    var tbody = h("tbody");
    var table = h("table", { "class": "tickets" },
      h("caption", { "class": "visually-hidden", text: scope ? "Tickets of my organization" : "My tickets" }),
      h("thead", null, h("tr", null, h("th", { scope: "col", text: "#" }), h("th", { scope: "col", text: "Subject" }),
        h("th", { scope: "col", text: "Status" }), scope ? h("th", { scope: "col", text: "Requester" }) : null,
        h("th", { scope: "col", "class": "wide-only", text: "Last update" }))), tbody);
    var more = h("button", { type: "button", "class": "secondary", hidden: true, text: "Load more tickets" });
    var empty = h("p", { "class": "empty", hidden: true, text: status ? "No tickets with this status." : "You have no tickets yet." });
    var live = h("p", { "class": "visually-hidden", role: "status" });
    var cursor = null;

    function filterChanged() {
      go("/tickets", { status: statusSel.querySelector("select").value, scope: scopeSel ? scopeSel.querySelector("select").value : "" }, true);
    }
    var statusSel = field({ name: "status", label: "Status", type: "select", value: status,
      options: [["", "All statuses"]].concat(STATUSES.map(function (s) { return [s, cap(s)]; })) });
    statusSel.querySelector("label").textContent = "Status";
    statusSel.querySelector("select").addEventListener("change", filterChanged);
    var scopeSel = null;
    if (isAdmin(me)) {
      scopeSel = field({ name: "scope", label: "Show", type: "select", value: scope,
        options: [["", "Tickets I requested"], ["organization", "All tickets of my organization"]] });
      scopeSel.querySelector("label").textContent = "Show";
      scopeSel.querySelector("select").addEventListener("change", filterChanged);
    }

    /* The API filters after it reads a page, so a filtered page can come back short (even
     * empty) with a cursor: keep reading, a few requests at most, until a page is full. */
    function load() {
      more.disabled = true;
      return fetchPage([], 0).then(show);
    }
    function fetchPage(got, rounds) {
      return api("GET", "/tickets" + qs({ status: status, scope: scope, cursor: cursor, limit: String(PAGE - got.length) })).then(function (res) {
        got = got.concat(res.items || []);
        cursor = res.next_cursor || null;
        return cursor && got.length < PAGE && rounds < 4 ? fetchPage(got, rounds + 1) : got;
      });
    }
    function show(items) {
      items.forEach(function (t) {
        tbody.appendChild(h("tr", null,
          h("td", { "class": "num", text: String(t.number) }),
          h("td", null, link("/tickets/" + encodeURIComponent(t.number), t.subject || "(no subject)")),
          h("td", null, badge(t.status)),
          scope ? h("td", { text: requesterName(t) }) : null,
          h("td", { "class": "wide-only" }, h("time", { datetime: t.updated_at || t.created_at, text: when(t.updated_at || t.created_at) }))));
      });
      more.hidden = !cursor;
      more.disabled = false;
      empty.hidden = tbody.childNodes.length > 0;
      table.hidden = tbody.childNodes.length === 0;
      live.textContent = tbody.childNodes.length + (tbody.childNodes.length === 1 ? " ticket" : " tickets") + " shown.";
    }
    more.addEventListener("click", function () {
      var shown = tbody.rows.length;
      /* The button may hide now: keyboard focus moves to the first ticket just added. */
      load().then(function () { var a = tbody.rows[shown] && tbody.rows[shown].querySelector("a"); if (a) a.focus(); }).catch(listError);
    });
    function listError(err) { more.disabled = false; if (!err.handled) add(main, notice(err.message, "error")); }

    page(scope ? "Tickets of my organization" : "My tickets", [
      h("div", { "class": "toolbar" }, h("div", { "class": "filters" }, statusSel, scopeSel),
        readOnly() ? null : link("/tickets/new", "New ticket", "button")),
      table, empty, more, live
    ]);
    return load().catch(listError);
  }
  /* Assets (portal-assets.js): its list and asset pages, and the new-ticket form's choices. */
  function assetsView(view) {
    return function (me, m) { return loadPart("portal-assets", PART_LOST).then(function (a) { return a[view](me, m); }); };
  }
  function viewHelp() { return loadPart("portal-kb", PART_LOST).then(function (kb) { return kb.view(); }); }
  /* Visitors without a session see "Help" when there are public articles to read. */
  var publicHelp = null;
  function helpLinkWhenPublic() {
    if (publicHelp === null) publicHelp = api("GET", "/kb/articles?limit=1").then(function (r) { return !!(r && r.items && r.items.length); }, function () { return false; });
    publicHelp.then(function (any) {
      if (any && !state.me && !nav.firstChild) add(nav, h("ul", null, h("li", null, link("/help", "Help"))));
    });
  }

  function requesterName(t) {
    var r = t.requester || {};
    return t.requester_name || r.name || r.email || t.requester_email || "";
  }

  function viewNewTicket() {
    if (readOnly()) { page("New ticket", [notice("This session is read-only.", "info")]); return; }
    var keyFor = idempotency();
    /* The client's assets to choose from (portal-assets.js), when they have any. */
    var choices = loadPart("portal-assets", PART_LOST).then(function (a) { return a.choices(); }).catch(function () { return []; });
    return Promise.all([withFiles(), choices]).then(function (got) { var assets = got[1]; page("New ticket", [h("p", { "class": "lead", text: "Tell us what you need; we will reply by email and here." }), form({
      label: "New ticket", button: "Create ticket", files: true,
      fields: [
        { name: "subject", label: "Subject", required: true, maxlength: 200 },
        { name: "description", label: "Description", type: "textarea", required: true, rows: 8, maxlength: 20000 },
        { name: "priority", label: "Priority", type: "select", value: "",
          options: [["", "Normal"]].concat(PRIORITIES.filter(function (p) { return p !== "normal"; }).map(function (p) { return [p, cap(p)]; })) },
        categoryField((state.config && state.config.ticket_categories) || [])
      ].concat(assets.length ? [{ name: "asset_id", label: "Asset", type: "select", value: param("asset") || "",
        options: [["", "None"]].concat(assets) }] : []),
      submit: function (v) {
        var body = { subject: v.subject, description: v.description };
        if (v.priority) body.priority = v.priority;
        if (v.category) body.category = v.category;
        if (v.attachments.length) body.attachments = v.attachments;
        if (v.asset_id) body.asset_id = v.asset_id;
        return api("POST", "/tickets", body, keyFor(body)).then(function (t) {
          state.flash = { text: "Ticket #" + t.number + " was created.", kind: "success" };
          go("/tickets/" + t.number);
        });
      }
    })]);
    var subject = main.querySelector("[name=subject]");
    if (subject) loadPart("portal-kb", PART_LOST).then(function (kb) { kb.suggest(subject, subject.closest(".field") || subject); }, function () { return null; });
    });
  }

  /* The portal's categories when the settings list them, otherwise free text. */
  function categoryField(categories) {
    if (!categories.length) return { name: "category", label: "Category", maxlength: 100 };
    return { name: "category", label: "Category", type: "select", value: "",
      options: [["", "None"]].concat(categories.map(function (c) { return [c, c]; })) };
  }

  /* The ticket carries the first notes; a long conversation goes on behind next_notes_cursor.
   * Read it all before showing it: a reply is appended at the end, after every earlier note. */
  function withAllNotes(t) {
    var cursor = t.next_notes_cursor;
    if (!cursor) return Promise.resolve(t);
    return api("GET", "/tickets/" + t.number + "/notes" + qs({ cursor: cursor, limit: "100" })).then(function (res) {
      t.notes = (t.notes || []).concat(res.items || []);
      t.next_notes_cursor = res.next_cursor || null;
      return withAllNotes(t);
    });
  }

  function viewTicket(me, m) {
    var number = m[1];
    return Promise.all([api("GET", "/tickets/" + number).then(withAllNotes), withFiles()]).then(function (got) {
      var t = got[0];
      var open = ["resolved", "closed"].indexOf(t.status) < 0;
      var notes = t.notes || (t.conversation || []);
      var details = h("section", { "class": "ticket-head", "aria-label": "Ticket details" },
        h("dl", { "class": "facts" },
          h("dt", { text: "Status" }), h("dd", null, badge(t.status)),
          t.priority ? [h("dt", { text: "Priority" }), h("dd", { text: cap(t.priority) })] : null,
          h("dt", { text: "Opened" }), h("dd", { text: when(t.created_at) }),
          requesterName(t) ? [h("dt", { text: "Requester" }), h("dd", { text: requesterName(t) })] : null,
          t.asset ? [h("dt", { text: "Asset" }), h("dd", null, link("/assets/" + t.asset.id, t.asset.name || "Asset"))] : null));
      var description = h("div", { "class": "message" },
        h("div", { "class": "message-meta" }, h("strong", { text: requesterName(t) || "You" }), " · ", when(t.created_at)),
        h("p", { "class": "message-body", text: t.description || "" }), Files.list(t, t.attachments));
      var conversation = h("ol", { "class": "conversation", "aria-label": "Conversation" }, notes.map(function (n) { return noteItem(n, t); }));
      var parts = [details, h("h2", { text: "Description" }), description,
        h("h2", { text: "Conversation" }), notes.length ? conversation : h("p", { "class": "empty", text: "No replies yet." })];
      /* Editing and rating are the requester's; a client admin reading a colleague's ticket may reply. */
      var requester = !!(t.requester && t.requester.id === me.id);
      var canRate = !readOnly() && requester && t.status === "resolved" && state.config.allow_client_rating;
      if (!readOnly()) {
        if (t.status === "closed") {
          parts.push(h("p", { "class": "notice info" }, "This ticket is closed. To follow up, ", link("/tickets/new", "open a new ticket"), "."));
        } else {
          parts.push(replyForm(t, conversation));
        }
        if (open && requester && t.editable !== false) parts.push(editSection(t));
        if (canRate) parts.push(ratingSection(t));
        var watchSlot = h("section", { "class": "panel", id: "watch", "aria-label": "Email me about" });
        parts.push(watchSlot);
        loadPart("portal-org").then(function (o) { o.watchPanel(watchSlot, t); });
      }
      if (t.rating && !canRate) parts.push(ratingShown(t.rating));
      var heading = page("#" + t.number + " " + (t.subject || ""), parts);
      heading.parentNode.insertBefore(h("p", { "class": "crumbs" }, link("/tickets", "← My tickets")), heading);
      /* The resolved-ticket email links to #rate: start at the rating form. */
      var rate = location.hash === "#rate" && document.getElementById("rate");
      if (rate) rate.querySelector("h2").focus();
    }, function (err) {
      if (err.handled || err.code === "portal_blocked") return;
      if (err.status === 401) { state.me = null; go("/", { next: here() }, true); return; }
      page("Ticket not found", [notice(err.status === 404 ? "This ticket does not exist or you cannot see it." : err.message, "error"),
        h("p", null, link("/tickets", "Back to my tickets"))]);
    });
  }
  function noteItem(n, t) {
    var kind = (n.author && n.author.kind) || "client";
    var author = (n.author && n.author.name) || (kind === "agent" ? "Support" : "You");
    var mine = kind !== "agent";
    return h("li", { "class": "message" + (mine ? " mine" : " theirs") },
      h("div", { "class": "message-meta" }, h("strong", { text: author }), " · ",
        h("time", { datetime: n.created_at, text: when(n.created_at) })),
      h("p", { "class": "message-body", text: n.body || "" }), Files.list(t, n.attachments));
  }
  function replyForm(t, conversation) {
    /* A client's reply reopens a resolved or pending ticket: then the whole page changes. */
    var reopens = t.status === "resolved" || t.status === "pending";
    var keyFor = idempotency();
    var section = h("section", { "class": "panel", "aria-labelledby": "reply-h" }, h("h2", { id: "reply-h", text: "Reply" }));
    section.appendChild(form({
      label: "Reply", button: "Send reply", files: true,
      fields: [{ name: "body", label: "Your reply", type: "textarea", required: true, rows: 5, maxlength: 20000,
        hint: t.status === "resolved" ? "Replying reopens this ticket." : null }],
      submit: function (v, el) {
        var body = { body: v.body };
        if (v.attachments.length) body.attachments = v.attachments;
        return api("POST", "/tickets/" + t.number + "/notes", body, keyFor(body)).then(function (note) {
          keyFor(null); /* sent: the same words again are a new reply */
          if (reopens) {
            state.flash = { text: "Your reply was sent.", kind: "success" };
            render();
            return;
          }
          if (!conversation.parentNode) {
            var empty = main.querySelector(".empty");
            if (empty) empty.replaceWith(conversation);
          }
          conversation.appendChild(noteItem(note || { body: v.body }, t));
          el.reset();
          say(el, "Your reply was sent.");
        });
      }
    }));
    return section;
  }
  function editSection(t) {
    var details = h("details", { "class": "panel" }, h("summary", { text: "Edit ticket" }));
    details.appendChild(form({
      label: "Edit ticket", button: "Save changes", secondary: true,
      fields: [
        { name: "subject", label: "Subject", required: true, maxlength: 200, value: t.subject },
        { name: "description", label: "Description", type: "textarea", required: true, rows: 6, value: t.description },
        { name: "priority", label: "Priority", type: "select", value: t.priority || "normal",
          options: PRIORITIES.map(function (p) { return [p, cap(p)]; }) }
      ],
      submit: function (v) {
        var body = { subject: v.subject, description: v.description };
        if (v.priority !== (t.priority || "normal")) body.priority = v.priority;
        if (t.version !== undefined) body.version = t.version;
        return api("PATCH", "/tickets/" + t.number, body).then(function () {
          state.flash = { text: "Your changes were saved.", kind: "success" };
          render();
        });
      }
    }));
    return details;
  }
  function ratingShown(r) {
    return h("section", { "class": "panel" }, h("h2", { text: "Rating" }),
      h("p", { text: "Rated " + r.score + " out of 5." + (r.comment ? " “" + r.comment + "”" : "") }));
  }
  function ratingSection(t) {
    if (t.rating) return ratingShown(t.rating);
    var labels = ["1 – Very poor", "2 – Poor", "3 – OK", "4 – Good", "5 – Excellent"];
    var name = "score" + (++uid);
    var radios = h("fieldset", { "class": "stars field", "data-field": "score" },
      h("legend", { text: "How satisfied are you with how this ticket was handled?" }),
      labels.map(function (text, i) {
        var id = name + "-" + (i + 1);
        return h("span", { "class": "star" }, h("input", { type: "radio", id: id, name: "score", value: String(i + 1) }),
          h("label", { "for": id, text: text }));
      }),
      h("p", { "class": "field-error" }));
    var section = h("section", { "class": "panel rating", id: "rate", "aria-labelledby": "rate-h" },
      h("h2", { id: "rate-h", tabindex: "-1", text: "Rate this ticket" }));
    section.appendChild(form({
      label: "Rate this ticket", button: "Send rating",
      extra: radios,
      fields: [{ name: "comment", label: "Comment", type: "textarea", rows: 3, maxlength: 2000 }],
      check: function () {
        return section.querySelector("input[name=score]:checked") ? null : { message: "Choose a score from 1 to 5.", fields: { score: "Choose a score." } };
      },
      submit: function (v) {
        var score = Number(section.querySelector("input[name=score]:checked").value);
        var body = { score: score };
        if (v.comment) body.comment = v.comment;
        return api("POST", "/tickets/" + t.number + "/rating", body).then(function () {
          var shown = ratingShown(body);
          add(shown, notice("Thank you for your rating.", "success"));
          section.replaceWith(shown);
        });
      }
    }));
    return section;
  }

  /* ---------- profile ---------- */
  function viewProfile(me) {
    var parts = [h("dl", { "class": "facts" }, h("dt", { text: "Email" }), h("dd", { text: me.email || "" }),
      me.organization_name ? [h("dt", { text: "Organization" }), h("dd", { text: me.organization_name })] : null)];
    if (readOnly()) {
      parts.push(h("dl", { "class": "facts" }, h("dt", { text: "Name" }), h("dd", { text: me.name || "" }),
        h("dt", { text: "Phone" }), h("dd", { text: me.phone || "" })));
      page("Profile", parts);
      return;
    }
    parts.push(h("section", { "class": "panel", "aria-labelledby": "contact-h" }, h("h2", { id: "contact-h", text: "Contact details" }), form({
      label: "Contact details", button: "Save profile",
      fields: [
        { name: "name", label: "Full name", required: true, autocomplete: "name", maxlength: 200, value: me.name },
        { name: "phone", label: "Phone", type: "tel", autocomplete: "tel", maxlength: 40, value: me.phone }
      ],
      submit: function (v) {
        return api("PATCH", "/me", { name: v.name, phone: v.phone }).then(function (updated) {
          state.me = updated && updated.email ? updated : null;
          state.flash = { text: "Your profile was saved.", kind: "success" };
          render();
        });
      }
    })));
    parts.push(h("section", { "class": "panel", "aria-labelledby": "pw-h" }, h("h2", { id: "pw-h", text: "Change password" }), form({
      label: "Change password", button: "Change password",
      fields: [
        { name: "current_password", label: "Current password", type: "password", required: true, autocomplete: "current-password" },
        { name: "new_password", label: "New password", type: "password", required: true, autocomplete: "new-password", minlength: 10,
          hint: "At least 10 characters; not a common password and not your email." },
        { name: "new_password2", label: "Repeat new password", type: "password", required: true, autocomplete: "new-password" }
      ],
      check: passwordsMatch("new_password", "new_password2"),
      submit: function (v, el) {
        return api("POST", "/me/password", { current_password: v.current_password, new_password: v.new_password }).then(function () {
          el.reset();
          say(el, "Your password was changed. Other sessions were logged out.");
        });
      }
    })));
    var twoStep = h("section", { "class": "panel", id: "mfa", "aria-labelledby": "mfa-h", hidden: true });
    parts.push(twoStep);
    loadPart("portal-mfa").then(function (mfa) { mfa.profile(twoStep); }).catch(function () { return null; });
    page("Profile", parts);
  }

  /* ---------- colleagues (client admins) ---------- */
  function viewColleagues(me) {
    if (!isAdmin(me)) { page("Colleagues", [notice("Only client admins can manage colleagues.", "info")]); return; }
    var tbody = h("tbody");
    var table = h("table", { "class": "people" },
      h("caption", { "class": "visually-hidden", text: "Colleagues" }),
      h("thead", null, h("tr", null, h("th", { scope: "col", text: "Name" }), h("th", { scope: "col", text: "Email" }),
        h("th", { scope: "col", "class": "wide-only", text: "Role" }), h("th", { scope: "col", text: "Status" }),
        readOnly() ? null : h("th", { scope: "col", text: "Actions" }))), tbody);
    var listError = h("div", { role: "alert", "class": "form-error" });
    var more = h("button", { type: "button", "class": "secondary", hidden: true, text: "Load more colleagues" });
    var cursor = null;

    function row(c) {
      var actions = h("td");
      if (!readOnly()) {
        if (c.id !== me.id && c.status !== "disabled" && !c.disabled) {
          actions.appendChild(h("button", { type: "button", "class": "danger small", text: "Deactivate " + (c.name || c.email),
            onclick: function (ev) { confirmDisable(ev.currentTarget, c); } }));
        } else if (c.id === me.id) {
          actions.textContent = "You";
        }
      }
      return h("tr", null, h("td", { text: c.name || "—" }), h("td", { text: c.email }),
        h("td", { "class": "wide-only", text: c.role === "client_admin" ? "Admin" : "User" }),
        h("td", null, badge(c.disabled ? "disabled" : c.status)), readOnly() ? null : actions);
    }
    function confirmDisable(button, c) {
      var cell = button.parentNode;
      clear(cell);
      var yes = h("button", { type: "button", "class": "danger small", text: "Yes, deactivate " + (c.name || c.email) });
      var no = h("button", { type: "button", "class": "secondary small", text: "Cancel" });
      add(cell, [yes, " ", no]);
      yes.focus();
      no.addEventListener("click", function () { cell.parentNode.replaceWith(row(c)); });
      yes.addEventListener("click", function () {
        yes.disabled = true;
        api("POST", "/organization/clients/" + encodeURIComponent(c.id) + "/disable").then(function (updated) {
          var next = updated && updated.id ? updated : Object.assign({}, c, { status: "disabled" });
          cell.parentNode.replaceWith(row(next));
          listError.textContent = (c.name || c.email) + " was deactivated.";
        }, function (err) { yes.disabled = false; if (!err.handled) listError.textContent = err.message; });
      });
    }
    function load() {
      return api("GET", "/organization/clients" + qs({ cursor: cursor })).then(function (res) {
        (res.items || []).forEach(function (c) { tbody.appendChild(row(c)); });
        cursor = res.next_cursor || null;
        more.hidden = !cursor;
      }, function (err) { if (!err.handled) listError.textContent = err.message; });
    }
    more.addEventListener("click", load);
    var parts = [listError, table, more];
    if (!readOnly()) {
      parts.push(h("section", { "class": "panel", "aria-labelledby": "invite-h" }, h("h2", { id: "invite-h", text: "Invite a colleague" }), form({
        label: "Invite a colleague", button: "Send invitation",
        fields: [
          { name: "email", label: "Email", type: "email", required: true, autocomplete: "off" },
          { name: "name", label: "Name", maxlength: 200 }
        ],
        submit: function (v, el) {
          var body = { email: v.email };
          if (v.name) body.name = v.name;
          /* 202 and the same answer for any address: the list, read again, shows the invitation. */
          return api("POST", "/organization/clients", body).then(function () {
            el.reset();
            say(el, "Invitation sent to " + v.email + ".");
            clear(tbody);
            cursor = null;
            return load();
          });
        }
      })));
    }
    page("Colleagues", parts);
    return load();
  }

  /* ---------- boot ---------- */
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest ? ev.target.closest("a[data-link]") : null;
    if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    history.pushState(null, "", a.getAttribute("href"));
    render();
  });
  window.addEventListener("popstate", render);
  render();
})();
