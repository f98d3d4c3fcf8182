/* Tech check: measures the browser, camera, microphone, speakers and network against our
   own server, then sends the raw figures to the server, which scores them and answers with
   the report to show. No inline script; words shown to the person come from the page. */
(function () {
  "use strict";
  var root = document.getElementById("techcheck");
  if (!root) return;
  var data = root.dataset;
  var state = { beeps: 0, result: null };
  window.portalTechCheck = state; // read by the browser tests
  var audioCtx = null;

  function $(id) { return document.getElementById(id); }
  function show(id) { var el = $(id); if (el) el.hidden = false; }
  function say(id, text) { var el = $(id); if (el) el.textContent = text; }
  function word(key) { return data["msg" + key] || ""; }
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  function errName(e) {
    var known = ["NotAllowedError", "NotFoundError", "NotReadableError", "OverconstrainedError",
      "SecurityError", "AbortError", "TypeError", "NotSupportedError"];
    return e && known.indexOf(e.name) >= 0 ? e.name : "UnknownError";
  }
  function median(xs) {
    if (!xs.length) return null;
    var s = xs.slice().sort(function (a, b) { return a - b; });
    var m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  }
  function percentile(xs, p) {
    var s = xs.slice().sort(function (a, b) { return a - b; });
    return s[Math.min(s.length - 1, Math.max(0, Math.round((s.length - 1) * p)))];
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  // ------------------------------------------------------------------ browser
  function browserInfo() {
    var ua = navigator.userAgent;
    var name = "other", version = "";
    var rules = [["edge", /Edg(?:e|A|iOS)?\/(\d+)/], ["opera", /OPR\/(\d+)/],
      ["samsung", /SamsungBrowser\/(\d+)/], ["firefox", /(?:Firefox|FxiOS)\/(\d+)/],
      ["chrome", /(?:Chrome|CriOS)\/(\d+)/], ["safari", /Version\/(\d+).*Safari/]];
    for (var i = 0; i < rules.length; i++) {
      var m = ua.match(rules[i][1]);
      if (m) { name = rules[i][0]; version = m[1]; break; }
    }
    var os = /Android/.test(ua) ? "Android" : /iPhone|iPad|iPod/.test(ua) ? "iOS"
      : /Windows/.test(ua) ? "Windows" : /Mac OS X/.test(ua) ? "macOS"
      : /CrOS/.test(ua) ? "ChromeOS" : /Linux/.test(ua) ? "Linux" : "other";
    return {
      name: name, version: version, os: os, mobile: /Mobi|Android|iPhone|iPad/.test(ua),
      in_app: /FBAN|FBAV|Instagram|LinkedInApp|Line\/|Twitter/.test(ua),
      secure_context: !!window.isSecureContext,
      get_user_media: !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia),
      peer_connection: typeof window.RTCPeerConnection === "function",
      audio_context: !!(window.AudioContext || window.webkitAudioContext),
      set_sink_id: typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype
    };
  }

  // ------------------------------------------------------------------ camera
  function testCamera() {
    var video = $("tc-video");
    var constraints = { video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } } };
    var chosen = $("tc-camera-select").value;
    if (chosen) constraints.video.deviceId = { exact: chosen };
    var started = performance.now();
    return navigator.mediaDevices.getUserMedia(constraints).then(function (stream) {
      state.cameraStream = stream;
      video.srcObject = stream;
      video.play().catch(function () {});
      var settings = stream.getVideoTracks()[0].getSettings();
      var canvas = document.createElement("canvas");
      canvas.width = 64; canvas.height = 36;
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      var frames = 0, black = 0, frozen = 0, lumaSum = 0, prev = null, first = null, firstAt = 0;
      var end = performance.now() + 5000;
      return new Promise(function (resolve) {
        function sample() {
          if (video.readyState >= 2 && video.videoWidth) {
            if (first === null) { first = performance.now() - started; firstAt = performance.now(); }
            ctx.drawImage(video, 0, 0, 64, 36);
            var px = ctx.getImageData(0, 0, 64, 36).data;
            var cur = new Float32Array(64 * 36), sum = 0, diff = 0;
            for (var i = 0, j = 0; i < px.length; i += 4, j++) {
              var y = 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
              cur[j] = y; sum += y;
              if (prev) diff += Math.abs(y - prev[j]);
            }
            var mean = sum / cur.length;
            frames++; lumaSum += mean;
            if (mean < 8) black++;
            if (prev && diff / cur.length < 0.25) frozen++;
            prev = cur;
          }
          if (performance.now() < end) next(); else finish();
        }
        function next() {
          if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(sample);
          else setTimeout(sample, 33);
        }
        function finish() {
          var seconds = first === null ? 0 : (performance.now() - firstAt) / 1000;
          resolve({
            error: null, width: video.videoWidth || settings.width || 0,
            height: video.videoHeight || settings.height || 0,
            fps: seconds > 0.5 ? Math.round((frames - 1) / seconds * 10) / 10 : 0,
            frames: frames, black_share: frames ? black / frames : 0,
            frozen_share: frames > 1 ? frozen / (frames - 1) : 0,
            luma: frames ? lumaSum / frames : 0, first_frame_ms: first
          });
        }
        setTimeout(function () { if (first === null && performance.now() >= end) finish(); }, 5200);
        next();
      });
    }, function (e) { return { error: errName(e) }; });
  }

  // ------------------------------------------------------------------ microphone
  function testMicrophone() {
    var constraints = { audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } };
    var chosen = $("tc-mic-select").value;
    if (chosen) constraints.audio.deviceId = { exact: chosen };
    return navigator.mediaDevices.getUserMedia(constraints).then(function (stream) {
      state.micStream = stream;
      var source = audioCtx.createMediaStreamSource(stream);
      var analyser = audioCtx.createAnalyser();
      analyser.fftSize = 2048;
      source.connect(analyser);
      var buf = new Float32Array(analyser.fftSize);
      var levels = [], clipped = 0, samples = 0, peak = 0;
      var chunks = [], recorder = null;
      try {
        recorder = new MediaRecorder(stream);
        recorder.ondataavailable = function (e) { if (e.data.size) chunks.push(e.data); };
        recorder.start();
      } catch (e) { recorder = null; }
      // A quiet moment first (the background), then the sentence (the voice).
      show("tc-mic-quiet");
      setTimeout(function () { $("tc-mic-quiet").hidden = true; show("tc-mic-prompt"); }, 1500);
      var meter = $("tc-mic-level");
      return new Promise(function (resolve) {
        var timer = setInterval(function () {
          analyser.getFloatTimeDomainData(buf);
          var sq = 0;
          for (var i = 0; i < buf.length; i++) {
            var v = buf[i]; sq += v * v;
            if (Math.abs(v) >= 0.99) clipped++;
            if (Math.abs(v) > peak) peak = Math.abs(v);
          }
          samples += buf.length;
          var rms = Math.sqrt(sq / buf.length);
          var dbfs = rms > 0 ? 20 * Math.log10(rms) + 3.01 : -120;
          levels.push(Math.max(-120, dbfs));
          if (meter) meter.value = Math.max(0, 100 + Math.max(-100, dbfs));
        }, 50);
        setTimeout(function () {
          clearInterval(timer);
          function done() {
            if (chunks.length) {
              var audio = $("tc-playback");
              audio.src = URL.createObjectURL(new Blob(chunks, { type: chunks[0].type }));
              show("tc-playback-wrap");
            }
            resolve({
              error: null, flat: peak < 1e-5,
              speech_dbfs: levels.length ? percentile(levels, 0.9) : null,
              background_dbfs: levels.length ? percentile(levels, 0.1) : null,
              clip_share: samples ? clipped / samples : 0
            });
          }
          if (recorder && recorder.state !== "inactive") { recorder.onstop = done; recorder.stop(); }
          else done();
        }, 5000);
      });
    }, function (e) { return { error: errName(e) }; });
  }

  // ------------------------------------------------------------------ speakers
  function beepsWav(count) {
    var rate = 22050, beep = 0.16, gap = 0.34;
    var total = Math.ceil(rate * (count * (beep + gap) + 0.2));
    var pcm = new Int16Array(total);
    for (var n = 0; n < count; n++) {
      var start = Math.floor(rate * (0.1 + n * (beep + gap)));
      for (var i = 0; i < rate * beep; i++) {
        var env = Math.min(1, i / 200, (rate * beep - i) / 200);
        pcm[start + i] = Math.round(0.5 * 32767 * env * Math.sin(2 * Math.PI * 660 * i / rate));
      }
    }
    var header = new DataView(new ArrayBuffer(44));
    function str(o, s) { for (var k = 0; k < s.length; k++) header.setUint8(o + k, s.charCodeAt(k)); }
    str(0, "RIFF"); header.setUint32(4, 36 + pcm.byteLength, true); str(8, "WAVE"); str(12, "fmt ");
    header.setUint32(16, 16, true); header.setUint16(20, 1, true); header.setUint16(22, 1, true);
    header.setUint32(24, rate, true); header.setUint32(28, rate * 2, true); header.setUint16(32, 2, true);
    header.setUint16(34, 16, true); str(36, "data"); header.setUint32(40, pcm.byteLength, true);
    return new Blob([header, pcm], { type: "audio/wav" });
  }

  function playBeeps() {
    state.beeps = 2 + Math.floor(Math.random() * 4);
    var audio = $("tc-beeps");
    audio.src = URL.createObjectURL(beepsWav(state.beeps));
    var sink = $("tc-speaker-select");
    var ready = sink && sink.value && audio.setSinkId ? audio.setSinkId(sink.value) : Promise.resolve();
    ready.then(function () { return audio.play(); }).catch(function () {});
    show("tc-speaker-answer");
  }

  function speakersResult() {
    return new Promise(function (resolve) {
      $("tc-speaker-form").addEventListener("submit", function (event) {
        event.preventDefault();
        var answer = parseInt($("tc-speaker-count").value, 10);
        resolve({ answered: !isNaN(answer), correct: answer === state.beeps,
          sink_selectable: !!(HTMLMediaElement.prototype.setSinkId) });
      });
      $("tc-speaker-skip").addEventListener("click", function () {
        resolve({ answered: false, correct: false, sink_selectable: false });
      });
    });
  }

  // ------------------------------------------------------------------ network
  function serverMs(response) {
    var m = /dur=([\d.]+)/.exec(response.headers.get("Server-Timing") || "");
    return m ? parseFloat(m[1]) : 0;
  }

  function timed(url, options) {
    var t0 = performance.now();
    return fetch(url, Object.assign({ cache: "no-store", credentials: "same-origin" }, options || {}))
      .then(function (r) {
        return r.arrayBuffer().then(function (body) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return { ms: performance.now() - t0 - serverMs(r), bytes: body.byteLength, body: body };
        });
      });
  }

  function testNetwork() {
    var started = performance.now(), failed = 0, down = 0, up = 0;
    var deadline = started + 30000;
    var rtts = [];
    var pingUrl = data.ping;
    function pings(n, into) {
      var chain = Promise.resolve();
      for (var i = 0; i < n; i++) {
        chain = chain.then(function () {
          if (performance.now() > deadline) return;
          return timed(pingUrl + "?t=" + Math.random()).then(function (r) { into.push(r.ms); },
            function () { failed++; });
        });
      }
      return chain;
    }
    return pings(30, rtts).then(function () {
      var rtt = median(rtts) || 0;
      var jitter = 0;
      for (var i = 1; i < rtts.length; i++) jitter += Math.abs(rtts[i] - rtts[i - 1]);
      jitter = rtts.length > 1 ? jitter / (rtts.length - 1) : 0;
      say("tc-network-status", word("Download"));

      var loaded = [], loading = true;
      function loadedPings() {
        if (!loading || performance.now() > deadline) return Promise.resolve();
        return timed(pingUrl + "?l=" + Math.random()).then(function (r) { loaded.push(r.ms); },
          function () { failed++; }).then(function () { return sleep(100); }).then(loadedPings);
      }
      var background = loadedPings();

      function ramp(kind, budget) {
        var size = 64 * 1024, max = 8 * 1024 * 1024, spent = 0, samples = [];
        function one() {
          if (performance.now() > deadline) return Promise.resolve();
          var request = kind === "down"
            ? timed(data.download + "?size=" + size).then(function (r) { return { bytes: r.bytes, ms: r.ms }; })
            : upload(size);
          return request.then(function (r) {
            spent += size;
            return r;
          });
        }
        // Grow the request until one takes about a second; that warm-up is dropped, then
        // two requests of that size are what we count.
        function grow() {
          return one().then(function (r) {
            if (!r) return null;
            if ((r.ms < 1000 && size < max) && spent + size * 2 < budget) {
              size = Math.min(max, size * 2);
              return grow();
            }
            return r;
          }, function () { failed++; return null; });
        }
        function measure(left) {
          if (left === 0 || spent + size > budget || performance.now() > deadline) return Promise.resolve();
          return one().then(function (r) { if (r) samples.push(r); }, function () { failed++; })
            .then(function () { return measure(left - 1); });
        }
        return grow().then(function (warm) {
          return measure(2).then(function () {
            if (!samples.length && warm) samples.push(warm);
            var bytes = 0, ms = 0;
            samples.forEach(function (s) { bytes += s.bytes; ms += Math.max(1, s.ms - rtt); });
            if (kind === "down") down += spent; else up += spent;
            return ms ? bytes * 8 / ms / 1000 : null;
          });
        });
      }

      function upload(size) {
        var part = new Uint8Array(65536);
        crypto.getRandomValues(part);
        var parts = [];
        for (var i = 0; i < size / 65536; i++) parts.push(part);
        var t0 = performance.now();
        return fetch(data.upload, {
          method: "POST", body: new Blob(parts), cache: "no-store", credentials: "same-origin",
          headers: { "X-CSRFToken": csrf(), "Content-Type": "application/octet-stream" }
        }).then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json().then(function (body) {
            // The server reads the body while it works: its time is the transfer, keep it.
            return { bytes: body.received, ms: performance.now() - t0 };
          });
        });
      }

      return ramp("down", 30 * 1024 * 1024).then(function (downloadMbps) {
        loading = false;
        return background.then(function () {
          say("tc-network-status", word("Upload"));
          return ramp("up", 15 * 1024 * 1024).then(function (uploadMbps) {
            var loadedRtt = median(loaded);
            return {
              rtt_ms: rtt, jitter_ms: jitter, download_mbps: downloadMbps, upload_mbps: uploadMbps,
              loaded_latency_ms: loadedRtt === null ? null : Math.max(0, loadedRtt - rtt),
              failed_requests: failed, bytes_down: down, bytes_up: up,
              seconds: (performance.now() - started) / 1000
            };
          });
        });
      });
    }).catch(function () { return null; });
  }

  // ------------------------------------------------------------------ STUN
  function testStun() {
    if (!data.stun || typeof RTCPeerConnection !== "function") return Promise.resolve({ status: "skipped" });
    return new Promise(function (resolve) {
      var pc = new RTCPeerConnection({ iceServers: [{ urls: data.stun }] });
      var finished = false;
      function end(status) { if (finished) return; finished = true; pc.close(); resolve({ status: status }); }
      pc.createDataChannel("probe");
      pc.onicecandidate = function (e) {
        if (e.candidate && / typ srflx /.test(e.candidate.candidate)) end("ok");
        if (!e.candidate) end("blocked");
      };
      pc.createOffer().then(function (o) { return pc.setLocalDescription(o); }).catch(function () { end("blocked"); });
      setTimeout(function () { end("blocked"); }, 5000);
    });
  }

  // ------------------------------------------------------------------ devices
  function listDevices() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return Promise.resolve({});
    return navigator.mediaDevices.enumerateDevices().then(function (devices) {
      var counts = { cameras: 0, microphones: 0, speakers: 0 };
      var selects = { videoinput: "tc-camera-select", audioinput: "tc-mic-select", audiooutput: "tc-speaker-select" };
      devices.forEach(function (d) {
        if (d.kind === "videoinput") counts.cameras++;
        if (d.kind === "audioinput") counts.microphones++;
        if (d.kind === "audiooutput") counts.speakers++;
        var select = $(selects[d.kind]);
        if (select && d.deviceId && !select.querySelector('option[value="' + CSS.escape(d.deviceId) + '"]')) {
          var option = document.createElement("option");
          option.value = d.deviceId;
          option.textContent = d.label || (select.options.length + ". " + d.kind);
          select.appendChild(option);
        }
      });
      return counts;
    });
  }

  function stopStreams() {
    [state.cameraStream, state.micStream].forEach(function (s) {
      if (s) s.getTracks().forEach(function (t) { t.stop(); });
    });
  }

  // ------------------------------------------------------------------ run
  function run() {
    var start = $("tc-start");
    start.disabled = true;
    $("tc-report").innerHTML = "";
    var AC = window.AudioContext || window.webkitAudioContext;
    if (AC) {
      audioCtx = audioCtx || new AC();  // created and resumed inside the click
      audioCtx.resume();
    }
    show("tc-steps");
    // The button is disabled while the check runs: focus goes to the first step, not the page.
    $("tc-devices-h").focus();
    var result = { schema: 1, interview_id: data.interview ? parseInt(data.interview, 10) : null,
      browser: browserInfo() };
    say("tc-browser-status", word("Done"));
    var media = result.browser.get_user_media && audioCtx;
    say("tc-devices-status", word("Measuring"));
    var devices = media
      ? Promise.all([testCamera(), testMicrophone()])
      : Promise.resolve([{ error: "NotSupportedError" }, { error: "NotSupportedError" }]);
    return devices.then(function (found) {
      result.camera = found[0];
      result.microphone = found[1];
      say("tc-devices-status", word("Done"));
      return listDevices();
    }).then(function (counts) {
      result.devices = counts;
      show("tc-speakers");
      say("tc-network-status", word("Measuring"));
      var network = testNetwork().then(function (n) {
        result.network = n;
        say("tc-network-status", word("Done"));
      });
      var stun = testStun().then(function (s) { result.stun = s; });
      return Promise.all([speakersResult().then(function (s) { result.speakers = s; }), network, stun]);
    }).then(function () {
      stopStreams();
      state.result = result;
      say("tc-network-status", word("Sending"));
      return fetch(data.results, {
        method: "POST", credentials: "same-origin", body: JSON.stringify(result),
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() }
      });
    }).then(function (r) {
      return r.text().then(function (html) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        var report = $("tc-report");
        report.innerHTML = html;  // rendered and escaped by the server
        say("tc-network-status", word("Done"));
        (document.getElementById("tc-verdict") || report).focus();
      });
    }).catch(function () {
      say("tc-network-status", word("Failed"));
    }).then(function () {
      start.disabled = false;
      start.textContent = word("Again");
    });
  }

  $("tc-start").addEventListener("click", run);
  $("tc-play-beeps").addEventListener("click", playBeeps);
  root.hidden = false;
  var fallback = $("tc-nojs");
  if (fallback) fallback.hidden = true;
})();
