#!/bin/sh
# Re-creates the audio fixtures in augkit/data/audio/ and tests/data/ (Debian: apt-get install
# flite espeak-ng sox libsox-fmt-all). Run from the repository root. flite 2.2, espeak-ng 1.51 and
# SoX 14.4.2 give byte-identical files on repeated runs
# (sox -R: repeatable random noise and dither).
set -eu
A=augkit/data/audio
T=tests/data
W=$(mktemp -d)
mkdir -p "$A" "$T"

# Clean speech: flite's "slt" voice, 16 kHz mono, 16-bit FLAC.
flite -voice slt -t "Hello, I am calling from a noisy train station, can you hear me?" -o "$W/speech.wav"
sox -R "$W/speech.wav" -r 16000 -b 16 -c 1 "$A/speech.flac"

# Crowd / babble: six espeak-ng talkers with different voices, rates and pitches, offset and mixed.
set -- \
  "en-us 150 40 Did you see the game last night" \
  "en-gb 170 60 I will meet you at the station at noon" \
  "en-us+f3 140 72 The coffee here is terrible but cheap" \
  "en-gb+m3 180 30 We should really get going before it rains" \
  "en-us+f4 160 55 Can you pass me the menu please" \
  "en-us+m7 165 45 Nobody told me the meeting was moved"
i=0
for line in "$@"; do
  set -- $line; voice=$1; rate=$2; pitch=$3; shift 3
  espeak-ng -v "$voice" -s "$rate" -p "$pitch" -w "$W/t$i.wav" "$*"
  sox -R "$W/t$i.wav" -r 16000 -b 16 -c 1 "$W/t${i}_16k.wav" pad 0 3
  i=$((i + 1))
done
sox -R -m "$W/t0_16k.wav" "|sox -R $W/t1_16k.wav -p pad 0.7" "|sox -R $W/t2_16k.wav -p pad 1.3" \
    "|sox -R $W/t3_16k.wav -p pad 0.2" "|sox -R $W/t4_16k.wav -p pad 2.1" "|sox -R $W/t5_16k.wav -p pad 1.7" \
    -b 16 "$A/babble.flac" trim 0 5 norm -3

# Car interior: brown noise plus a 66 Hz engine tone, band-limited to 20-300 Hz.
sox -R -n -r 16000 -c 1 -b 16 "$A/car.flac" synth 5 brownnoise synth 5 sine mix 66 vol 0.5 \
    lowpass 300 highpass 20 norm -6

# G.711 references for tests: the speech at 8 kHz as 16-bit PCM, and sox's mu-law and A-law
# encodings of exactly those samples.
sox -R "$A/speech.flac" -r 8000 -b 16 -c 1 "$T/speech_8k_pcm16.wav"
sox -R "$T/speech_8k_pcm16.wav" -e u-law "$T/speech_8k_ulaw.wav"
sox -R "$T/speech_8k_pcm16.wav" -e a-law "$T/speech_8k_alaw.wav"
rm -r "$W"
