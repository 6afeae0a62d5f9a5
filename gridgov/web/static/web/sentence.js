/* The one-sentence box on /report/: focus after each answer, and dictation with the browser's own
 * speech input.
 *
 * The microphone button appears only where the browser offers SpeechRecognition (Chrome, Edge,
 * Safari); gridgov runs no speech service of its own. Note that some browsers send the audio to
 * their vendor's recogniser (docs/intelligence-sentence.md). Elsewhere the resident types.
 */
(function () {
  "use strict";
  // After htmx puts in what was understood, keyboard and screen-reader users land on it: the
  // question's answer field when one is asked, else the result's heading.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var panel = event.detail && event.detail.target;
    if (!panel || panel.id !== "sentence-result") return;
    var target = panel.querySelector("#id_sentence_answer") || panel.querySelector("h3, [role=alert]");
    if (target) target.focus();
  });

  var Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  var button = document.getElementById("sentence-mic");
  var box = document.getElementById("id_sentence");
  var status = document.getElementById("sentence-mic-status");
  if (!Recognition || !button || !box) return;
  button.hidden = false;
  var listening = null;

  function stopped() {
    listening = null;
    button.setAttribute("aria-pressed", "false");
  }

  button.addEventListener("click", function () {
    if (listening) {
      listening.stop();
      return;
    }
    var recognition = new Recognition();
    recognition.lang = document.documentElement.lang === "en" ? "en-US" : "zh-CN";
    recognition.interimResults = false;
    recognition.maxAlternatives = 1;
    recognition.onresult = function (event) {
      var said = "";
      for (var i = event.resultIndex; i < event.results.length; i++) said += event.results[i][0].transcript;
      box.value = box.value ? box.value + said : said;
      box.focus();
    };
    recognition.onerror = function () {
      status.textContent = button.dataset.failed;
      stopped();
    };
    recognition.onend = function () {
      if (status.textContent === button.dataset.listening) status.textContent = "";
      stopped();
    };
    listening = recognition;
    button.setAttribute("aria-pressed", "true");
    status.textContent = button.dataset.listening;
    recognition.start();
  });
})();
