/**
 * Image resampling for the flow pyramid and the warps: bilinear resize with OpenCV's
 * INTER_LINEAR coordinate mapping, and backward warping of an image and its two gradients
 * by a flow field (bilinear or bicubic). All images are flat row-major Float32Arrays.
 */

export type Interpolation = 'bilinear' | 'bicubic';

/**
 * Bilinear resize of `src` [srcHeight, srcWidth] into `dst` [dstHeight, dstWidth] with pixel
 * centres aligned (x_src = (x_dst + 0.5) * scale - 0.5, clamped at the borders), as OpenCV's
 * `resize(..., INTER_LINEAR)`. `invScaleX/Y` default to the size ratios; pass 1/fx to map
 * coordinates by an exact factor as `resize(src, dst, Size(), fx, fy)` does.
 */
export function resizeBilinear(
  src: Float32Array,
  srcWidth: number,
  srcHeight: number,
  dst: Float32Array,
  dstWidth: number,
  dstHeight: number,
  invScaleX = srcWidth / dstWidth,
  invScaleY = srcHeight / dstHeight,
): void {
  const x0s = new Int32Array(dstWidth);
  const x1s = new Int32Array(dstWidth);
  const wxs = new Float32Array(dstWidth);
  for (let x = 0; x < dstWidth; x++) {
    const [i0, i1, w] = sourceTap(x, invScaleX, srcWidth);
    x0s[x] = i0;
    x1s[x] = i1;
    wxs[x] = w;
  }
  for (let y = 0; y < dstHeight; y++) {
    const [y0, y1, wy] = sourceTap(y, invScaleY, srcHeight);
    const row0 = y0 * srcWidth;
    const row1 = y1 * srcWidth;
    const out = y * dstWidth;
    const wy0 = 1 - wy;
    for (let x = 0; x < dstWidth; x++) {
      const a = x0s[x];
      const b = x1s[x];
      const wx = wxs[x];
      const top = src[row0 + a] + wx * (src[row0 + b] - src[row0 + a]);
      const bottom = src[row1 + a] + wx * (src[row1 + b] - src[row1 + a]);
      dst[out + x] = wy0 * top + wy * bottom;
    }
  }
}

/** The two source taps and the weight of the second for destination index `d`. */
function sourceTap(d: number, invScale: number, size: number): [number, number, number] {
  let s = (d + 0.5) * invScale - 0.5;
  if (s < 0) s = 0;
  let i0 = Math.floor(s);
  let w = s - i0;
  if (i0 >= size - 1) {
    i0 = size - 1;
    w = 0;
  }
  const i1 = i0 + 1 < size ? i0 + 1 : size - 1;
  return [i0, i1, w];
}

/** Output buffers of `warpWithGradients`, each [height, width]. */
export interface WarpTargets {
  image: Float32Array;
  gradX: Float32Array;
  gradY: Float32Array;
}

/**
 * Samples `image`, `gradX` and `gradY` (each [height, width]) at (x + flowX, y + flowY) into
 * `out`. A sample point outside the image gets the value of `reference` at (x, y) and zero
 * gradients: it then carries no data term in TV-L1 (OpenCV's remap reads zeros there, which
 * also zeroes the gradients).
 */
export function warpWithGradients(
  image: Float32Array,
  gradX: Float32Array,
  gradY: Float32Array,
  flowX: Float32Array,
  flowY: Float32Array,
  reference: Float32Array,
  width: number,
  height: number,
  out: WarpTargets,
  interpolation: Interpolation,
): void {
  if (interpolation === 'bicubic') {
    warpBicubic(image, gradX, gradY, flowX, flowY, reference, width, height, out);
  } else {
    warpBilinear(image, gradX, gradY, flowX, flowY, reference, width, height, out);
  }
}

function warpBilinear(
  image: Float32Array,
  gradX: Float32Array,
  gradY: Float32Array,
  flowX: Float32Array,
  flowY: Float32Array,
  reference: Float32Array,
  width: number,
  height: number,
  out: WarpTargets,
): void {
  const { image: warped, gradX: warpedX, gradY: warpedY } = out;
  const maxX = width - 1;
  const maxY = height - 1;
  for (let y = 0; y < height; y++) {
    let i = y * width;
    for (let x = 0; x < width; x++, i++) {
      const sx = x + flowX[i];
      const sy = y + flowY[i];
      if (!(sx >= 0 && sx <= maxX && sy >= 0 && sy <= maxY)) {
        warped[i] = reference[i];
        warpedX[i] = 0;
        warpedY[i] = 0;
        continue;
      }
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const dx = x0 < maxX ? 1 : 0;
      const dy = y0 < maxY ? width : 0;
      const a = y0 * width + x0;
      const b = a + dx;
      const c = a + dy;
      const d = c + dx;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      warped[i] = w00 * image[a] + w01 * image[b] + w10 * image[c] + w11 * image[d];
      warpedX[i] = w00 * gradX[a] + w01 * gradX[b] + w10 * gradX[c] + w11 * gradX[d];
      warpedY[i] = w00 * gradY[a] + w01 * gradY[b] + w10 * gradY[c] + w11 * gradY[d];
    }
  }
}

