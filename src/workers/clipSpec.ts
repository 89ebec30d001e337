/**
 * What one clip task asks a worker for, and what it returns. Types and defaults only: safe to
 * import on both sides of the thread boundary.
 *
 * Flow convention: a flow stream of stride s samples frames f_k = start + k*s (k < T) on the
 * index grid and returns T fields, field k = flow from frame f_k to frame f_k + s (its next
 * sample: "flow between consecutive sampled frames"), so it reads T+1 frames. `flowGap`
 * overrides the second frame's distance (1 = flow between adjacent grid frames, as datasets
 * that precompute flow at the native rate do). Past the end of the video indices are clamped
 * (the last pair may then be a frame with itself: zero flow).
 */
import type { FileIdentityMode } from '../cache/diskCache.ts';
import type { FlowMethod } from '../flow/index.ts';
import type { CropMode } from '../video/geometry.ts';

export interface ClipStreamRequest {
  /** Name of the stream, e.g. 'rgb', 'rgb_slow', 'flow'. */
  name: string;
  kind: 'rgb' | 'flow';
  /** T: samples per clip. */
  frames: number;
  /** Grid frames between samples. */
  stride: number;
  /** Flow only: second frame of each pair at index + flowGap. Default: the stride. */
  flowGap?: number;
}

/** Where the clip sits in the video. */
export type ClipPlacement =
  /** Clip `index` of `count` evenly spaced ones (multi-view testing; count 1 = centred). */
  | { kind: 'test'; index: number; count: number; segment?: { start: number; end: number } }
  /** A training clip at a seeded random position (same seed, same clip). */
  | { kind: 'train'; seed: number; segment?: { start: number; end: number } };

export interface ClipGeometry {
  /** Resize so the shorter side has this many pixels. */
  shortSide?: number;
  /** Square crop side (or width/height) after the resize. */
  crop?: number | { width: number; height: number };
  /** Default 'center'. */
  cropMode?: CropMode;
  /** Seed of a random crop. */
  cropSeed?: number;
}

export interface FlowSettings {
  method: FlowMethod;
  /** Method parameters (TV-L1: tau, lambda, theta, nscales, warps, ...); defaults filled in. */
  params?: Record<string, number | string>;
  /** Quantisation bound in pixels: each component is clipped to [-bound, bound] and mapped to 0..255. */
  bound: number;
}

export interface ClipRequest {
  video: string;
  streams: ClipStreamRequest[];
  /** Rate of the frame-index grid; 'native' = the video's average frame rate. */
  fps: number | 'native';
  placement: ClipPlacement;
  geometry: ClipGeometry;
  /** Needed when a stream is a flow stream. */
  flow?: FlowSettings;
  /** On-disk cache; omitted: always compute, store nothing. */
  cache?: { dir: string; identity?: FileIdentityMode };
  /** 'arrays' (default): return the arrays; 'none': only make sure the cache holds the clip. */
  output?: 'arrays' | 'none';
}

export interface ClipStreamResult {
  name: string;
  kind: 'rgb' | 'flow';
  /** Grid indices of the samples (flow: the first frame of each pair). */
  indices: number[];
  /** Flow only: the second frame of each pair. */
  pairIndices?: number[];
  /** [T, H, W, 3] for rgb, [T, H, W, 2] for flow. */
  shape: [number, number, number, number];
  /** rgb24 bytes, or quantised flow (see FlowSettings.bound); absent with output 'none'. */
  data?: Uint8Array;
  /** True when this stream came from the cache. */
  cached: boolean;
  /** Its cache key (SHA-256 hex). */
  key: string;
}

export interface ClipResult {
  video: string;
  /** True when every stream came from the cache. */
  cached: boolean;
  /** Why cache entries were recomputed (truncated, checksum mismatch, ...), when some were. */
  recomputed?: string[];
  width: number;
  height: number;
  fps: number;
  flowBound?: number;
  streams: ClipStreamResult[];
  /** Milliseconds spent in this task: probe, decode, flow, cache read/write. */
  timing: { probeMs: number; decodeMs: number; flowMs: number; cacheMs: number };
}

/** Bumped whenever decoding, flow or quantisation code changes the bytes of a cached clip. */
export const CLIP_CODE_VERSION = 1;
