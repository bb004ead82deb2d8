#!/usr/bin/env bash
# An example TRANSCRIBE_CMD: yt-dlp downloads the audio, ffmpeg makes it 16 kHz mono WAV,
# whisper.cpp transcribes it, jq turns whisper's JSON into the worker's JSON lines.
#
#   TRANSCRIBE_CMD="/opt/transcript-api/example-transcriber.sh" transcript-api worker --concurrency 2
#
# Needs on PATH (or in the variables below): yt-dlp, ffmpeg, whisper-cli (whisper.cpp, built with
# `cmake -B build && cmake --build build`; older releases name the binary `main`), jq; and a model
# (`models/download-ggml-model.sh base.en` in the whisper.cpp tree). Untested here: this machine
# has no network. Try it by hand first:  TRANSCRIBE_KIND=single ./example-transcriber.sh URL
#
# ── The protocol (what the worker expects of any TRANSCRIBE_CMD) ─────────────────────────────────
# Invocation  argv = TRANSCRIBE_CMD split like a shell would (no shell runs it: no pipes or $VARS;
#             put those in a script like this one) + the job's canonical URL as the LAST argument,
#             e.g. https://www.youtube.com/watch?v=ID or https://www.youtube.com/@handle.
#             Environment: the worker's (without DATABASE_URL, REDIS_URL, ADMIN_TOKEN, TRANSCRIBE_CMD),
#             plus TRANSCRIBE_KIND (single|channel), TRANSCRIBE_JOB_ID, TRANSCRIBE_ATTEMPT (1, 2, …).
#             stdin is closed. The command runs in its own process group; on timeout or shutdown
#             the whole group gets SIGTERM, then SIGKILL.
# Success     exit 0 with the result on stdout:
#   single    JSON lines, one object per line:
#               {"start_ms":0,"end_ms":1200,"text":"Hello.","speaker_label":null}   (confidence optional, 0..1)
#             plus, optionally on any line, metadata stored on the video and transcript rows:
#               {"video":{"title":"…","channel_name":"…","language":"en","category":"…",
#                 "duration_seconds":212,"thumbnail_url":"https://…","uploaded_at":"2024-05-01"},
#                "transcript":{"language":"en","model":"ggml-base.en"}}
#             or a WebVTT file (first line WEBVTT). Segments must be in time order, must not
#             overlap, and need non-empty text; at most 20,000. The transcript is stored with
#             source "whisper", replacing an earlier one of that video, in one transaction.
#   channel   one video per line: an 11-character id or a video URL (`#` comments and blank lines
#             are ignored). The worker creates a video row and a `single` child job for each video
#             that has no whisper transcript and no unfinished job yet; the channel job is then done.
# Failure     exit non-zero. The exit code and the last 2,000 characters of stderr become the job's
#             error; the job is retried until WORKER_MAX_ATTEMPTS, then failed.
# Progress    optional stderr lines `::stage downloading|transcoding|transcribing|diarizing` move
#             the job (and video) to that state; anything else on stderr is just log.
# Time limit  WORKER_STUCK_AFTER (default 900 s) is the lifetime of a claim: the worker kills the
#             transcriber min(10 s, a fifth) before it (so at 890 s by default) and counts a failed
#             attempt. Raise it above your longest video's download + transcription time.
# Concurrency each worker loop runs one transcriber at a time (`worker --concurrency N` runs N);
#             whisper.cpp already uses WHISPER_THREADS cores, so N × threads ≈ the cores you have.
set -euo pipefail

url="${1:?usage: example-transcriber.sh URL (the worker passes it)}"
kind="${TRANSCRIBE_KIND:-single}"

YTDLP="${YTDLP:-yt-dlp}"
FFMPEG="${FFMPEG:-ffmpeg}"
WHISPER_CLI="${WHISPER_CLI:-whisper-cli}"
WHISPER_MODEL="${WHISPER_MODEL:-/opt/whisper.cpp/models/ggml-base.en.bin}"
WHISPER_LANGUAGE="${WHISPER_LANGUAGE:-auto}" # `auto` needs a multilingual model (not *.en)
WHISPER_THREADS="${WHISPER_THREADS:-4}"

stage() { printf '::stage %s\n' "$1" >&2; }

if [[ "$kind" == channel ]]; then
  # The uploads tab, listed without downloading anything: one id per line on stdout.
  # (A channel's root URL would list its tabs, not its videos.)
  exec "$YTDLP" --flat-playlist --print id --no-warnings -- "${url%/}/videos"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/transcriber.XXXXXX")"
trap 'rm -rf -- "$work"' EXIT

stage downloading
# --print after_move:filepath prints the downloaded file's path once it is final; everything else
# yt-dlp says goes to stderr. --write-info-json leaves the metadata in audio.info.json.
audio="$("$YTDLP" --no-playlist --no-progress --no-warnings -f 'bestaudio/best' \
  --write-info-json -o "$work/audio.%(ext)s" --print after_move:filepath -- "$url")"

stage transcoding
"$FFMPEG" -nostdin -hide_banner -loglevel error -i "$audio" -ar 16000 -ac 1 -c:a pcm_s16le "$work/audio.wav" >&2

stage transcribing
# -oj writes $work/whisper.json; -np keeps whisper's own transcript print off our stdout.
"$WHISPER_CLI" -m "$WHISPER_MODEL" -f "$work/audio.wav" -l "$WHISPER_LANGUAGE" -t "$WHISPER_THREADS" \
  -np -oj -of "$work/whisper" >&2

# Metadata first (yt-dlp's info JSON: upload_date is YYYYMMDD, duration may be fractional).
jq -c --arg model "$(basename "$WHISPER_MODEL" .bin)" --slurpfile w "$work/whisper.json" '{
  video: {
    title: .title,
    channel_name: (.channel // .uploader),
    duration_seconds: (if .duration then (.duration | floor) else null end),
    thumbnail_url: .thumbnail,
    uploaded_at: (if .upload_date then "\(.upload_date[0:4])-\(.upload_date[4:6])-\(.upload_date[6:8])" else null end)
  },
  transcript: { language: ($w[0].result.language // null), model: $model }
}' "$work/audio.info.json"

# Then one line per segment. whisper.cpp's offsets are milliseconds; blank segments are dropped
# (the worker refuses empty text), and an end before the next start is clamped so that
# segments never overlap.
jq -c '
  [.transcription[] | {start_ms: .offsets.from, end_ms: .offsets.to, text: (.text | gsub("^\\s+|\\s+$"; "")), speaker_label: null}
   | select(.text != "")]
  | reduce .[] as $s ([]; . + [ if length > 0 and $s.start_ms < .[-1].end_ms then $s + {start_ms: .[-1].end_ms, end_ms: ([$s.end_ms, .[-1].end_ms] | max)} else $s end ])
  | .[]' "$work/whisper.json"
