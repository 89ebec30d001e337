/**
 * The clip task a pool worker runs (loaded once per worker thread through tsWorkerEntry.mjs):
 *
 *   stat file -> probe (cached by file identity) -> sample clip indices per stream ->
 *   per stream: cache hit? read and verify : (decode the missing streams' frames (rgb24,
 *   resized/cropped) once -> flow per sampled pair -> quantise -> write the entry) ->
 *   move the arrays to the caller
 *
 * The cache holds one entry per stream, keyed by what decides its bytes (file identity, grid
 * rate, sampled indices and pairs, frame geometry, flow method/params/bound, code version) and
 * not by the stream's name, so requests that share a stream share its entry.
 */
import { performance } from 'node:perf_hooks';
import { DiskCache, cacheKey, fileIdentity, type FileIdentity } from '../cache/diskCache.ts';
import { InputError, VideoError } from '../errors.ts';
import { rgbToGray } from '../flow/gray.ts';
import {
  sampleTestClips,
  sampleTrainingClip,
  type ClipSpec,
  type SampledClip,
  type SampledStream,
} from '../video/clips.ts';
import { decodeFrameIndices } from '../video/decode.ts';
import { planFrameGeometry, type FramePlan } from '../video/geometry.ts';
import { probeVideo, type VideoInfo } from '../video/probe.ts';
import {
  CLIP_CODE_VERSION,
  type ClipRequest,
  type ClipResult,
  type ClipStreamResult,
  type FlowSettings,
} from './clipSpec.ts';
import { quantizedFlowInto, resolveFlowSettings } from './flowStage.ts';
import { withTransfer, type TransferEnvelope } from './transfer.ts';

const PROBES = 'probes';
const STREAMS = 'streams';

type Timing = ClipResult['timing'];

interface ClipPlan {
  identity: FileIdentity;
  info: VideoInfo;
  fps: number;
  sampled: SampledClip;
  frame: FramePlan;
  flow?: Required<FlowSettings>;
  /** Per sampled stream, its cache key. */
  keys: string[];
}

/** Stored with each stream entry. */
interface StreamMeta {
  video: string;
  kind: 'rgb' | 'flow';
  indices: number[];
  pairIndices?: number[];
  shape: [number, number, number, number];
  fps: number;
  flowBound?: number;
}

export default async function clipTask(
  request: ClipRequest,
): Promise<ClipResult | TransferEnvelope<ClipResult>> {
  const timing: Timing = { probeMs: 0, decodeMs: 0, flowMs: 0, cacheMs: 0 };
  checkRequest(request);
  const cache = request.cache ? new DiskCache(request.cache.dir) : undefined;
  const plan = await planClip(request, cache, timing);
  const streams: (ClipStreamResult | undefined)[] = plan.sampled.streams.map(() => undefined);
  const buffers: ArrayBuffer[] = [];
  const recomputed: string[] = [];
  if (cache) {
    const started = performance.now();
    plan.sampled.streams.forEach((stream, s) => {
      const read = cache.read<StreamMeta>(STREAMS, plan.keys[s]!);
      if (read.status === 'invalid') recomputed.push(read.reason);
      if (read.status !== 'hit') return;
      const data = read.entry.arrays.get('data')?.data;
      if (!(data instanceof Uint8Array) || data.length !== shapeSize(expectedShape(plan, stream))) {
        recomputed.push(`${cache.pathFor(STREAMS, plan.keys[s]!)}: unexpected array shape`);
        return;
      }
      buffers.push(read.entry.buffer);
      streams[s] = describeStream(
        plan,
        stream,
        s,
        true,
        request.output === 'none' ? undefined : data,
      );
    });
    timing.cacheMs += performance.now() - started;
  }
  const missing = plan.sampled.streams.filter((_, s) => !streams[s]);
  if (missing.length) {
    const computed = await computeStreams(request, plan, missing, timing);
    const started = performance.now();
    for (const [stream, data] of computed) {
      const s = plan.sampled.streams.indexOf(stream);
      const result = describeStream(plan, stream, s, false, data);
      if (cache) {
        const meta: StreamMeta = {
          video: request.video,
          kind: stream.kind,
          indices: stream.indices,
          pairIndices: stream.pairIndices,
          shape: result.shape,
          fps: plan.fps,
          flowBound: stream.kind === 'flow' ? plan.flow!.bound : undefined,
        };
        cache.write(STREAMS, plan.keys[s]!, meta, [
          { name: 'data', dtype: 'uint8', shape: result.shape, data },
        ]);
      }
      buffers.push(data.buffer as ArrayBuffer);
      streams[s] = request.output === 'none' ? { ...result, data: undefined } : result;
    }
    timing.cacheMs += performance.now() - started;
  }
  const result: ClipResult = {
    video: request.video,
    cached: missing.length === 0,
    recomputed: recomputed.length ? recomputed : undefined,
    width: plan.frame.width,
    height: plan.frame.height,
    fps: plan.fps,
    flowBound: plan.flow?.bound,
    streams: streams as ClipStreamResult[],
    timing,
  };
  return request.output === 'none' ? result : withTransfer(result, buffers);
}

