{% autoescape off %}/* xiaoguan lead form: writes the form into the page after this script tag. */
(function () {
  var cfg = {{ config }};
  var here = document.currentScript;
  var form = document.createElement("form");
  form.method = "post";
  form.action = cfg.action;
  form.className = "xg-lead-form";
  form.setAttribute("style", "max-width:480px;font:inherit");
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs) { if (Object.prototype.hasOwnProperty.call(attrs, k)) { node.setAttribute(k, attrs[k]); } }
    if (text) { node.appendChild(document.createTextNode(text)); }
    return node;
  }
  if (cfg.title) { form.appendChild(el("h3", {}, cfg.title)); }
  if (cfg.intro) { form.appendChild(el("p", {}, cfg.intro)); }
  var box = "display:block;width:100%;box-sizing:border-box;padding:8px;margin:2px 0 10px;border:1px solid #ccc;border-radius:4px;font:inherit";
  cfg.fields.forEach(function (f) {
    var id = "xg-" + f.name + "-" + Math.random().toString(36).slice(2, 8);
    form.appendChild(el("label", {"for": id, "style": "display:block;font-size:14px"}, f.label));
    var input = f.multiline ? el("textarea", {rows: "3"}) : el("input", {type: f.type});
    input.id = id; input.name = f.name; input.setAttribute("style", box);
    form.appendChild(input);
  });
  var trap = el("div", {"aria-hidden": "true", "style": "position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden"});
  trap.appendChild(el("input", {name: cfg.honeypot, tabindex: "-1", autocomplete: "off"}));
  form.appendChild(trap);
  form.appendChild(el("button", {type: "submit", "style": "padding:10px 24px;border:0;border-radius:4px;background:#2563eb;color:#fff;font:inherit;cursor:pointer"}, cfg.submit));
  if (here && here.parentNode) { here.parentNode.insertBefore(form, here.nextSibling); } else { document.body.appendChild(form); }
})();
{% endautoescape %}
