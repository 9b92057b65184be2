// Live updates for the explorer's home page: each block the node commits, from the explorer's
// stream (the API's event stream, read as the page's reader), is added to the top of the latest
// blocks. The page works without this script.
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script.getAttribute("data-base");
  var rows = document.getElementById("latest-blocks");
  if (!rows || !window.EventSource) return;

  function utc(ms) {
    return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  }
  function short(hash) {
    return hash.length > 10 ? hash.slice(0, 10) + "\u2026" : hash;
  }
  function cell(text, href, title) {
    var td = document.createElement("td");
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      if (title) a.title = title;
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
    return td;
  }

  var stream = new EventSource(base + "/stream");
  stream.addEventListener("block", function (event) {
    var block = JSON.parse(event.data);
    var tr = document.createElement("tr");
    tr.className = "new";
    tr.setAttribute("data-height", String(block.height));
    tr.appendChild(cell(String(block.height), base + "/blocks/" + block.height));
    var hash = cell(short(block.hash), base + "/blocks/" + block.hash, block.hash);
    hash.className = "hash";
    tr.appendChild(hash);
    tr.appendChild(cell(utc(block.time_ms)));
    tr.appendChild(cell(String(block.transactions.length)));
    var proposer = cell(short(block.proposer));
    proposer.className = "hash";
    tr.appendChild(proposer);
    rows.insertBefore(tr, rows.firstChild);
    while (rows.children.length > 10) rows.removeChild(rows.lastChild);
    var height = document.getElementById("height");
    if (height) height.textContent = String(block.height);
    var time = document.getElementById("latest-time");
    if (time) time.textContent = utc(block.time_ms);
  });
})();
