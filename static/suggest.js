// Suggestions for the search box: services, components and incident titles that match the
// word being typed, offered through a <datalist>. Served from /static/ so the page's CSP
// (no inline script) holds; without it the box is an ordinary search form.
(function () {
  "use strict";
  var input = document.querySelector("form.search-box input[name=q]");
  if (!input || !window.fetch) {
    return;
  }
  var list = document.createElement("datalist");
  list.id = "search-suggestions";
  input.parentNode.appendChild(list);
  input.setAttribute("list", list.id);
  input.setAttribute("autocomplete", "off");
  var timer = null;
  var asked = "";

  // The query with its last word replaced by a suggestion (quoted when it has spaces).
  function completed(text) {
    var words = input.value.replace(/\s+$/, "").split(/\s+/);
    words.pop();
    words.push(/\s/.test(text) ? "\"" + text + "\"" : text);
    return words.join(" ");
  }

  function option(value, label) {
    var o = document.createElement("option");
    o.value = value;
    o.label = label;
    return o;
  }

  function show(answer) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    answer.services.forEach(function (s) {
      list.appendChild(option(completed(s), "service"));
    });
    answer.components.forEach(function (c) {
      list.appendChild(option(completed(c), "component"));
    });
    answer.incidents.forEach(function (i) {
      list.appendChild(option(i.title, "incident"));
    });
  }

  function ask() {
    var q = input.value;
    if (q === asked) {
      return;
    }
    asked = q;
    fetch("/api/v1/search/suggest?q=" + encodeURIComponent(q), {
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    })
      .then(function (res) {
        return res.ok ? res.json() : null;
      })
      .then(function (answer) {
        if (answer && input.value === q) {
          show(answer);
        }
      })
      .catch(function () {});
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
})();
