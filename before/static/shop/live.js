// Live figures: the stock on a product page and the status on an order page follow changes without a reload.
// Every (re)connection starts with the current value, so a socket that drops, or lands on another replica,
// never leaves a stale figure behind.
(function () {
  "use strict";

  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  var RETRY_MIN_MS = 500;
  var RETRY_MAX_MS = 30000;

  function watch(path, elements, show) {
    var delay = RETRY_MIN_MS;

    function connect() {
      var socket = new WebSocket(scheme + location.host + path);
      socket.onmessage = function (event) {
        delay = RETRY_MIN_MS;
        var message = JSON.parse(event.data);
        elements.forEach(function (element) { show(element, message); });
      };
      socket.onclose = function (event) {
        // 4403 and 4404 are final answers: asking again would get the same one.
        if (event.code >= 4000 && event.code < 5000) return;
        // Exponential backoff with jitter, so replicas coming back are not stormed by every page at once.
        setTimeout(connect, delay / 2 + Math.random() * delay / 2);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      };
    }

    connect();
  }

  function watchAll(selector, pathOf, show) {
    var byPath = {};
    document.querySelectorAll(selector).forEach(function (element) {
      var path = pathOf(element);
      (byPath[path] = byPath[path] || []).push(element);
    });
    Object.keys(byPath).forEach(function (path) { watch(path, byPath[path], show); });
  }

  watchAll(
    '[data-testid="stock"][data-product-id]',
    function (element) { return "/ws/products/" + element.dataset.productId + "/"; },
    function (element, message) { if (message.type === "stock") element.textContent = message.stock; }
  );
  watchAll(
    '[data-testid="order-status"][data-order-id]',
    function (element) { return "/ws/orders/" + element.dataset.orderId + "/"; },
    function (element, message) { if (message.type === "status") element.textContent = message.label; }
  );
})();
