/**
 * Flow storage conventions of the action-recognition field: clip each component to
 * +-bound pixels (20 by default), store as uint8 mapping [-bound, bound] -> [0, 255], and feed
 * the model floats in [-1, 1].
 */
import { InputError } from '../errors.ts';

export const DEFAULT_FLOW_BOUND = 20;

function checkBound(bound: number): void {
  if (!(bound > 0) || !Number.isFinite(bound))
    throw new InputError(`flow normalisation: expected bound > 0, got ${bound}`);
}

/** Each component clipped to [-bound, bound] (a new array). */
export function clipFlow(flow: Float32Array, bound = DEFAULT_FLOW_BOUND): Float32Array {
  checkBound(bound);
  const out = new Float32Array(flow.length);
  for (let i = 0; i < flow.length; i++) {
    const v = flow[i];
    out[i] = v < -bound ? -bound : v > bound ? bound : v;
  }
  return out;
}

/** Clip, then round((v + bound) * 255 / (2 bound)) to bytes; NaN maps to the middle (128). */
export function quantizeFlow(flow: Float32Array, bound = DEFAULT_FLOW_BOUND): Uint8Array {
  checkBound(bound);
  const out = new Uint8Array(flow.length);
  const scale = 255 / (2 * bound);
  for (let i = 0; i < flow.length; i++) {
    let v = flow[i];
    if (Number.isNaN(v)) v = 0;
    v = v < -bound ? -bound : v > bound ? bound : v;
    out[i] = Math.round((v + bound) * scale);
  }
  return out;
}

/** Bytes -> model input floats in [-1, 1] (q / 127.5 - 1). */
export function quantizedFlowToUnit(quantized: Uint8Array): Float32Array {
  const out = new Float32Array(quantized.length);
  for (let i = 0; i < quantized.length; i++) out[i] = quantized[i] / 127.5 - 1;
  return out;
}

/** Bytes -> pixels (the inverse of quantizeFlow up to half a step, bound / 255). */
export function dequantizeFlow(quantized: Uint8Array, bound = DEFAULT_FLOW_BOUND): Float32Array {
  checkBound(bound);
  const out = new Float32Array(quantized.length);
  for (let i = 0; i < quantized.length; i++) out[i] = (quantized[i] / 255) * 2 * bound - bound;
  return out;
}

/** Pixels -> floats in [-1, 1] without quantising (clip / bound). */
export function flowToUnit(flow: Float32Array, bound = DEFAULT_FLOW_BOUND): Float32Array {
  checkBound(bound);
  const out = new Float32Array(flow.length);
  for (let i = 0; i < flow.length; i++) {
    const v = flow[i] / bound;
    out[i] = v < -1 ? -1 : v > 1 ? 1 : Number.isNaN(v) ? 0 : v;
  }
  return out;
}