function checkRequest(request: ClipRequest): void {
  if (!request.streams?.length)
    throw new InputError(`clip task: expected at least one stream, got none for ${request.video}`);
  const names = new Set<string>();
  for (const stream of request.streams) {
    if (names.has(stream.name))
      throw new InputError(`clip task: expected distinct stream names, got "${stream.name}" twice`);
    names.add(stream.name);
  }
  if (request.streams.some((s) => s.kind === 'flow') && !request.flow) {
    throw new InputError(
      `clip task: expected flow settings for the flow stream(s) of ${request.video}, got none`,
    );
  }
}

function expectedShape(plan: ClipPlan, stream: SampledStream): [number, number, number, number] {
  return [
    stream.indices.length,
    plan.frame.height,
    plan.frame.width,
    stream.kind === 'rgb' ? 3 : 2,
  ];
}

function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function describeStream(
  plan: ClipPlan,
  stream: SampledStream,
  s: number,
  cached: boolean,
  data: Uint8Array | undefined,
): ClipStreamResult {
  return {
    name: stream.name,
    kind: stream.kind,
    indices: stream.indices,
    pairIndices: stream.pairIndices,
    shape: expectedShape(plan, stream),
    data,
    cached,
    key: plan.keys[s]!,
  };
}

/** Everything that decides each stream's bytes; its key is the SHA-256 of all of it. */
async function planClip(
  request: ClipRequest,
  cache: DiskCache | undefined,
  timing: Timing,
): Promise<ClipPlan> {
  let identity: FileIdentity;
  try {
    identity = fileIdentity(request.video, request.cache?.identity);
  } catch {
    throw new VideoError(`clip task: expected a video file, got no such file: ${request.video}`);
  }
  const started = performance.now();
  const info = await probeCached(request.video, identity, cache);
  timing.probeMs += performance.now() - started;
  const fps = request.fps === 'native' ? info.avgFrameRate : request.fps;
  if (!(fps > 0))
    throw new InputError(`clip task: expected fps > 0 or 'native', got ${request.fps}`);
  const frameCount =
    request.fps === 'native' ? info.frameCount : Math.max(1, Math.floor(info.duration * fps));
  const spec: ClipSpec = {
    fps,
    streams: request.streams.map((s) => ({
      name: s.name,
      kind: s.kind,
      frames: s.frames,
      stride: s.stride,
      flowGap: s.kind === 'flow' ? (s.flowGap ?? s.stride) : undefined,
    })),
  };
  const placement = request.placement;
  let sampled: SampledClip;
  if (placement.kind === 'test') {
    if (
      !(
        Number.isInteger(placement.index) &&
        placement.index >= 0 &&
        placement.index < placement.count
      )
    ) {
      throw new InputError(
        `clip task: expected a test clip index in [0, ${placement.count}), got ${placement.index}`,
      );
    }
    sampled = sampleTestClips(
      spec,
      { frameCount },
      { count: placement.count, segment: placement.segment },
    )[placement.index]!;
  } else {
    sampled = sampleTrainingClip(
      spec,
      { frameCount },
      { seed: placement.seed, segment: placement.segment },
    );
  }
  const geometry = request.geometry;
  const frame = planFrameGeometry(info, {
    shortSide: geometry.shortSide,
    crop: geometry.crop,
    cropMode: geometry.cropMode,
    seed: geometry.cropSeed,
  });
  const flow = request.streams.some((s) => s.kind === 'flow')
    ? resolveFlowSettings(request.flow!)
    : undefined;
  const keys = sampled.streams.map((stream) =>
    cacheKey({
      version: CLIP_CODE_VERSION,
      file: identity,
      fps,
      kind: stream.kind,
      indices: stream.indices,
      pairs: stream.pairIndices,
      frame,
      flow: stream.kind === 'flow' ? flow : undefined,
    }),
  );
  return { identity, info, fps, sampled, frame, flow, keys };
}

