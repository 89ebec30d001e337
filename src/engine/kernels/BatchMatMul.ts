/**
 * BatchMatMul for wasm. The stock kernel is fast (XNNPACK) only without transposes; with
 * transposeA/transposeB it runs a naive loop (1-4 GFLOP/s). Here a transposed operand is
 * transposed explicitly and the product taken on the no-transpose path, and a batched `a`
 * against an unbatched `b` is folded into one matrix.
 *   a [...batch, M, K] (or [..., K, M] with transposeA), b [...batch, K, N] (or [..., N, K])
 *   -> [...batch, M, N]
 */
import { tf, type Tensor } from '../tf.ts';
import {
  asTensor,
  type KernelArgs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from './tensorInfo.ts';

interface Attrs {
  transposeA: boolean;
  transposeB: boolean;
}

const swapLast = (t: Tensor): Tensor => {
  const perm = t.shape.map((_, i) => i);
  perm.push(...perm.splice(-2).reverse());
  return tf.transpose(t, perm);
};

const product = (dims: number[]): number => dims.reduce((p, d) => p * d, 1);

/**
 * Makes the override around the stock kernel: it calls the stock no-transpose path, and keeps
 * the stock setup (which binds the wasm function) in case the backend initialises later.
 */
export function makeBatchMatMulConfig(stockConfig: KernelConfig): KernelConfig {
  const stock: KernelFunc = stockConfig.kernelFunc;
  const multiply = (a: Tensor, b: Tensor, args: KernelArgs): Tensor => {
    const out = stock({
      ...args,
      inputs: { a, b },
      attrs: { transposeA: false, transposeB: false },
    });
    return tf.engine().makeTensorFromTensorInfo(out as TensorInfo);
  };
  return {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    ...(stockConfig.setupFunc ? { setupFunc: stockConfig.setupFunc } : {}),
    kernelFunc: (args) => {
      const { transposeA, transposeB } = args.attrs as unknown as Attrs;
      const { a: aInfo, b: bInfo } = args.inputs as { a: TensorInfo; b: TensorInfo };
      const batchA = product(aInfo.shape.slice(0, -2));
      const batchB = product(bInfo.shape.slice(0, -2));
      const foldA = batchA > 1 && batchB === 1;
      if (!transposeA && !transposeB && !foldA) return stock(args);
      return tf.tidy(() => {
        let a = asTensor(aInfo);
        let b = asTensor(bInfo);
        if (transposeA) a = swapLast(a);
        if (transposeB) b = swapLast(b);
        const [m, k] = a.shape.slice(-2) as [number, number];
        const n = b.shape[b.rank - 1]!;
        const batchShape = tf.backend_util.assertAndGetBroadcastShape(
          a.shape.slice(0, -2),
          b.shape.slice(0, -2),
        );
        if (foldA) {
          const folded = multiply(a.reshape([1, batchA * m, k]), b.reshape([1, k, n]), args);
          return folded.reshape([...batchShape, m, n]);
        }
        return multiply(a, b, args);
      });
    },
  };
}
