// The console's only script of its own (no inline script: the Content-Security-Policy forbids it).
// Copy buttons: <button class="copy" data-copy="ID"> copies the text of the element with that id and
// says so in the next element with class "copied" (an aria-live region).
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
}());
