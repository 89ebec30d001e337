/**
 * Colours of equal luminance: the appearance cue of tinted classes. Luminance is BT.601
 * (0.299 R + 0.587 G + 0.114 B), the weights of the gray frames optical flow is computed from
 * (src/flow/gray.ts) and of H.264's luma, so two colours of one luminance give the same gray.
 */
import type { Rgb } from './render.ts';

const LUMA: Rgb = [0.299, 0.587, 0.114];

function normalize(v: Rgb): Rgb {
  const n = Math.hypot(...v);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** Two orthonormal directions with zero luminance: adding them to a colour keeps its gray. */
const CHROMA_U = normalize([LUMA[1], -LUMA[0], 0]);
const CHROMA_V = normalize([
  LUMA[1] * CHROMA_U[2] - LUMA[2] * CHROMA_U[1],
  LUMA[2] * CHROMA_U[0] - LUMA[0] * CHROMA_U[2],
  LUMA[0] * CHROMA_U[1] - LUMA[1] * CHROMA_U[0],
]);

/** The zero-luminance direction of a tint angle (degrees), scaled by `chroma`. */
export function tintOffset(tint: number, chroma: number): Rgb {
  const radians = (tint * Math.PI) / 180;
  const c = Math.cos(radians);
  const s = Math.sin(radians);
  return [0, 1, 2].map((i) => chroma * (c * CHROMA_U[i]! + s * CHROMA_V[i]!)) as Rgb;
}

export function luminance(color: Rgb): number {
  return LUMA[0] * color[0] + LUMA[1] * color[1] + LUMA[2] * color[2];
}

/** Luminances at which the tinted colour stays inside 0..255 on every channel. */
export function tintLuminanceRange(tint: number, chroma: number): [number, number] {
  const offset = tintOffset(tint, chroma);
  const reach = Math.max(...offset.map(Math.abs));
  return [reach, 255 - reach];
}

/** The colour of luminance `lum` with the tint's hue (gray when chroma is 0). */
export function tintedColor(lum: number, tint: number, chroma: number): Rgb {
  const offset = tintOffset(tint, chroma);
  return [lum + offset[0], lum + offset[1], lum + offset[2]];
}
