/* Gatehouse: the one script. Everything here is an enhancement; every page works without it.
 *
 * - remembers the browser's time zone in the `tz` cookie, so the server prints local times;
 * - moves the focus to the error summary after a failed submit;
 * - adds "Show" buttons to password fields;
 * - gives live hints on a new password (length only: the server's zxcvbn check has the final
 *   word) and on the confirmation, and stops a submit that the server would refuse for length
 *   or mismatch, so what the person typed is not lost to a round trip.
 */
(function () {
  "use strict";

  function rememberTimeZone() {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return;
    }
    // Zone names ("Asia/Seoul", "America/Argentina/Buenos_Aires") are cookie-safe as they are.
    if (!zone || zone.length > 64 || !/^[A-Za-z0-9_+\-\/]+$/.test(zone)) return;
    var current = document.cookie.split("; ").filter(function (c) {
      return c.indexOf("tz=") === 0;
    })[0];
    var value = zone;
    if (current === "tz=" + value) return;
    var secure = location.protocol === "https:" ? "; secure" : "";
    document.cookie = "tz=" + value + "; path=/; max-age=31536000; samesite=lax" + secure;
  }

  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }

  function addRevealButtons() {
    document.querySelectorAll("button[data-reveal]").forEach(function (button) {
      var input = document.getElementById(button.getAttribute("data-reveal"));
      if (!input) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        var shown = input.type === "password";
        input.type = shown ? "text" : "password";
        button.setAttribute("aria-pressed", shown ? "true" : "false");
      });
      // Never leave a password readable in a form that is being sent (or restored later).
      if (input.form) {
        input.form.addEventListener("submit", function () {
          input.type = "password";
          button.setAttribute("aria-pressed", "false");
        });
      }
    });
  }

  function classes(password) {
    var found = 0;
    [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].forEach(function (re) {
      if (re.test(password)) found += 1;
    });
    return found;
  }

  /* 1: shorter than the server's minimum; 2: long enough; 3: long or varied enough to be
     likely to pass the server's guessability check (which alone decides). */
  function level(password, minimum) {
    if (password.length < minimum) return 1;
    var words = password.split(/[\s\-_.,]+/).filter(Boolean).length;
    if (password.length >= 16 || words >= 3 || (password.length >= 12 && classes(password) >= 3)) {
      return 3;
    }
    return 2;
  }

  function say(hint, text, lvl) {
    hint.hidden = !text;
    hint.className = "strength" + (lvl ? " level-" + lvl : "");
    if (hint.textContent !== text) hint.textContent = text;
  }

  function watchNewPasswords() {
    document.querySelectorAll("input[data-new-password]").forEach(function (input) {
      var minimum = parseInt(input.getAttribute("data-new-password"), 10) || 8;
      var hint = document.getElementById(input.id + "-strength");
      if (!hint) return;
      var words = { 1: "data-short", 2: "data-fair", 3: "data-good" };
      input.addEventListener("input", function () {
        if (!input.value) return say(hint, "", 0);
        var lvl = level(input.value, minimum);
        say(hint, hint.getAttribute(words[lvl]), lvl);
      });
      var confirm = document.querySelector('input[data-confirms="' + input.id + '"]');
      var match = confirm && document.getElementById(confirm.id + "-match");
      function compare() {
        if (!confirm.value) return say(match, "", 0);
        var same = confirm.value === input.value;
        say(match, match.getAttribute(same ? "data-same" : "data-differ"), same ? 3 : 1);
      }
      if (match) {
        confirm.addEventListener("input", compare);
        input.addEventListener("input", function () {
          if (confirm.value) compare();
        });
      }
      if (input.form) {
        input.form.addEventListener("submit", function (event) {
          if (input.value.length < minimum) {
            event.preventDefault();
            say(hint, hint.getAttribute("data-short"), 1);
            input.setAttribute("aria-invalid", "true");
            input.focus();
          } else if (match && confirm.value !== input.value) {
            event.preventDefault();
            say(match, match.getAttribute("data-differ"), 1);
            confirm.setAttribute("aria-invalid", "true");
            confirm.focus();
          }
        });
      }
    });
  }

  rememberTimeZone();
  focusErrorSummary();
  addRevealButtons();
  watchNewPasswords();
})();
