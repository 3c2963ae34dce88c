/* Loads the comments of an article page from its provider (Giscus, Remark42 or Isso) only when
   the reader asks: until the button is pressed, no request leaves for the provider. */
(function () {
  "use strict";
  var button = document.querySelector(".comments-load");
  if (!button) return;
  var thread = button.parentNode.querySelector(".comments-thread");
  var d = button.dataset;

  function script(src, attrs) {
    var s = document.createElement("script");
    s.src = src;
    s.async = true;
    Object.keys(attrs || {}).forEach(function (k) { s.setAttribute(k, attrs[k]); });
    thread.appendChild(s);
  }

  function base(host) { return host.replace(/\/+$/, ""); }

  var loaders = {
    giscus: function () {
      script(base(d.host) + "/client.js", {
        "data-repo": d.repo, "data-repo-id": d.repoId, "data-category": d.category,
        "data-category-id": d.categoryId, "data-mapping": d.mapping || "pathname",
        "data-reactions-enabled": "1", "data-input-position": "top",
        "data-theme": "preferred_color_scheme", "data-lang": d.lang || document.documentElement.lang || "en",
        "data-loading": "lazy", "crossorigin": "anonymous"
      });
    },
    remark42: function () {
      var node = document.createElement("div");
      node.id = "remark42";
      thread.appendChild(node);
      window.remark_config = {
        host: base(d.host), site_id: d.siteId, url: d.page, components: ["embed"],
        theme: matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light",
        locale: d.locale || document.documentElement.lang || "en"
      };
      script(base(d.host) + "/web/embed.js");
    },
    isso: function () {
      var node = document.createElement("section");
      node.id = "isso-thread";
      thread.appendChild(node);
      script(base(d.host) + "/js/embed.min.js", { "data-isso": base(d.host) + "/" });
    }
  };

  button.hidden = false;
  button.addEventListener("click", function () {
    var load = loaders[d.provider];
    if (!load) return;
    button.hidden = true;
    load();
  }, { once: true });
})();
