// The console's only script of its own (no inline script: the Content-Security-Policy forbids it).
// Copy buttons: <button class="copy" data-copy="ID"> copies the text of the element with that id and
// says so in the next element with class "copied" (an aria-live region).
// Live plans: <section data-plan-events="URL" data-plan-progress="URL"> listens to the plan's
// Server-Sent Events and, when something happened, asks the server for the progress again (at
// most once a second) and puts it in place of #plan-progress. The server renders it from the plan
// service, as on the first load, so the page never has to add up events itself. A refusal of the
// moment (a replica stopping) or a lost connection is tried again a few times before it gives up.
// Refused updates: an error answer that is no console page is not swapped in; a notice says so.
(function () {
  'use strict';

  function announce(button, text) {
    var status = button.parentElement && button.parentElement.querySelector('.copied');
    if (status) {
      status.textContent = text;
    }
  }

  function copyBySelection(source) {
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var copied = document.execCommand && document.execCommand('copy');
    selection.removeAllRanges();
    return copied;
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('button.copy') : null;
    if (!button) {
      return;
    }
    var source = document.getElementById(button.getAttribute('data-copy'));
    if (!source) {
      return;
    }
    var text = source.textContent.trim();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        announce(button, 'Copied');
      }, function () {
        announce(button, copyBySelection(source) ? 'Copied' : 'Select the text and copy it');
      });
    } else {
      announce(button, copyBySelection(source) ? 'Copied' : 'Select the text and copy it');
    }
  });

  function watchPlan(section) {
    var progressUrl = section.getAttribute('data-plan-progress');
    var events = null;
    var waiting = false;
    var stopped = false;
    var retries = 0;
    var reconnects = 0;
    var last = 0;

    function stop(text) {
      stopped = true;
      events.close();
      if (text) {
        var note = document.createElement('p');
        note.className = 'notice';
        note.setAttribute('role', 'status');
        note.textContent = text;
        section.appendChild(note);
      }
    }

    function refresh() {
      if (waiting || stopped) {
        return;
      }
      waiting = true;
      window.setTimeout(function () {
        last = Date.now();
        fetch(progressUrl, { credentials: 'same-origin', cache: 'no-store', headers: { 'HX-Request': 'true' } })
          .then(function (response) {
            if (!response.ok) {
              var refused = new Error('status ' + response.status);
              // A replica that is stopping answers 503 (busy, Retry-After) until the balancer takes it out.
              refused.again = response.status === 503 || response.status === 502 || response.status === 504;
              refused.after = 1000 * Math.min(30, Math.max(1, parseInt(response.headers.get('Retry-After'), 10) || 1));
              throw refused;
            }
            retries = 0;
            return response.text();
          })
          .then(function (html) {
            var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('plan-progress');
            var shown = document.getElementById('plan-progress');
            if (fresh && shown) {
              shown.replaceWith(document.importNode(fresh, true));
              // A notice swapped in is not announced: a live region that stays says it.
              var notice = fresh.querySelector('[role=status]');
              var said = document.getElementById('progress-said');
              if (notice && said && said.textContent !== notice.textContent) {
                said.textContent = notice.textContent;
              }
              if (fresh.getAttribute('data-live') !== 'true') {
                stop(null);
              }
            }
          })
          .catch(function (failure) {
            // Refused for a moment, or the connection lost (a TypeError): look again a few times before
            // saying that the page no longer follows the plan.
            var again = failure && (failure.again || failure instanceof TypeError);
            if (stopped) {
              return;
            }
            if (again && retries < 5) {
              retries += 1;
              window.setTimeout(refresh, failure.after || 1000);
              return;
            }
            stop('Live progress stopped: reload the page to see where the plan stands.');
          })
          .then(function () {
            waiting = false;
          });
      }, Math.max(0, 1000 - (Date.now() - last)));
    }

    function connect() {
      events = new EventSource(section.getAttribute('data-plan-events'));
      events.addEventListener('open', function () {
        reconnects = 0;
        refresh();
      });
      events.addEventListener('plan', refresh);
      events.addEventListener('item', refresh);
      // The stream ends when the plan is done, when the service stops, or the connection broke: look again.
      // The browser reconnects by itself, but gives up on an answer other than 200 (a stopping replica's
      // 503): then a new stream, a few times, a second more each time.
      events.addEventListener('error', function () {
        if (!stopped && events.readyState === EventSource.CLOSED) {
          if (reconnects >= 5) {
            stop('Live progress stopped: reload the page to see where the plan stands.');
            return;
          }
          reconnects += 1;
          window.setTimeout(function () {
            if (!stopped) {
              connect();
            }
          }, 1000 * reconnects);
        }
        refresh();
      });
    }

    connect();
  }

  document.querySelectorAll('[data-plan-events]').forEach(watchPlan);

  // A refused in-place update shows the page the service answered in place of the current one
  // (layout.html's htmx-config); an answer that is no console page (a proxy's error page, an empty
  // answer) would leave nothing there: the page stays as it was and says what happened.
  document.addEventListener('htmx:beforeSwap', function (event) {
    var detail = event.detail;
    if (!detail.isError) {
      return;
    }
    var page = new DOMParser().parseFromString(detail.serverResponse || '', 'text/html');
    if (page.getElementById('main')) {
      return;
    }
    detail.shouldSwap = false;
    var main = document.getElementById('main');
    if (!main) {
      return;
    }
    var note = document.getElementById('swap-failed') || document.createElement('p');
    note.id = 'swap-failed';
    note.className = 'notice notice-error';
    note.setAttribute('role', 'alert');
    note.textContent = 'The service did not answer this (HTTP ' + detail.xhr.status + '). Reload the page and try again.';
    main.insertBefore(note, main.firstChild);
  });
}());
