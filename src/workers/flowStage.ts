/**
 * The flow step of a clip task: gray frames -> flow field -> quantised bytes. The one place
 * where workers call into src/flow.
 */
import { InputError } from '../errors.ts';
import { tvl1Flow, resolveTvl1Options } from '../flow/tvl1.ts';
import type { FlowSettings } from './clipSpec.ts';

/** The settings with every default filled in (what the cache key records). */
export function resolveFlowSettings(settings: FlowSettings): Required<FlowSettings> {
  if (!(settings.bound > 0) || !Number.isFinite(settings.bound)) {
    throw new InputError(`flow: expected a quantisation bound > 0 (pixels), got ${settings.bound}`);
  }
  switch (settings.method) {
    case 'tvl1': {
      const params = resolveTvl1Options(settings.params as never) as unknown as Record<string, number | string>;
      return { method: 'tvl1', params, bound: settings.bound };
    }
    case 'farneback':
      return { method: 'farneback', params: { ...(settings.params ?? {}) }, bound: settings.bound };
    default:
      throw new InputError(`flow: expected method tvl1|farneback, got ${String((settings as FlowSettings).method)}`);
  }
}

/** Flow from `prevGray` to `nextGray` ([height, width], 0..255): [height, width, 2] (u, v) pixels. */
export function computeFlowField(
  prevGray: Float32Array,
  nextGray: Float32Array,
  width: number,
  height: number,
  settings: Required<FlowSettings>,
): Float32Array {
  if (settings.method === 'tvl1') return tvl1Flow(prevGray, nextGray, width, height, settings.params as never);
  throw new InputError('flow: farneback is not available in this build yet (use --flow tvl1)');
}

/**
 * Quantises flow [H, W, 2] into bytes: q = round((clip(f, -bound, bound) + bound) * 255 / (2 bound)).
 * Zero flow maps to 127.5 -> 128 (rounding half up); dequantise with f = q * 2 bound / 255 - bound.
 */
export function quantizeFlowInto(flow: Float32Array, bound: number, out: Uint8Array): void {
  if (out.length !== flow.length) throw new RangeError(`quantize flow: expected ${flow.length} bytes of output, got ${out.length}`);
  const scale = 255 / (2 * bound);
  for (let i = 0; i < flow.length; i++) {
    const v = flow[i]!;
    const clipped = v < -bound ? -bound : v > bound ? bound : v;
    out[i] = Math.floor((clipped + bound) * scale + 0.5);
  }
}
