/* The counter kiosk's screens go back to the scanning screen on their own: after `data-return-seconds`
   without a touch or a key (the rating screen: someone walked away), or once the thank-you has been read.
   Any touch or key starts the wait again, so nobody is hurried while answering (WCAG 2.2.1), and the
   screens keep a button back. A script, not <meta http-equiv="refresh">: that cannot be paused. */
(function () {
  "use strict";
  var body = document.body;
  var url = body.getAttribute("data-return-url");
  var seconds = parseInt(body.getAttribute("data-return-seconds") || "0", 10);
  if (!url || !(seconds > 0)) {
    return;
  }
  var timer = null;
  function restart() {
    if (timer !== null) {
      window.clearTimeout(timer);
    }
    timer = window.setTimeout(function () {
      window.location.assign(url);
    }, seconds * 1000);
  }
  ["pointerdown", "keydown", "input", "change"].forEach(function (name) {
    document.addEventListener(name, restart, { passive: true });
  });
  restart();
})();
