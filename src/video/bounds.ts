/**
 * What an input file may declare before anything is decoded. A damaged or hostile file can
 * claim any size, length or rate; these bounds turn such claims into a VideoError that states
 * the bound, instead of gigabytes of allocations or a stream of ffmpeg warnings.
 */
import { VideoError } from '../errors.ts';

export const MEDIA_BOUNDS = Object.freeze({
  /** Largest width or height of a video frame (8K DCI is 8192 x 4320). */
  maxSide: 8192,
  /** Largest pixels per video frame (8192 x 4352: 8K with some margin). */
  maxPixels: 8192 * 4352,
  /**
   * Largest pixels of a still image for `flow`: optical flow needs about 175 bytes per pixel
   * (measured, TV-L1 and Farneback at 1024 x 1024), so 4K UHD (3840 x 2160) is about 1.5 GB.
   */
  maxStillPixels: 3840 * 2160,
  /** Longest duration, seconds (24 h). */
  maxDuration: 24 * 3600,
  /** Most frames a stream may declare or count (24 h at 60 fps). */
  maxFrames: 24 * 3600 * 60,
  /** Highest frame rate, frames per second. */
  maxFrameRate: 1000,
});

function megapixels(pixels: number): string {
  return `${(pixels / 1e6).toFixed(1)} MP`;
}

/** Throws a VideoError naming the file and the bound when a frame size is out of bounds. */
export function checkFrameSize(
  width: number,
  height: number,
  path: string,
  what = 'a video frame',
  maxPixels: number = MEDIA_BOUNDS.maxPixels,
): void {
  const { maxSide } = MEDIA_BOUNDS;
  if (width > maxSide || height > maxSide || width * height > maxPixels) {
    throw new VideoError(
      `media bounds: expected ${what} of at most ${maxSide} px per side and ${megapixels(maxPixels)}, ` +
        `got ${width}x${height} (${megapixels(width * height)}): ${path}`,
    );
  }
}

/** Throws a VideoError naming the file and the bound when duration, rate or frames are out of bounds. */
export function checkTimeline(
  duration: number,
  frameRate: number,
  frameCount: number,
  path: string,
): void {
  const { maxDuration, maxFrameRate, maxFrames } = MEDIA_BOUNDS;
  if (duration > maxDuration) {
    throw new VideoError(
      `media bounds: expected a duration of at most ${maxDuration} s, got ${duration} s: ${path}`,
    );
  }
  if (frameRate > maxFrameRate) {
    throw new VideoError(
      `media bounds: expected a frame rate of at most ${maxFrameRate} fps, got ${frameRate} fps: ${path}`,
    );
  }
  if (frameCount > maxFrames) {
    throw new VideoError(
      `media bounds: expected at most ${maxFrames} frames, got ${frameCount}: ${path}`,
    );
  }
}
