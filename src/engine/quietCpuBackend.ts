import { tf } from './tf.ts';

/**
 * tfjs-backend-cpu prints a multi-line "looks like you are running TensorFlow.js in Node.js"
 * banner on its first tensor write. This project chooses its backend on purpose (and `doctor`
 * says why), so the first write happens here with tfjs warnings muted, then the flag is restored.
 */
export function muteCpuBackendBanner(): void {
  if (tf.getBackend() !== 'cpu') return;
  const env = tf.env();
  const wasProd = env.getBool('PROD');
  env.set('PROD', true);
  try {
    tf.tensor1d([0]).dispose();
  } finally {
    env.set('PROD', wasProd);
  }
}
