/**
 * Gradients the project registers over tfjs-core's, for every backend.
 * See each file for what the stock gradient lacks.
 */
import { tf } from '../tf.ts';
import { conv2DGradConfig } from './Conv2D_grad.ts';

const ENGINE_GRADIENTS = [conv2DGradConfig];

let installed = false;

/** Registers the project's gradients (idempotent); returns the kernel names they cover. */
export function installEngineGradients(): string[] {
  if (!installed) {
    for (const config of ENGINE_GRADIENTS) tf.registerGradient(config);
    installed = true;
  }
  return ENGINE_GRADIENTS.map((config) => config.kernelName);
}
