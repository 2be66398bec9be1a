/* Portico client portal: attachments. portal.js loads this script the first time a page needs
 * it (the log-in page never does) and hands it its kit. The same safety rules hold as in
 * portal.js: DOM built with createElement/textContent only, no web storage, X-Requested-With on
 * every write (through portal.js's api()). */
window.PorticoModules = window.PorticoModules || {};
window.PorticoModules["portal-files"] = function (p) {
  "use strict";
  var h = p.h, clear = p.clear, api = p.api, ApiError = p.ApiError, readOnly = p.readOnly, ROOT = p.ROOT;

  function bytes(n) {
    return n < 1024 ? n + " B" : n < 1048576 ? Math.round(n / 102.4) / 10 + " KB" : Math.round(n / 104857.6) / 10 + " MB";
  }
  /* Browsers give no type for some text files (.log): name it as the server expects. */
  function typeOf(file) { return file.type || (/\.(log|txt)$/i.test(file.name) ? "text/plain" : "application/octet-stream"); }
  /* The limits /portal/config may publish; without them the server's refusal is shown. */
  function refused(file) {
    var c = p.state.config || {}, type = typeOf(file), ext = "." + file.name.split(".").pop().toLowerCase();
    if (c.upload_max_mb && file.size > c.upload_max_mb * 1048576) return "This file is larger than the " + c.upload_max_mb + " MB limit.";
    if (!file.size) return "This file is empty.";
    if (c.upload_types && !c.upload_types.some(function (t) {
      t = String(t).toLowerCase();
      return t === type || t === ext || (/\/\*$/.test(t) && type.indexOf(t.slice(0, -1)) === 0);
    })) return "This type of file (" + type + ") cannot be attached.";
    return null;
  }
  /* Each chosen or dropped file goes straight to S3 (a presigned POST from /portal/uploads),
   * with a progress bar; the form sends only the ids of finished uploads. */
  function attacher() {
    var items = [];
    var input = h("input", { type: "file", multiple: true, hidden: true, "aria-label": "Attach files" });
    var list = h("ul", { "class": "uploads", "aria-label": "Files to attach" });
    var max = (p.state.config || {}).upload_max_mb, hint = p.newId();
    var button = h("button", { type: "button", "class": "secondary", text: "Attach files", "aria-describedby": hint,
      onclick: function () { input.click(); } });
    var controls = [button, input, h("span", { "class": "attach-hint", id: hint,
      text: "or drop them on this form: up to 10 files" + (max ? ", " + max + " MB each." : ".") })];
    input.addEventListener("change", function () { pick(input.files); input.value = ""; });
    function pick(files) { Array.prototype.forEach.call(files || [], upload); }
    function upload(file) {
      var item = { busy: true };
      var bar = h("progress", { max: 100, value: 0, "aria-label": "Upload of " + file.name });
      var msg = h("span", { "class": "upload-msg", role: "status", text: "Uploading…" });
      var li = h("li", null, h("span", { "class": "file-name", text: file.name }), " ", h("span", { "class": "size", text: bytes(file.size) }), bar, msg,
        h("button", { type: "button", "class": "link-button", onclick: function () { items.splice(items.indexOf(item), 1); li.remove(); button.focus(); } },
          "Remove", h("span", { "class": "visually-hidden", text: " " + file.name })));
      list.appendChild(li);
      items.push(item);
      function fail(text) { item.busy = false; item.failed = true; bar.hidden = true; msg.className = "upload-msg error"; msg.textContent = text; }
      var local = items.length > 10 ? "At most 10 files can be attached." : refused(file);
      if (local) return fail(local);
      api("POST", "/uploads", { filename: file.name, content_type: typeOf(file), size: file.size }).then(function (u) {
        return new Promise(function (resolve, reject) {
          var data = new FormData();
          Object.keys(u.fields || {}).forEach(function (k) { data.append(k, u.fields[k]); });
          data.append("file", file);
          var xhr = new XMLHttpRequest();
          xhr.open("POST", u.url);
          xhr.upload.onprogress = function (ev) { if (ev.lengthComputable) bar.value = Math.round(ev.loaded * 100 / ev.total); };
          xhr.onload = function () {
            if (xhr.status < 300) resolve(u);
            else reject(new ApiError(xhr.status, { message: "The file storage refused this file (too large, or not the declared type)." }));
          };
          xhr.onerror = function () { reject(new ApiError(0, { message: "The upload failed. Check your connection and try again." })); };
          xhr.send(data);
        });
      }).then(function (u) {
        item.busy = false; item.id = u.upload_id; bar.value = 100; msg.textContent = "Uploaded.";
      }, function (err) {
        var why = Object.keys(err.fields || {}).map(function (k) { return err.fields[k]; });
        fail(err.handled ? "Not uploaded." : why.length ? err.message.replace(/\.$/, "") + ": " + why.join("; ") : err.message);
      });
    }
    return {
      list: list, controls: controls,
      bind: function (el) {
        function files(ev) { return ev.dataTransfer && Array.prototype.indexOf.call(ev.dataTransfer.types, "Files") >= 0; }
        el.addEventListener("dragover", function (ev) { if (files(ev)) { ev.preventDefault(); el.classList.add("dropping"); } });
        el.addEventListener("dragleave", function (ev) { if (!el.contains(ev.relatedTarget)) el.classList.remove("dropping"); });
        el.addEventListener("drop", function (ev) { if (files(ev)) { ev.preventDefault(); el.classList.remove("dropping"); pick(ev.dataTransfer.files); } });
        el.addEventListener("reset", function () { items = []; clear(list); });
      },
      problem: function () {
        if (items.some(function (i) { return i.busy; })) return { message: "Please wait until the files have uploaded." };
        if (items.some(function (i) { return i.failed; })) return { message: "Remove the files that could not be attached, then send again." };
        return null;
      },
      ids: function () { return items.map(function (i) { return i.id; }); }
    };
  }
  function signedUrl(t, f) {
    return api("GET", "/tickets/" + t.number + "/attachments/" + encodeURIComponent(f.id) + "?redirect=false").then(function (r) { return r.url; });
  }
  /* A file of a ticket or note: name (a download link), size, and a thumbnail for images. The
   * link's route answers a redirect to a short-lived download; the read-only view has no
   * cookie, so it asks for that URL with its token instead. */
  function fileList(t, files) {
    if (!files || !files.length) return null;
    return h("ul", { "class": "files", "aria-label": "Attachments" }, files.map(function (f) {
      var li = h("li", null, h("a", { href: ROOT + "/tickets/" + t.number + "/attachments/" + encodeURIComponent(f.id), text: f.filename,
        onclick: readOnly() ? function (ev) { ev.preventDefault(); signedUrl(t, f).then(function (url) { location.href = url; }, function () {}); } : null }),
        " ", h("span", { "class": "size", text: bytes(f.size) }));
      if (/^image\/(png|jpeg|gif|webp)$/.test(f.content_type)) {
        signedUrl(t, f).then(function (url) {
          li.insertBefore(h("img", { "class": "thumb", src: url, alt: "Preview of " + f.filename }), li.firstChild);
        }, function () {});
      }
      return li;
    }));
  }
  return { attacher: attacher, list: fileList };
};
