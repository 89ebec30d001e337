/** One entry point for dense optical flow: TV-L1 (accurate, the field's standard) or Farneback (fast). */
import { InputError } from '../errors.ts';
import { farnebackFlow, type FarnebackOptions } from './farneback.ts';
import { tvl1Flow, type Tvl1Options } from './tvl1.ts';

export type FlowMethod = 'tvl1' | 'farneback';
export const FLOW_METHODS: readonly FlowMethod[] = Object.freeze(['tvl1', 'farneback']);

export type ComputeFlowOptions =
  | ({ method?: 'tvl1' } & Partial<Tvl1Options>)
  | ({ method: 'farneback' } & Partial<FarnebackOptions>);

/** Parses a method name, failing with the list of valid choices. */
export function parseFlowMethod(value: string): FlowMethod {
  if ((FLOW_METHODS as readonly string[]).includes(value)) return value as FlowMethod;
  throw new InputError(`flow: expected method ${FLOW_METHODS.join('|')}, got "${value}"`);
}

/**
 * Dense flow from `prevGray` to `nextGray` (gray 0..255, [height, width]) as [height, width, 2]
 * interleaved (u, v) in pixels: prev(x, y) ~ next(x + u, y + v). Defaults to TV-L1.
 */
export async function computeFlow(
  prevGray: Float32Array,
  nextGray: Float32Array,
  width: number,
  height: number,
  options: ComputeFlowOptions = {},
): Promise<Float32Array> {
  const { method = 'tvl1', ...params } = options;
  switch (method) {
    case 'tvl1':
      return tvl1Flow(prevGray, nextGray, width, height, params as Partial<Tvl1Options>);
    case 'farneback':
      return farnebackFlow(prevGray, nextGray, width, height, params as Partial<FarnebackOptions>);
    default:
      throw new InputError(
        `flow: expected method ${FLOW_METHODS.join('|')}, got "${String(method)}"`,
      );
  }
}

export * from './epe.ts';
export * from './flo.ts';
export * from './gray.ts';
export * from './normalize.ts';
export * from './synthetic.ts';
export {
  farnebackFlow,
  loadOpenCv,
  FARNEBACK_DEFAULTS,
  type FarnebackOptions,
} from './farneback.ts';
export {
  Tvl1Solver,
  tvl1Flow,
  resolveTvl1Options,
  TVL1_DEFAULTS,
  type Tvl1Options,
} from './tvl1.ts';
export type { Interpolation } from './resample.ts';
