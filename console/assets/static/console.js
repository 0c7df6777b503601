// OpenCPH console: the live parts of the pages. The pages work without
// this script; it follows the change stream and re-fetches the parts of
// the page marked data-live, refreshes a phone's screenshot, and asks
// before destructive actions.
(function () {
  'use strict';

  var statusBox = document.getElementById('live-status');
  function say(msg) {
    if (statusBox) statusBox.textContent = msg;
  }

  // Ask before actions marked data-confirm.
  document.addEventListener('click', function (e) {
    var b = e.target.closest('[data-confirm]');
    if (b && !window.confirm(b.getAttribute('data-confirm'))) e.preventDefault();
  });

  // "Go back" links.
  document.querySelectorAll('[data-back]').forEach(function (a) {
    a.addEventListener('click', function (e) {
      if (history.length > 1) { e.preventDefault(); history.back(); }
    });
  });

  // The answer to a form is shown at the address of the page it belongs
  // to, so that a reload does not send the form again.
  var rep = document.querySelector('[data-replace-url]');
  if (rep) history.replaceState(null, '', rep.getAttribute('data-replace-url'));

  // Selection of phones.
  function updateCount() {
    var n = document.querySelectorAll('input[name=phone]:checked').length;
    document.querySelectorAll('[data-selected-count]').forEach(function (el) { el.textContent = n; });
  }
  document.addEventListener('change', function (e) {
    if (e.target.matches('[data-select-all]')) {
      document.querySelectorAll('input[name=phone]').forEach(function (cb) { cb.checked = e.target.checked; });
    }
    updateCount();
  });
  updateCount();

  // Live parts: re-fetched on every change event of the stream.
  var lives = Array.prototype.slice.call(document.querySelectorAll('[data-live]'));
  var busy = false, again = false;

  function refreshOne(el) {
    var u = new URL(el.getAttribute('data-live'), location.href);
    u.searchParams.set('fragment', 'live');
    return fetch(u.toString(), { headers: { 'X-Console-Live': '1' }, credentials: 'same-origin' }).then(function (res) {
      if (res.status === 401) { location.reload(); return; }
      if (!res.ok) { say('Live update failed (HTTP ' + res.status + ').'); return; }
      return res.text().then(function (html) {
        // Nothing this part shows changed: leave it (and the user's
        // pointer and focus) alone.
        if (el.getAttribute('data-fetched') !== null && el.liveHTML === html) return;
        el.setAttribute('data-fetched', '');
        el.liveHTML = html;
        var checked = {};
        el.querySelectorAll('input[name=phone]:checked').forEach(function (cb) { checked[cb.value] = true; });
        var all = el.querySelector('[data-select-all]');
        var allChecked = all && all.checked;
        var active = document.activeElement;
        var focusKey = active && el.contains(active) && active.name === 'phone' ? active.value : null;
        el.innerHTML = html;
        el.querySelectorAll('input[name=phone]').forEach(function (cb) {
          if (checked[cb.value]) cb.checked = true;
          if (focusKey !== null && cb.value === focusKey) cb.focus();
        });
        var all2 = el.querySelector('[data-select-all]');
        if (all2 && allChecked) all2.checked = true;
        updateCount();
        say('');
      });
    });
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    Promise.all(lives.map(refreshOne)).catch(function (err) {
      say('Live updates paused: ' + err.message);
    }).then(function () {
      busy = false;
      if (again) { again = false; refresh(); }
    });
  }

  if (lives.length && window.EventSource) {
    var version = document.body.getAttribute('data-version');
    var es = new EventSource('/console/events' + (version ? '?since=' + encodeURIComponent(version) : ''));
    es.addEventListener('change', refresh);
    es.addEventListener('expired', function () { es.close(); location.reload(); });
    es.onerror = function () {
      if (es.readyState !== EventSource.CLOSED) return;
      // The stream was refused: the session ended, or the server is gone.
      fetch(location.href, { headers: { 'X-Console-Live': '1' }, credentials: 'same-origin' }).then(function (res) {
        if (res.status === 401) location.reload();
        else say('Live updates stopped; reload the page to resume them.');
      }, function () { say('The console cannot reach the server; reload the page when it is back.'); });
    };
  }

  // A phone's screenshot, refreshed while the page is visible.
  var img = document.getElementById('screenshot');
  if (img) {
    var note = document.getElementById('screenshot-note');
    var every = parseInt(img.getAttribute('data-refresh'), 10) || 3000;
    var base = img.getAttribute('src');
    var lastURL = null;
    img.removeAttribute('src');
    var load = function () {
      if (document.visibilityState === 'hidden') return;
      fetch(base, { headers: { 'X-Console-Live': '1' }, credentials: 'same-origin' }).then(function (res) {
        if (!res.ok) {
          return res.text().then(function (t) {
            img.classList.add('stale');
            if (note) note.textContent = t || ('No screenshot (HTTP ' + res.status + ').');
          });
        }
        return res.blob().then(function (b) {
          var u = URL.createObjectURL(b);
          img.src = u;
          img.classList.remove('stale');
          if (lastURL) URL.revokeObjectURL(lastURL);
          lastURL = u;
          var at = res.headers.get('X-Screenshot-Taken-At');
          if (note) note.textContent = at ? 'Taken ' + at + '; refreshes every ' + every / 1000 + ' s.' : '';
        });
      }).catch(function (err) { if (note) note.textContent = 'No screenshot: ' + err.message; });
    };
    load();
    setInterval(load, every);
    document.addEventListener('visibilitychange', load);
  }
})();
