// The /try page: a chat with the simulated Echo, its answers spoken by the browser. The page's
// own words come from its data (#page-text), in the page's language; {name} marks a value.
(function () {
  "use strict";
  const text = JSON.parse(document.getElementById("page-text").textContent);
  const transcript = document.getElementById("transcript");
  const form = document.getElementById("say-form");
  const input = document.getElementById("utterance");
  const clock = document.getElementById("clock");
  const muteButton = document.getElementById("mute");
  const audio = document.getElementById("audio");
  const progress = document.getElementById("progress");
  const csrf = document.querySelector('meta[name="csrf-token"]');
  const speech = "speechSynthesis" in window && "SpeechSynthesisUtterance" in window
    ? window.speechSynthesis : null;
  let muted = false;
  let queue = Promise.resolve();

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function add(node) {
    transcript.appendChild(node);
    node.scrollIntoView({ block: "nearest" });
    return node;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? String(values[name]) : whole;
    });
  }

  function minutes(milliseconds) {
    const seconds = Math.max(0, Math.floor(milliseconds / 1000));
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  function showClock(iso) {
    clock.setAttribute("datetime", iso);
    const moment = new Date(iso);
    clock.textContent = isNaN(moment) ? iso : moment.toLocaleString(text.pageLang, {
      timeZone: "UTC", weekday: "short", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }) + " UTC";
  }

  // Speech: the browser's voice, if it has one; clips ([their phrase]) are read as words.
  function speak(words) {
    if (!speech || muted || !words) return;
    speech.cancel();
    const utterance = new SpeechSynthesisUtterance(words.replace(/\[([^\]]*)\]/g, "$1"));
    utterance.lang = text.speechLang;  // the Echo's language, not the browser's
    try { speech.speak(utterance); } catch (error) { /* no voice: the transcript has it */ }
  }

  // The player: the virtual position drives the bar; the <audio> plays the track for real.
  function seek(seconds) {
    if (audio.readyState > 0) {
      audio.currentTime = seconds;
    } else {
      audio.addEventListener("loadedmetadata", function () { audio.currentTime = seconds; },
        { once: true });
    }
  }

  // The player's state: Alexa's name in data-activity, the page's language on screen.
  function showActivity(activity) {
    const shown = document.getElementById("activity");
    shown.dataset.activity = activity;
    shown.textContent = text.activities[activity] || activity;
  }

  function showPlayer(player, sync) {
    const track = document.getElementById("track");
    showActivity(player ? player.activity : "IDLE");
    if (!player) {
      track.textContent = text.nothingPlaying;
      progress.max = 1;
      progress.value = 0;
      progress.dataset.offset = "0";
      document.getElementById("position").textContent = "0:00";
      document.getElementById("duration").textContent = "0:00";
      audio.pause();
      return;
    }
    // The exercise and its pace as the Echo names them (its ids if the plan does not).
    const name = player.exercise_name
      || (player.exercise ? player.exercise.replace(/_/g, " ") : text.aTrack);
    const pace = player.pace_name || player.pace;
    track.textContent = pace ? fill(text.trackAtPace, { track: name, pace: pace }) : name;
    progress.max = Math.max(player.duration_ms, 1);
    progress.value = Math.min(player.offset_ms, progress.max);
    progress.dataset.offset = String(player.offset_ms);
    document.getElementById("position").textContent = minutes(player.offset_ms);
    document.getElementById("duration").textContent = minutes(player.duration_ms);
    if (!player.url) return;
    if (audio.getAttribute("src") !== player.url) {
      audio.src = player.url;
      sync = true;
    }
    if (sync) seek(player.offset_ms / 1000);
    if (player.activity === "PLAYING") {
      const playing = audio.play();
      if (playing && playing.catch) playing.catch(function () { /* autoplay refused */ });
    } else {
      audio.pause();
    }
  }

  // Alexa's own permission ask, answered with a button (or by saying "yes" or "no").
  function showAsk(words) {
    const item = element("li", "alexa alexa-own");
    item.appendChild(element("small", "who", text.alexaAsks));
    item.appendChild(element("p", "speech", words));
    const row = element("div", "row permission");
    [["allow", text.allow, ""], ["deny", text.dontAllow, "quiet"]].forEach(function (choice) {
      const button = element("button", choice[2], choice[1]);
      button.type = "button";
      button.dataset.permission = choice[0];
      row.appendChild(button);
    });
    item.appendChild(row);
    add(item);
  }

  function closeAsks() {
    transcript.querySelectorAll(".permission").forEach(function (row) { row.remove(); });
  }

  // Reminders that went off while the clock moved, each on a line of its own.
  function showReminders(answer) {
    (answer.reminders || []).forEach(function (reminder) {
      add(element("li", "reminder", fill(text.reminder, { time: reminder.time, text: reminder.text })));
    });
    if (answer.more_reminders) {
      add(element("li", "reminder more", fill(text.moreReminders, { count: answer.more_reminders })));
    }
  }

  function showAnswer(answer, sync) {
    if (answer.clock) showClock(answer.clock);
    if (!answer.asking) closeAsks();
    if (answer.speech || answer.card || answer.reprompt) {
      const item = element("li", "alexa");
      if (answer.speech) item.appendChild(element("p", "speech", answer.speech));
      if (answer.reprompt && answer.reprompt !== answer.speech) {
        item.appendChild(element("p", "reprompt", fill(text.ifSilent, { reprompt: answer.reprompt })));
      }
      if (answer.card) {
        const card = element("div", "alexa-card");
        card.appendChild(element("strong", "", answer.card.title));
        card.appendChild(element("p", "", answer.card.content));
        item.appendChild(card);
      }
      add(item);
    }
    if (answer.alexa_asks) showAsk(answer.alexa_asks);
    const words = [answer.speech, answer.alexa_asks].concat((answer.reminders || []).map(
      function (reminder) { return reminder.text; }));
    speak(words.filter(Boolean).join(" "));
    const details = [];
    if (answer.directives && answer.directives.length) {
      details.push(fill(text.directives, { names: answer.directives.join(", ") }));
    }
    if (answer.events && answer.events.length) {
      details.push(fill(text.events, { names: answer.events.join(", ") }));
    }
    if (details.length) add(element("li", "events", details.join(" · ")));
    showReminders(answer);
    if (answer.ends_session) add(element("li", "ended", text.sessionClosed));
    const started = (answer.events || []).indexOf("PlaybackStarted") >= 0;
    showPlayer(answer.player, sync || started);
  }

  function showHeard(line, heard) {
    if (!heard) return;
    const slots = Object.keys(heard.slots || {}).map(function (name) {
      return name + "=" + heard.slots[name];
    });
    if (heard.permission) slots.push(heard.permission);
    const text = (heard.intent || heard.request) + (slots.length ? " · " + slots.join(", ") : "");
    line.appendChild(element("small", "heard", text));
  }

  function post(path, payload, retried) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf.content },
      body: JSON.stringify(payload),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (body.csrf) csrf.content = body.csrf;
        if (!response.ok && response.status === 400 && body.csrf && !retried) {
          return post(path, payload, true);  // the page's token had expired
        }
        if (!response.ok) {
          throw new Error(body.error || fill(text.serverAnswered, { status: response.status }));
        }
        return body;
      });
    });
  }

  // One action at a time, in order: the transcript reads as it happened.
  function act(path, payload, line, sync) {
    document.body.classList.add("busy");
    queue = queue.then(function () {
      return post(path, payload).then(function (answer) {
        if (line) showHeard(line, answer.heard);
        showAnswer(answer, sync);
      }).catch(function (error) {
        add(element("li", "error", error.message)).setAttribute("role", "alert");
      });
    }).then(function () { document.body.classList.remove("busy"); });
  }

  function say(text) {
    text = text.trim();
    if (!text) return;
    const line = add(element("li", "you"));
    line.appendChild(element("p", "said", text));
    act("/try/say", { text: text }, line, false);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    say(input.value);
    input.value = "";
    input.focus();
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.say) {
      say(button.dataset.say);
    } else if (button.dataset.permission) {
      const line = add(element("li", "you"));
      line.appendChild(element("p", "said", button.textContent));
      closeAsks();
      act("/try/permission", { allow: button.dataset.permission === "allow" }, line, false);
    } else if (button.dataset.listen) {
      add(element("li", "note", button.dataset.note));
      act("/try/listen", { seconds: Number(button.dataset.listen) }, null, true);
    } else if (button.dataset.advance) {
      add(element("li", "note", button.dataset.note));
      act("/try/advance", { days: Number(button.dataset.advance) }, null, true);
    } else if (button.dataset.press) {
      add(element("li", "note", button.dataset.note));
      act("/try/press", { button: button.dataset.press }, null, false);
    } else if (button.id === "reset") {
      transcript.textContent = "";
      add(element("li", "note", button.dataset.note));
      if (speech) speech.cancel();
      act("/try/reset", {}, null, true);
    } else if (button.id === "mute") {
      muted = !muted;
      button.setAttribute("aria-pressed", String(muted));
      button.textContent = muted ? text.unmute : text.mute;
      audio.muted = muted;
      if (muted && speech) speech.cancel();
    }
  });

  showClock(clock.getAttribute("datetime"));
  if (!speech) muteButton.title = text.cannotSpeak;
})();
