/**
 * The flow step of a clip task: gray frames -> flow field (src/flow's computeFlow) ->
 * quantised bytes (src/flow's quantizeFlow convention). The one place where workers call
 * into src/flow.
 */
import { InputError } from '../errors.ts';
import {
  FARNEBACK_DEFAULTS,
  computeFlow,
  quantizeFlow,
  resolveTvl1Options,
  type ComputeFlowOptions,
} from '../flow/index.ts';
import type { FlowSettings } from './clipSpec.ts';

/** The settings with every default filled in (what the cache key records). */
export function resolveFlowSettings(settings: FlowSettings): Required<FlowSettings> {
  if (!(settings.bound > 0) || !Number.isFinite(settings.bound)) {
    throw new InputError(`flow: expected a quantisation bound > 0 (pixels), got ${settings.bound}`);
  }
  switch (settings.method) {
    case 'tvl1': {
      const params = resolveTvl1Options(settings.params as never) as unknown as Record<
        string,
        number | string
      >;
      return { method: 'tvl1', params, bound: settings.bound };
    }
    case 'farneback':
      return {
        method: 'farneback',
        params: { ...FARNEBACK_DEFAULTS, ...(settings.params ?? {}) },
        bound: settings.bound,
      };
    default:
      throw new InputError(
        `flow: expected method tvl1|farneback, got ${String((settings as FlowSettings).method)}`,
      );
  }
}

/**
 * Flow from `prevGray` to `nextGray` ([height, width], 0..255), quantised into `out`
 * ([height, width, 2] bytes: each component clipped to +-bound, mapped to 0..255).
 */
export async function quantizedFlowInto(
  prevGray: Float32Array,
  nextGray: Float32Array,
  width: number,
  height: number,
  settings: Required<FlowSettings>,
  out: Uint8Array,
): Promise<void> {
  // params were resolved for this method by resolveFlowSettings
  const options = { ...settings.params, method: settings.method } as ComputeFlowOptions;
  const field = await computeFlow(prevGray, nextGray, width, height, options);
  out.set(quantizeFlow(field, settings.bound));
}
