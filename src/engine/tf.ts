/**
 * The one place the project imports TensorFlow.js from, so every module shares one engine.
 * The wasm backend registers itself on import; native backends are loaded on demand.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export { tf };
export type {
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Tensor4D,
  Tensor5D,
  Variable,
  Rank,
} from '@tensorflow/tfjs';
