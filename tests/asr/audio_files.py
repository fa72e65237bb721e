"""Encode test audio into other containers with PyAV (mp3, flac, ogg/opus, webm/opus)."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from assistant.audio import decode_audio

FORMATS = {"flac": ("flac", "flac"), "mp3": ("mp3", "mp3"), "ogg": ("ogg", "libopus"), "webm": ("webm", "libopus")}


def encode(source: Path | bytes, fmt: str, *, rate: int | None = None, with_duration: bool = True) -> bytes:
    """Re-encode a clip (decoded at 16 kHz) as ``fmt``; opus formats are written at 48 kHz like browsers do."""
    samples = decode_audio(source).samples
    container_fmt, codec = FORMATS[fmt]
    out_rate = rate or (48000 if codec == "libopus" else 16000)
    if out_rate != 16000:
        from assistant.audio import resample

        samples = resample(samples, 16000, out_rate)
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_fmt) as container:
        stream: Any = container.add_stream(codec, rate=out_rate)
        stream.layout = "mono"
        frame_size = 960 if codec == "libopus" else 1152
        pts = 0
        for start in range(0, len(pcm), frame_size):
            piece = pcm[start : start + frame_size]
            frame = av.AudioFrame.from_ndarray(piece.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = out_rate
            frame.pts = pts
            frame.time_base = Fraction(1, out_rate)
            pts += len(piece)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()
