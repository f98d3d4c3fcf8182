"""What each tech-check finding means and what to do, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TITLES = {
    "browser": _l("Browser"), "camera": _l("Camera"), "microphone": _l("Microphone"),
    "speakers": _l("Speakers"), "network": _l("Internet connection"),
    "download_mbps": _l("Download speed"), "upload_mbps": _l("Upload speed"),
    "rtt_ms": _l("Response time"), "jitter_ms": _l("Steadiness (jitter)"),
    "loaded_latency_ms": _l("Response time while busy"), "requests": _l("Failed requests"),
    "stun": _l("Video connection path (UDP)"),
}

STATUS = {"good": _l("Good"), "ok": _l("OK"), "warn": _l("Check this"), "fail": _l("Problem"),
          "skipped": _l("Not checked")}

VERDICT = {
    "ready": _l("You are ready for the interview."),
    "warnings": _l("You are ready, but look at the points marked below."),
    "not_ready": _l("Not ready yet: fix the problems below and run the check again."),
}

EXPLAIN = {
    "browser_ok": _l("Your browser can do video calls."),
    "browser_no_media": _l("This browser cannot use the camera and microphone here. Open the link in an up-to-date Chrome, Edge, Firefox or Safari."),
    "browser_in_app": _l("You opened the link inside an app (for example LinkedIn or Facebook). Open it in your phone's real browser instead: use the menu and choose \"Open in browser\"."),
    "browser_no_webrtc": _l("This browser cannot make video calls. Use an up-to-date Chrome, Edge, Firefox or Safari."),
    "browser_platform_unsupported": _l("The video platform of your interview does not fully support this browser. Use Chrome or Edge for the interview."),
    "browser_old": _l("Your browser is old. Update it before the interview, so the video call works."),
    "browser_unknown": _l("We do not know this browser well. If you can, use an up-to-date Chrome, Edge, Firefox or Safari."),
    "camera_ok": _l("Your camera works and the picture is clear."),
    "camera_blocked": _l("The browser is not allowed to use the camera. Click the camera icon in the address bar and choose Allow, then run the check again. On a phone, allow the camera for the browser in Settings."),
    "camera_missing": _l("No camera was found. Connect a camera, or use a phone or laptop that has one."),
    "camera_busy": _l("The camera is busy in another app (for example Teams, Zoom or Skype). Close that app and run the check again."),
    "camera_resolution": _l("The camera could not give the picture size we asked for. Try another camera if you have one."),
    "camera_failed": _l("The camera could not be started. Restart the browser and try again."),
    "camera_no_frames": _l("The camera gave no picture. Check that nothing covers the lens and that no other app uses the camera."),
    "camera_black": _l("The picture is mostly black. Check that nothing covers the lens, and that the right camera is chosen."),
    "camera_frozen": _l("The picture keeps freezing. Close other apps and browser tabs, and try again."),
    "camera_low_resolution": _l("The picture is small and may look blurry. It works, but a better camera or more light helps."),
    "camera_low_fps": _l("The picture is a little jerky. Close other apps, and give the camera more light."),
    "camera_dark": _l("The picture is dark. Sit facing a window or a lamp."),
    "mic_ok": _l("We hear you well."),
    "mic_blocked": _l("The browser is not allowed to use the microphone. Click the icon in the address bar and choose Allow, then run the check again."),
    "mic_missing": _l("No microphone was found. Connect a headset or use a device with a microphone."),
    "mic_busy": _l("The microphone is busy in another app. Close that app and try again."),
    "mic_failed": _l("The microphone could not be started. Restart the browser and try again."),
    "mic_flat": _l("The microphone gives no sound at all. Check that it is not muted, and that the right microphone is chosen."),
    "mic_silent": _l("We could hardly hear anything. Check that the microphone is not muted and speak towards it."),
    "mic_quiet": _l("Your voice is quiet. Move closer to the microphone or raise its volume."),
    "mic_noisy": _l("There is a lot of background noise. Find a quieter place or use a headset."),
    "mic_clipping": _l("Your voice is so loud that it distorts. Move back a little or lower the microphone volume."),
    "speakers_ok": _l("You can hear sound."),
    "speakers_ok_no_choice": _l("You can hear sound. This browser cannot switch speakers here: choose them in your computer's sound settings."),
    "speakers_skipped": _l("You did not test the sound. Do it, so you know you will hear us."),
    "speakers_wrong": _l("The answer did not match the sounds we played. Turn up the volume or try headphones, and test again."),
    "network_failed": _l("We could not measure your connection. Check that you are online and try again."),
    "not_measured": _l("This could not be measured."),
    "download_mbps_good": _l("Plenty for video."), "download_mbps_ok": _l("Enough for video."),
    "download_mbps_warn": _l("Video may be blurry. Move closer to your router or close other things that use the internet."),
    "download_mbps_fail": _l("Too slow for video. Use another network, a cable, or your phone's mobile data."),
    "upload_mbps_good": _l("Plenty for sending your video."), "upload_mbps_ok": _l("Enough for sending your video."),
    "upload_mbps_warn": _l("Others may see you blurry. Stop uploads and syncing (for example cloud backups) during the interview."),
    "upload_mbps_fail": _l("Too slow to send video. Use another network, a cable, or your phone's mobile data."),
    "rtt_ms_good": _l("Fast."), "rtt_ms_ok": _l("Fine for a conversation."),
    "rtt_ms_warn": _l("A little slow: you may talk over each other now and then. A cable or being near the router helps."),
    "rtt_ms_fail": _l("Too slow for a smooth conversation. Try another network."),
    "jitter_ms_good": _l("Steady."), "jitter_ms_ok": _l("Steady enough."),
    "jitter_ms_warn": _l("Uneven: sound may break up. Move closer to the router or use a cable."),
    "jitter_ms_fail": _l("Very uneven: sound will break up. Try another network."),
    "loaded_latency_ms_good": _l("Stays fast while busy."), "loaded_latency_ms_ok": _l("Stays fine while busy."),
    "loaded_latency_ms_warn": _l("Slows down when busy. Ask others at home to pause streaming and downloads during the interview."),
    "loaded_latency_ms_fail": _l("Gets much slower when busy. Pause other streaming and downloads, or use another network."),
    "requests_failed": _l("Some requests failed along the way. The connection may be unstable."),
    "stun_ok": _l("Video can take the direct path."),
    "stun_blocked": _l("The direct path for video is blocked on this network (common at workplaces). The call usually still works, but a home or mobile network is safer."),
    "stun_skipped": _l("Not checked here."),
}
