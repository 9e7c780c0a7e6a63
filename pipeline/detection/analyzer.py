"""`ClipAnalyzer`: one clip in, `ClipDetections` out, with models loaded once per process.

Reading is sequential and never seeks: the packets are demuxed once (cheap), the sampling plan
is made from their sizes (`sampling.plan_samples`), then they are fed to the decoder in order,
which decodes only keyframes (``skip_frame="NONKEY"``) except in groups of pictures where the
plan wants a frame between keyframes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from core.detection.boxes import FALSE_ALARM, OBJECT_LABELS, PLATE, RAIN, Box, Detector
from core.detection.results import (
    ClipDetections,
    DetectionSwitches,
    FrameBoxes,
    LabelHit,
    PlateCrop,
)
from core.settings.detection import DetectionSettings
from pipeline.detection.artifacts import draw_boxes, write_jpeg
from pipeline.detection.plate_reader import PlateReader
from pipeline.detection.plates import PlateFinder, best_reads, crop_vehicles, vehicle_tracks
from pipeline.detection.preview import PreviewFrames
from pipeline.detection.sampling import PacketInfo, SamplingPlan, plan_samples
from pipeline.detection.scene import STREAKS_FOR_FULL_RAIN, SceneMeter
from pipeline.detection.timeline import false_alarm_cause, merge_labels, persistent_objects

logger = logging.getLogger(__name__)

SCENE_WIDTH = 640  # frame width the scene statistics (rain, motion) are calibrated at


@dataclass
class _BestFrame:
    score: float
    # The decoded frame itself, not the detector's small copy: the thumbnail is rendered from
    # it once at the end, at thumbnail size, whatever input size the detector uses.
    frame: av.VideoFrame
    boxes: list[Box]


def _even_size(width: int, height: int, scale: float) -> tuple[int, int]:
    # Even sizes keep swscale on its fast path for 4:2:0 frames.
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


class ClipAnalyzer:
    """Analyses clips with detectors it is given (built once by `pipeline.detection.service`)."""

    def __init__(
        self,
        settings: DetectionSettings,
        object_detector: Detector | None,
        plate_detector: Detector | None = None,
        plate_loader: Callable[[], Detector] | None = None,
        plate_reader: PlateReader | None = None,
        reader_loader: Callable[[], PlateReader] | None = None,
    ) -> None:
        self.settings = settings
        self.object_detector = object_detector
        self.plate_detector = plate_detector
        self._plate_loader = plate_loader
        self.plate_reader = plate_reader
        self._reader_loader = reader_loader

    def load_plate_detector(self) -> None:
        """Load the plate models now (detector ~120 MB, reader ~40 MB), only where a camera
        reads plates."""
        if self.plate_detector is None and self._plate_loader is not None:
            self.plate_detector = self._plate_loader()
        if self.plate_reader is None and self._reader_loader is not None:
            self.plate_reader = self._reader_loader()

    def analyze(
        self, clip: Path, switches: DetectionSwitches, output_dir: Path, stem: str
    ) -> ClipDetections:
        """Analyse ``clip`` for what ``switches`` ask; files go to ``output_dir/<stem>.*``."""
        if switches.needs_detector and self.object_detector is None:
            raise ValueError("this analyzer has no object detector")
        if switches.plates:
            self.load_plate_detector()
        if switches.plates and self.plate_detector is None:
            raise ValueError("this analyzer has no plate detector")
        started = time.monotonic()
        run = _ClipRun(self, switches, output_dir, stem)
        with av.open(str(clip)) as container:
            stream = container.streams.video[0]
            stream.codec_context.thread_count = self.settings.decoder_threads
            packets = [packet for packet in container.demux(stream) if packet.size]
            run.start(stream, packets)
            run.decode(stream, packets)
        result = run.finish()
        result.elapsed_ms = round((time.monotonic() - started) * 1000)
        logger.info(
            "detect clip=%s labels=%s keyframes=%d extra=%d runs=%d ms=%d",
            clip.name,
            ",".join(result.label_names()) or "-",
            result.keyframes_analysed,
            result.extra_frames_analysed,
            result.detector_runs,
            result.elapsed_ms,
        )
        return result


class _ClipRun:
    """The state of one `ClipAnalyzer.analyze` call."""

    def __init__(
        self, analyzer: ClipAnalyzer, switches: DetectionSwitches, output_dir: Path, stem: str
    ) -> None:
        self.settings = analyzer.settings
        self.detector = analyzer.object_detector if switches.needs_detector else None
        self.switches = switches
        self.output_dir = output_dir
        self.stem = stem
        self.scene = SceneMeter()
        self.frames: list[FrameBoxes] = []
        self.best: _BestFrame | None = None
        self.plates = (
            PlateFinder(analyzer.plate_detector, self.settings.max_plate_runs)
            if switches.plates and analyzer.plate_detector is not None
            else None
        )
        self.reader = analyzer.plate_reader if switches.plates else None
        self.preview: PreviewFrames | None = None
        self.result = ClipDetections(switches=switches, duration_s=0.0)

    def start(self, stream: av.video.stream.VideoStream, packets: list[av.Packet]) -> None:
        if stream.time_base is None:
            raise ValueError("the clip's video stream states no time base")
        self.time_base: Fraction = stream.time_base
        first_pts = min((p.pts for p in packets if p.pts is not None), default=0)
        self.start_pts = stream.start_time if stream.start_time is not None else first_pts
        infos = [
            PacketInfo(p.pts, self._seconds(p.pts), p.size, p.is_keyframe)
            for p in packets
            if p.pts is not None
        ]
        self.plan: SamplingPlan = plan_samples(
            infos,
            burst_ratio=self.settings.motion_burst_ratio,
            # Without a detector (rain only) in-between frames would add nothing.
            max_extra=self.settings.max_extra_frames if self.detector else 0,
        )
        width, height = stream.codec_context.width, stream.codec_context.height
        self.clip_size = (width, height)
        # The scene statistics (rain, motion, lighting) are calibrated at about 640 px wide,
        # so they get their own grey copy at that size whatever input the detector takes.
        self.scene_size = _even_size(width, height, min(1.0, SCENE_WIDTH / width))
        if self.settings.preview_width:
            preview_scale = min(1.0, self.settings.preview_width / width)
            self.preview = PreviewFrames(
                _even_size(width, height, preview_scale), self.settings.preview_max_kb * 1024
            )
        if self.detector is not None:
            in_w, in_h = self.detector.input_size
            self.work_size = _even_size(width, height, min(in_w / width, in_h / height))
        else:
            self.work_size = self.scene_size
        last = max((info.t_s for info in infos), default=0.0)
        rate = stream.average_rate or Fraction(15)
        self.result.duration_s = round(last + 1 / float(rate), 3)
        self.result.model = getattr(self.detector, "name", "") if self.detector else ""

    def _seconds(self, pts: int) -> float:
        return float((pts - self.start_pts) * self.time_base)

    def decode(self, stream: av.video.stream.VideoStream, packets: list[av.Packet]) -> None:
        codec = stream.codec_context
        pending: set[int] = set()
        for packet in packets:
            if packet.is_keyframe:
                extra = self.plan.extra_by_gop.get(packet.pts, ()) if packet.pts is not None else ()
                pending = set(extra)
                codec.skip_frame = "DEFAULT" if pending else "NONKEY"
            for frame in codec.decode(packet):
                self._on_frame(frame)
                pending.discard(frame.pts)
            if not pending:
                codec.skip_frame = "NONKEY"
        for frame in codec.decode(None):
            self._on_frame(frame)

    def _on_frame(self, frame: av.VideoFrame) -> None:
        if frame.pts is None or not self.plan.wanted(frame.pts):
            return
        keyframe = frame.pts in self.plan.keyframes
        t_s = round(self._seconds(frame.pts), 3)
        gray = frame.to_ndarray(
            format="gray",
            width=self.scene_size[0],
            height=self.scene_size[1],
            interpolation="AREA",
        )
        stats = self.scene.add(gray, t_s)
        if self.preview is not None:
            # Every decoded frame of the plan, noise-only bursts too: it costs a scale, not a
            # decode, and the loop keeps its rhythm.
            self.preview.offer(frame, t_s)
        if keyframe:
            self.result.keyframes_analysed += 1
        elif stats.changed_fraction < self.settings.pixel_change_threshold:
            return  # the burst was encoder noise, not something that moved
        else:
            self.result.extra_frames_analysed += 1
        if self.detector is None:
            return
        image = frame.to_ndarray(
            format="bgr24",
            width=self.work_size[0],
            height=self.work_size[1],
            interpolation="AREA",
        )
        self.result.detector_runs += 1
        scale = self.work_size[0] / self.clip_size[0]
        boxes = [box.scaled(1 / scale, 1 / scale) for box in self.detector.detect(image)]
        self.frames.append(FrameBoxes(t_s, boxes, keyframe))
        shown = boxes if self.switches.objects else []
        top = max((box.score for box in shown), default=0.0)
        if shown and (self.best is None or top > self.best.score):
            self.best = _BestFrame(top, frame, shown)
        if self.plates is not None and any(box.label == "vehicle" for box in boxes):
            min_width = self.settings.min_vehicle_width * self.clip_size[0]
            if any(box.label == "vehicle" and box.width >= min_width for box in boxes):
                full = frame.to_ndarray(format="bgr24")
                self.plates.offer(crop_vehicles(full, boxes, t_s, min_width))

    def finish(self) -> ClipDetections:
        result, settings = self.result, self.settings
        if self.switches.objects:
            result.labels.extend(merge_labels(self.frames, OBJECT_LABELS))
        if self.plates is not None:
            self._save_plates(self.plates)
        if self.switches.rain:
            result.rain_score = round(self.scene.rain_score(), 3)
            if result.rain_score >= settings.rain_threshold:
                result.labels.append(self._rain_hit(result.rain_score))
        if self.switches.false_alarm:
            result.false_alarm_cause = false_alarm_cause(
                self.frames,
                self.scene,
                min_frames=settings.min_persist_frames,
                rain_threshold=settings.rain_threshold,
                lighting_change=settings.lighting_change,
            )
            if result.false_alarm_cause is not None:
                result.labels.append(self._false_alarm_hit())
        # Boxes are kept only for what the camera's owner switched on.
        allowed = set(OBJECT_LABELS) if self.switches.objects else set()
        if self.switches.plates:
            allowed.add(PLATE)
        result.frames = [
            FrameBoxes(f.t_s, [b for b in f.boxes if b.label in allowed], f.keyframe)
            for f in self.frames
        ]
        for plate in result.plates:
            self._attach_plate_box(result.frames, plate)
        if self.best is not None:
            clip_width, clip_height = self.clip_size
            scale = min(1.0, settings.thumbnail_width / clip_width)
            image = self.best.frame.to_ndarray(
                format="bgr24",
                width=max(2, round(clip_width * scale)),
                height=max(2, round(clip_height * scale)),
                interpolation="AREA",
            )
            drawn = draw_boxes(image, self.best.boxes, scale)
            result.best_frame_path = write_jpeg(drawn, self.output_dir / f"{self.stem}.detect.jpg")
        if self.preview is not None:
            result.preview_path = self.preview.write(self.output_dir / f"{self.stem}.preview.webp")
        return result

    def _save_plates(self, plates: PlateFinder) -> None:
        found = plates.find()
        readings = (
            self.reader.read([image for _, _, image in found])
            if self.reader is not None
            else [None] * len(found)
        )
        texts = [
            reading.text
            if reading is not None and reading.score >= self.settings.plate_text_threshold
            else None
            for reading in readings
        ]
        tracks = vehicle_tracks([crop for crop, _, _ in found], texts)
        for number, (crop, plate, image) in enumerate(found):
            path = write_jpeg(image, self.output_dir / f"{self.stem}.plate{number}.jpg")
            reading = readings[number] if texts[number] is not None else None
            self.result.plates.append(
                PlateCrop(
                    crop.t_s,
                    plate.score,
                    plate.xyxy,
                    path,
                    text=reading.text if reading else None,
                    text_score=reading.score if reading else None,
                    track=tracks[number],
                )
            )
        self.result.plate_reads = best_reads(self.result.plates)
        if found:
            times = [crop.t_s for crop, _, _ in found]
            best = max(plate.score for _, plate, _ in found)
            self.result.labels.append(LabelHit(PLATE, best, min(times), max(times), len(found)))

    @staticmethod
    def _attach_plate_box(frames: list[FrameBoxes], plate: PlateCrop) -> None:
        for frame in frames:
            if frame.t_s == plate.t_s:
                frame.boxes.append(Box(PLATE, plate.score, plate.xyxy, "plate"))
                return

    def _rain_hit(self, score: float) -> LabelHit:
        wet = [
            frame.t_s
            for frame in self.scene.frames
            if frame.rain_streaks >= self.settings.rain_threshold * STREAKS_FOR_FULL_RAIN
        ] or [frame.t_s for frame in self.scene.frames]
        return LabelHit(RAIN, score, min(wet), max(wet), len(wet))

    def _false_alarm_hit(self) -> LabelHit:
        # Confidence that nothing real was there: high when the detector saw nothing at all.
        strongest = max((b.score for f in self.frames for b in f.boxes), default=0.0)
        moving = persistent_objects(self.frames, self.settings.min_persist_frames)
        score = 1.0 if not moving and strongest == 0 else round(1.0 - strongest / 2, 3)
        return LabelHit(FALSE_ALARM, score, 0.0, self.result.duration_s, 1)
