// Signing in with a key file in the browser: the file is read here, the challenge signed with
// Web Crypto's Ed25519, and only the account and the signature are sent. Without this script
// (or where the browser has no Ed25519), the form takes a signature made with the CLI.
(function () {
  "use strict";
  var domain = document.currentScript.getAttribute("data-domain");
  var form = document.getElementById("sign-in");
  var file = document.getElementById("key-file");
  var problem = document.getElementById("sign-in-problem");
  if (!form || !file || !window.crypto || !window.crypto.subtle) return;

  // PKCS #8 wrapping of a 32-byte Ed25519 seed (RFC 8410): Web Crypto imports private keys so.
  var PKCS8_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
    0x04, 0x22, 0x04, 0x20];

  function bytes(hex) {
    var digits = hex.replace(/^0x/, "");
    if (!/^[0-9a-fA-F]{64}$/.test(digits)) throw new Error("secret_seed is not 64 hex digits");
    var out = new Uint8Array(32);
    for (var i = 0; i < 32; i++) out[i] = parseInt(digits.substr(i * 2, 2), 16);
    return out;
  }
  function hex(buffer) {
    return "0x" + Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  function fail(message) {
    problem.textContent = message;
    problem.hidden = false;
  }

  file.closest("fieldset").hidden = false;
  file.addEventListener("change", function () {
    problem.hidden = true;
    var chosen = file.files && file.files[0];
    if (!chosen) return;
    chosen.text().then(function (text) {
      var key = JSON.parse(text);
      if (typeof key.account !== "string" || typeof key.secret_seed !== "string") {
        throw new Error("not a Catena key file (account and secret_seed)");
      }
      var pkcs8 = new Uint8Array(48);
      pkcs8.set(PKCS8_PREFIX, 0);
      pkcs8.set(bytes(key.secret_seed), 16);
      return crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"])
        .then(function (secret) {
          var message = new TextEncoder().encode(domain + "\n" + form.challenge.value);
          return crypto.subtle.sign({ name: "Ed25519" }, secret, message);
        })
        .then(function (signature) {
          form.account.value = key.account;
          form.signature.value = hex(signature);
          form.submit();
        });
    }).catch(function (e) {
      fail("That key file could not sign: " + e.message + ". Use the CLI instead.");
    });
  });
})();
