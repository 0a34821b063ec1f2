// Passkeys in the browser: add one, sign in with one (button or autofill), or use one as
// the second step. Each [data-passkey] element names its two endpoints; the server holds
// the challenge, and this script only carries the WebAuthn options and answers across.
(function () {
  "use strict";

  var supported = !!(window.PublicKeyCredential && navigator.credentials);

  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(b64 + "===".slice((b64.length + 3) % 4));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(o) {
    o.challenge = toBytes(o.challenge);
    o.user.id = toBytes(o.user.id);
    (o.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return o;
  }

  function requestOptions(o) {
    o.challenge = toBytes(o.challenge);
    (o.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return o;
  }

  function credentialJSON(cred) {
    var r = cred.response, response = {clientDataJSON: toB64url(r.clientDataJSON)};
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) response.userHandle = toB64url(r.userHandle);
    }
    return {
      id: cred.id, rawId: toB64url(cred.rawId), type: cred.type, response: response,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
    };
  }

  function post(el, url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": el.dataset.csrf},
      body: JSON.stringify(body || {})
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok && data.redirect) window.location.assign(data.redirect);  // sign in again
        if (!res.ok) throw new Error(data.message || el.dataset.failed);
        return data;
      });
    });
  }

  function showError(el, message) {
    var box = el.querySelector("[data-passkey-error]");
    if (!box) return;
    box.textContent = message || el.dataset.failed;
    box.hidden = false;
  }

  function clearError(el) {
    var box = el.querySelector("[data-passkey-error]");
    if (box) box.hidden = true;
  }

  function cancelled(err) {
    return err && (err.name === "NotAllowedError" || err.name === "AbortError");
  }

  // Sign in with a passkey, or use one as the second step ---------------------------------
  function authenticate(el, mediation, signal) {
    return post(el, el.dataset.optionsUrl).then(function (options) {
      var request = {publicKey: requestOptions(options.publicKey)};
      if (mediation) request.mediation = mediation;
      if (signal) request.signal = signal;
      return navigator.credentials.get(request).then(function (cred) {
        var remember = document.querySelector("input[name=remember]");
        return post(el, el.dataset.verifyUrl, {
          handle: options.handle,
          credential: credentialJSON(cred),
          next: el.dataset.next || "",
          remember: !!(remember && remember.checked)
        });
      });
    }).then(function (done) { window.location.assign(done.redirect); });
  }

  function setUpSignIn(el) {
    var pending = null;
    var button = el.querySelector("[data-passkey-start]");
    el.hidden = false;

    function autofill() {
      if (!el.dataset.conditional || !PublicKeyCredential.isConditionalMediationAvailable) return;
      PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
        if (!ok) return;
        pending = new AbortController();
        authenticate(el, "conditional", pending.signal).catch(function (err) {
          if (!cancelled(err)) showError(el, err.message);
        });
      });
    }

    button.addEventListener("click", function () {
      clearError(el);
      if (pending) pending.abort();  // one WebAuthn request at a time
      pending = null;
      button.disabled = true;
      authenticate(el, null, null).catch(function (err) {
        button.disabled = false;
        showError(el, cancelled(err) ? el.dataset.failed : err.message);
        autofill();
      });
    });
    autofill();
  }

  // Add a passkey on the security page ---------------------------------------------------
  function setUpRegister(form) {
    var button = form.querySelector("[data-passkey-start]");
    var note = form.querySelector("[data-passkey-unsupported]");
    button.disabled = false;
    if (note) note.hidden = true;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearError(form);
      button.disabled = true;
      var name = form.querySelector("input[name=name]").value;
      post(form, form.dataset.optionsUrl).then(function (options) {
        return navigator.credentials.create({publicKey: creationOptions(options.publicKey)})
          .then(function (cred) {
            return post(form, form.dataset.verifyUrl, {
              handle: options.handle, name: name, credential: credentialJSON(cred)
            });
          });
      }).then(function (done) {
        window.location.assign(done.redirect);
      }).catch(function (err) {
        button.disabled = false;
        showError(form, cancelled(err) ? form.dataset.failed : err.message);
      });
    });
  }

  if (!supported) return;
  document.querySelectorAll("[data-passkey]").forEach(function (el) {
    var kind = el.dataset.passkey;
    if (kind === "register") setUpRegister(el);
    else if (kind === "sign-in") setUpSignIn(el);
    else if (kind === "verify") { el.dataset.conditional = ""; setUpSignIn(el); }
  });
})();
