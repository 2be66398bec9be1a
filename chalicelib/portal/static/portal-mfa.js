/* Portico client portal: two-step sign-in (product.md §11), loaded by portal.js only when it is
 * needed (the code step after the password, the profile's "Two-step sign-in" panel), so the
 * log-in page's first load stays small. Same safety rules as portal.js: the DOM is built with
 * createElement/textContent only; the QR code is the server's SVG shown as an image (an SVG in
 * an <img> runs nothing); nothing goes to web storage. */
(function () {
  "use strict";

  window.PorticoModules = window.PorticoModules || {};
  window.PorticoModules["portal-mfa"] = function (kit) {
    var h = kit.h;

    /* ---------- the code step after the password ---------- */
    function codeStep(answer, done) {
      var app = answer.methods.indexOf("totp") >= 0;
      var remember = h("input", { type: "checkbox", id: "mfa-remember", name: "remember_device" });
      var form = kit.form({
        label: "Enter your code", button: "Verify", authed: false,
        fields: [{ name: "code", label: app ? "Code or recovery code" : "Code", required: true,
          autocomplete: "one-time-code", inputmode: app ? null : "numeric", maxlength: 32 }],
        submit: function (v) {
          var body = { challenge: answer.challenge, code: v.code.replace(/\s+/g, ""), remember_device: remember.checked };
          return kit.api("POST", "/login/mfa", body).then(function () { done(); }, function (err) {
            if (err.code === "token_expired" || err.code === "token_used") {
              err.message = "This sign-in can no longer be completed. Log in again.";
            }
            throw err;
          });
        }
      });
      form.insertBefore(h("div", { "class": "check" }, remember,
        h("label", { "for": "mfa-remember", text: " Remember this device for 30 days" })), form.querySelector(".actions"));
      kit.authPage("Enter your code", [
        h("p", { "class": "lead", text: app
          ? "Enter the 6-digit code from your authenticator app, or one of your recovery codes."
          : "We have emailed you a 6-digit code. Enter it to finish logging in; it expires in 10 minutes." }),
        form,
        h("p", { "class": "alt-links" }, kit.link("/", "Start again"))]);
      form.elements.code.focus();
    }

    /* ---------- the profile's panel ---------- */
    function profile(section) {
      kit.api("GET", "/me/mfa").then(function (status) { show(section, status); }, function () { return null; });
    }

    function methodNames(status) {
      var names = { totp: "an authenticator app", email: "codes by email" };
      return status.methods.map(function (m) { return names[m] || m; }).join(" and ");
    }

    function show(section, status) {
      kit.clear(section);
      if (status.policy === "off") { section.hidden = true; return; }
      section.hidden = false;
      kit.add(section, h("h2", { id: "mfa-h", text: "Two-step sign-in" }));
      var on = status.methods.length > 0;
      kit.add(section, h("p", { id: "mfa-status", text: on
        ? "On: you sign in with your password and " + methodNames(status) + "."
        : (status.required ? "Required for your account: you will get a code by email when you log in."
          : "Off: your password alone lets you in.") }));
      if (status.methods.indexOf("totp") >= 0) {
        kit.add(section, h("p", { id: "mfa-recovery-left", text: "Recovery codes left: " + status.recovery_codes_left + "." }));
      } else {
        kit.add(section, h("button", { type: "button", id: "mfa-totp-start", text: "Set up an authenticator app",
          onclick: function () { enrol(section); } }));
      }
      if (!on) {
        kit.add(section, [" ", h("button", { type: "button", "class": "secondary", id: "mfa-email-on",
          text: "Send me codes by email", onclick: function () {
            kit.api("POST", "/me/mfa/email").then(function (next) { show(section, next); });
          } })]);
      }
      if (on && !status.required) {
        kit.add(section, kit.form({
          label: "Turn two-step sign-in off", button: "Turn off", secondary: true,
          fields: [{ name: "password", label: "Password", type: "password", required: true, autocomplete: "current-password" }],
          submit: function (v) {
            return kit.api("POST", "/me/mfa/disable", { password: v.password }).then(function (next) { show(section, next); });
          }
        }));
      }
    }

    function svgImage(svg) {
      var data = window.btoa(unescape(encodeURIComponent(svg)));
      return h("img", { "class": "qr", id: "mfa-qr", src: "data:image/svg+xml;base64," + data, width: 200, height: 200,
        alt: "QR code to scan with your authenticator app" });
    }

    function enrol(section) {
      kit.api("POST", "/me/mfa/totp").then(function (enrolment) {
        kit.clear(section);
        kit.add(section, [
          h("h2", { id: "mfa-h", text: "Set up an authenticator app" }),
          h("p", { text: "Scan this code with your authenticator app, or type the key into it by hand. Then enter the 6-digit code it shows." }),
          svgImage(enrolment.qr_svg),
          h("p", null, "Key: ", h("code", { id: "mfa-secret", text: enrolment.secret })),
          kit.form({
            label: "Confirm the authenticator app", button: "Confirm",
            fields: [{ name: "code", label: "Code from the app", required: true, autocomplete: "one-time-code",
              inputmode: "numeric", maxlength: 8 }],
            submit: function (v) {
              return kit.api("POST", "/me/mfa/totp/confirm", { code: v.code.replace(/\s+/g, "") }).then(function (answer) {
                recoveryCodes(section, answer.recovery_codes);
              });
            }
          })
        ]);
      }, function (err) {
        kit.add(section, kit.notice(err.message, "error"));
      });
    }

    function recoveryCodes(section, codes) {
      var copied = h("span", { role: "status" });
      kit.clear(section);
      kit.add(section, [
        h("h2", { id: "mfa-h", text: "Your recovery codes" }),
        kit.notice("The authenticator app is set up. Keep these codes somewhere safe: each lets you sign in once without the app. They are shown only now.", "success"),
        h("ul", { "class": "recovery-codes", id: "mfa-recovery-codes" }, codes.map(function (c) { return h("li", null, h("code", { text: c })); })),
        h("div", { "class": "actions" },
          h("button", { type: "button", "class": "secondary", text: "Copy codes", onclick: function () {
            var text = codes.join("\n");
            var copying = navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.reject(new Error("no clipboard"));
            copying.then(function () { copied.textContent = " Copied."; }, function () { copied.textContent = " Select the codes and copy them."; });
          } }),
          h("button", { type: "button", id: "mfa-done", text: "Done", onclick: function () { profile(section); } }),
          copied)
      ]);
    }

    return { codeStep: codeStep, profile: profile };
  };
})();
