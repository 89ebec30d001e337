/**
 * SGD with momentum (optionally Nesterov) on tf.Variables, with weight decay, and with state
 * that checkpoints save and restore exactly.
 *
 * Update per variable v with gradient g at learning rate lr (TensorFlow's MomentumOptimizer,
 * identical to `tf.train.momentum`):
 *
 *   g'   = g + wd * v            (weightDecayMode 'l2', the default; only variables `decays` selects)
 *   acc  = momentum * acc + g'
 *   step = nesterov ? g' + momentum * acc : acc
 *   v    = v - lr * step - lr * wd * v   (the last term only for 'decoupled')
 *
 * 'l2' equals adding `wd/2 * sum(v^2)` to the loss, which is what the official AssembleNet
 * does (Keras `l2(weight_decay / 2)` on conv kernels, momentum 0.9). 'decoupled' shrinks the
 * weights directly (SGDW-style, scaled by the current lr) and keeps decay out of the momentum.
 */
import { tf, type Tensor, type Variable } from '../engine/tf.ts';
import { InputError } from '../errors.ts';

export type WeightDecayMode = 'l2' | 'decoupled';

export interface SgdConfig {
  kind: 'sgd';
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  weightDecayMode: WeightDecayMode;
}

export interface SgdOptions extends Partial<Omit<SgdConfig, 'kind'>> {
  /**
   * Which variables get weight decay. Default: rank >= 2 (conv and dense kernels), so biases,
   * batch-norm parameters and connection weights are not decayed.
   */
  decays?: (variable: Variable) => boolean;
}

/** A tensor with the name it is saved under. */
export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

/** Suffix of a momentum slot's saved name: `<variable name>/momentum`. */
export const MOMENTUM_SUFFIX = '/momentum';

export function decaysKernels(variable: Variable): boolean {
  return variable.rank >= 2;
}

export class SgdMomentum {
  readonly config: SgdConfig;
  /** Updates applied so far. */
  iterations = 0;
  private readonly decays: (variable: Variable) => boolean;
  /** Momentum accumulators by the name of the variable they belong to. */
  private readonly slots = new Map<string, Variable>();

  constructor(options: SgdOptions = {}) {
    this.config = {
      kind: 'sgd',
      momentum: options.momentum ?? 0.9,
      nesterov: options.nesterov ?? false,
      weightDecay: options.weightDecay ?? 0,
      weightDecayMode: options.weightDecayMode ?? 'l2',
    };
    const { momentum, weightDecay, weightDecayMode } = this.config;
    if (!(momentum >= 0 && momentum < 1)) {
      throw new InputError(`optimizer: expected momentum in [0, 1), got ${momentum}`);
    }
    if (!(weightDecay >= 0)) throw new InputError(`optimizer: expected weightDecay >= 0, got ${weightDecay}`);
    if (weightDecayMode !== 'l2' && weightDecayMode !== 'decoupled') {
      throw new InputError(`optimizer: expected weightDecayMode l2|decoupled, got ${String(weightDecayMode)}`);
    }
    this.decays = options.decays ?? decaysKernels;
  }

  /**
   * Applies one update. `gradients[i]` belongs to `variables[i]`; a null gradient (variable
   * not reached by the loss) leaves that variable and its slot untouched.
   */
  applyGradients(variables: readonly Variable[], gradients: readonly (Tensor | null | undefined)[], lr: number): void {
    if (variables.length !== gradients.length) {
      throw new InputError(`optimizer: expected one gradient per variable (${variables.length}), got ${gradients.length}`);
    }
    if (!Number.isFinite(lr)) throw new InputError(`optimizer: expected a finite learning rate, got ${lr}`);
    const { momentum, nesterov, weightDecay, weightDecayMode } = this.config;
    const useSlots = momentum > 0;
    variables.forEach((variable, i) => {
      const gradient = gradients[i];
      if (gradient == null) return;
      if (!variable.trainable) return;
      const decay = weightDecay > 0 && this.decays(variable) ? weightDecay : 0;
      tf.tidy(() => {
        let g: Tensor = gradient;
        if (decay > 0 && weightDecayMode === 'l2') g = tf.add(g, tf.mul(tf.scalar(decay), variable));
        let step: Tensor = g;
        if (useSlots) {
          const slot = this.slot(variable);
          const accumulated = tf.add(tf.mul(tf.scalar(momentum), slot), g);
          slot.assign(accumulated);
          step = nesterov ? tf.add(g, tf.mul(accumulated, tf.scalar(momentum))) : accumulated;
        }
        let updated = tf.add(tf.mul(tf.scalar(-lr), step), variable);
        if (decay > 0 && weightDecayMode === 'decoupled') {
          updated = tf.sub(updated, tf.mul(tf.scalar(lr * decay), variable));
        }
        variable.assign(updated);
      });
    });
    this.iterations++;
  }

  private slot(variable: Variable): Variable {
    let slot = this.slots.get(variable.name);
    if (!slot) {
      slot = tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
      this.slots.set(variable.name, slot);
    } else if (!tf.util.arraysEqual(slot.shape, variable.shape)) {
      throw new InputError(
        `optimizer: momentum slot of "${variable.name}" expected shape [${variable.shape}], got [${slot.shape}]`,
      );
    }
    return slot;
  }

  /** Momentum slots as `<variable name>/momentum` tensors (views of the live state: copy or save, do not dispose). */
  getWeights(): NamedTensor[] {
    return [...this.slots].map(([name, slot]) => ({ name: name + MOMENTUM_SUFFIX, tensor: slot }));
  }

  /** Restores slots saved by {@link getWeights}; values are copied, the caller keeps its tensors. */
  setWeights(weights: readonly NamedTensor[], iterations?: number): void {
    for (const { name, tensor } of weights) {
      if (!name.endsWith(MOMENTUM_SUFFIX)) {
        throw new InputError(`optimizer: expected a "<variable>${MOMENTUM_SUFFIX}" slot, got "${name}"`);
      }
      const variableName = name.slice(0, -MOMENTUM_SUFFIX.length);
      const existing = this.slots.get(variableName);
      if (existing && tf.util.arraysEqual(existing.shape, tensor.shape)) {
        existing.assign(tensor);
      } else {
        existing?.dispose();
        this.slots.set(variableName, tf.tidy(() => tf.variable(tensor.clone(), false)));
      }
    }
    if (iterations !== undefined) this.iterations = iterations;
  }

  dispose(): void {
    for (const slot of this.slots.values()) slot.dispose();
    this.slots.clear();
  }
}