/** Keys cubic convolution with A = -0.75, as OpenCV's INTER_CUBIC. */
const CUBIC_A = -0.75;

function warpBicubic(
  image: Float32Array,
  gradX: Float32Array,
  gradY: Float32Array,
  flowX: Float32Array,
  flowY: Float32Array,
  reference: Float32Array,
  width: number,
  height: number,
  out: WarpTargets,
): void {
  const { image: warped, gradX: warpedX, gradY: warpedY } = out;
  const maxX = width - 1;
  const maxY = height - 1;
  const A = CUBIC_A;
  for (let y = 0; y < height; y++) {
    let i = y * width;
    for (let x = 0; x < width; x++, i++) {
      const sx = x + flowX[i];
      const sy = y + flowY[i];
      if (!(sx >= 0 && sx <= maxX && sy >= 0 && sy <= maxY)) {
        warped[i] = reference[i];
        warpedX[i] = 0;
        warpedY[i] = 0;
        continue;
      }
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const tx = sx - x0;
      const ty = sy - y0;
      const wx1 = ((A + 2) * tx - (A + 3)) * tx * tx + 1;
      const sx1 = 1 - tx;
      const wx2 = ((A + 2) * sx1 - (A + 3)) * sx1 * sx1 + 1;
      const px = tx + 1;
      const wx0 = ((A * px - 5 * A) * px + 8 * A) * px - 4 * A;
      const wx3 = 1 - wx0 - wx1 - wx2;
      const wy1 = ((A + 2) * ty - (A + 3)) * ty * ty + 1;
      const sy1 = 1 - ty;
      const wy2 = ((A + 2) * sy1 - (A + 3)) * sy1 * sy1 + 1;
      const py = ty + 1;
      const wy0 = ((A * py - 5 * A) * py + 8 * A) * py - 4 * A;
      const wy3 = 1 - wy0 - wy1 - wy2;
      const c0 = x0 > 0 ? x0 - 1 : 0;
      const c2 = x0 < maxX ? x0 + 1 : maxX;
      const c3 = x0 + 2 <= maxX ? x0 + 2 : maxX;
      let sumI = 0;
      let sumX = 0;
      let sumY = 0;
      for (let k = 0; k < 4; k++) {
        let r = y0 - 1 + k;
        r = r < 0 ? 0 : r > maxY ? maxY : r;
        const row = r * width;
        const wy = k === 0 ? wy0 : k === 1 ? wy1 : k === 2 ? wy2 : wy3;
        const a = row + c0;
        const b = row + x0;
        const c = row + c2;
        const d = row + c3;
        sumI += wy * (wx0 * image[a] + wx1 * image[b] + wx2 * image[c] + wx3 * image[d]);
        sumX += wy * (wx0 * gradX[a] + wx1 * gradX[b] + wx2 * gradX[c] + wx3 * gradX[d]);
        sumY += wy * (wx0 * gradY[a] + wx1 * gradY[b] + wx2 * gradY[c] + wx3 * gradY[d]);
      }
      warped[i] = sumI;
      warpedX[i] = sumX;
      warpedY[i] = sumY;
    }
  }
}

/**
 * Centred differences of `src` [height, width] into `dx`, `dy`; one-sided half differences on
 * the borders (OpenCV's TV-L1 `centeredGradient`).
 */
export function centeredGradient(
  src: Float32Array,
  width: number,
  height: number,
  dx: Float32Array,
  dy: Float32Array,
): void {
  const lastX = width - 1;
  const lastY = height - 1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const up = y > 0 ? row - width : row;
    const down = y < lastY ? row + width : row;
    dx[row] = 0.5 * (src[row + 1] - src[row]);
    for (let x = 1; x < lastX; x++) dx[row + x] = 0.5 * (src[row + x + 1] - src[row + x - 1]);
    dx[row + lastX] = 0.5 * (src[row + lastX] - src[row + lastX - 1]);
    for (let x = 0; x < width; x++) dy[row + x] = 0.5 * (src[down + x] - src[up + x]);
  }
}
