// Progressive enhancement for the operations dashboard; every page works without it.
// The token typed once is kept in this browser's localStorage and filled into the decision forms.
(function () {
  "use strict";
  var KEY = "opsctl-serve-token";
  function saved() { try { return localStorage.getItem(KEY) || ""; } catch (e) { return ""; } }
  document.addEventListener("DOMContentLoaded", function () {
    var token = saved();
    document.querySelectorAll("input.token").forEach(function (input) {
      if (token && !input.value) { input.value = token; }
      input.addEventListener("change", function () {
        try { localStorage.setItem(KEY, input.value); } catch (e) { /* private mode */ }
      });
    });
    document.querySelectorAll("form.decide").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var input = form.querySelector("input.token");
        if (input && input.value) { try { localStorage.setItem(KEY, input.value); } catch (e) { /* ignore */ } }
      });
    });
  });
})();