async function probeCached(
  video: string,
  identity: FileIdentity,
  cache: DiskCache | undefined,
): Promise<VideoInfo> {
  const key = cacheKey({ version: CLIP_CODE_VERSION, probe: identity });
  if (cache) {
    const read = cache.read<VideoInfo>(PROBES, key);
    if (read.status === 'hit') return { ...read.entry.meta, path: video };
  }
  const info = await probeVideo(video);
  cache?.write(PROBES, key, info);
  return info;
}

/** Decodes the frames the `streams` need (once) and builds their arrays. */
async function computeStreams(
  request: ClipRequest,
  plan: ClipPlan,
  streams: SampledStream[],
  timing: Timing,
): Promise<[SampledStream, Uint8Array][]> {
  const { width, height } = plan.frame;
  const pixels = width * height;
  const wanted = new Set<number>();
  for (const stream of streams)
    for (const i of [...stream.indices, ...(stream.pairIndices ?? [])]) wanted.add(i);
  let started = performance.now();
  const decoded = await decodeFrameIndices(
    request.video,
    [...wanted].sort((a, b) => a - b),
    {
      info: plan.info,
      fps: request.fps === 'native' ? plan.info.avgFrameRateText : plan.fps,
      shortSide: request.geometry.shortSide,
      crop: request.geometry.crop,
      cropMode: request.geometry.cropMode,
      seed: request.geometry.cropSeed,
    },
  );
  timing.decodeMs += performance.now() - started;
  const frames = new Map<number, Uint8Array>();
  for (const frame of decoded) frames.set(frame.index, frame.data);
  const frameAt = (index: number): Uint8Array => {
    const data = frames.get(index);
    if (!data)
      throw new VideoError(
        `clip task: expected frame ${index} of ${request.video} from the decoder, got none`,
      );
    return data;
  };

  // one buffer for the computed streams ([T, H, W, 3] rgb, [T, H, W, 2] flow, back to back)
  const sizes = streams.map((stream) => shapeSize(expectedShape(plan, stream)));
  const buffer = new ArrayBuffer(sizes.reduce((a, b) => a + b, 0));
  let offset = 0;

  started = performance.now();
  const grays = new Map<number, Float32Array>();
  const grayAt = (index: number): Float32Array => {
    let gray = grays.get(index);
    if (!gray) {
      gray = rgbToGray(frameAt(index), width, height);
      grays.set(index, gray);
    }
    return gray;
  };
  const flows = new Map<string, Uint8Array>();
  const results: [SampledStream, Uint8Array][] = [];
  for (const [s, stream] of streams.entries()) {
    const data = new Uint8Array(buffer, offset, sizes[s]);
    offset += sizes[s]!;
    results.push([stream, data]);
    if (stream.kind === 'rgb') {
      stream.indices.forEach((index, t) => data.set(frameAt(index), t * pixels * 3));
      continue;
    }
    const pairs = stream.pairIndices!;
    for (const [t, index] of stream.indices.entries()) {
      const pairKey = `${index}>${pairs[t]}`;
      const slot = data.subarray(t * pixels * 2, (t + 1) * pixels * 2);
      const known = flows.get(pairKey);
      if (known) {
        slot.set(known);
        continue;
      }
      await quantizedFlowInto(grayAt(index), grayAt(pairs[t]!), width, height, plan.flow!, slot);
      flows.set(pairKey, slot);
    }
  }
  timing.flowMs += performance.now() - started;
  return results;
}
