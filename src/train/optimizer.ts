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
 *
 * On cpu, and on wasm for variables of up to 4096 elements, each variable's update is one kernel
 * call (engine/sgdMomentumUpdate.ts: one pass, float32 rounding per operation as below, the same
 * bits as the ops); otherwise the formula runs as tfjs ops (~8 kernel calls per variable).
 *
 * It is a `tf.Optimizer` (so `minimize`, `getWeights`/`setWeights` and the project's weightsIO
 * work with it); the training loop calls {@link SgdMomentum.update} with the step's rate.
 * Slots are kept by variable name, so restoring does not depend on the order of variables.
 */
import { fusedSgdMomentumUpdate } from '../engine/sgdMomentumUpdate.ts';
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
  /**
   * One kernel call per variable on cpu and for small variables on wasm (default;
   * engine/sgdMomentumUpdate.ts); false runs the tfjs-op form everywhere (for tests).
   */
  kernels?: boolean;
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

export class SgdMomentum extends tf.Optimizer {
  static get className(): string {
    return 'SgdMomentum';
  }

  readonly settings: SgdConfig;
  /** Rate used by `applyGradients`/`minimize`; `update` takes its own. */
  learningRate: number;
  private readonly decays: (variable: Variable) => boolean;
  private readonly kernels: boolean;
  /** Momentum accumulators by the engine name of the variable they belong to. */
  private readonly slots = new Map<string, Variable>();

  constructor(options: SgdOptions & { learningRate?: number } = {}) {
    super();
    this.settings = {
      kind: 'sgd',
      momentum: options.momentum ?? 0.9,
      nesterov: options.nesterov ?? false,
      weightDecay: options.weightDecay ?? 0,
      weightDecayMode: options.weightDecayMode ?? 'l2',
    };
    const { momentum, weightDecay, weightDecayMode } = this.settings;
    if (!(momentum >= 0 && momentum < 1)) {
      throw new InputError(`optimizer: expected momentum in [0, 1), got ${momentum}`);
    }
    if (!(weightDecay >= 0))
      throw new InputError(`optimizer: expected weightDecay >= 0, got ${weightDecay}`);
    if (weightDecayMode !== 'l2' && weightDecayMode !== 'decoupled') {
      throw new InputError(
        `optimizer: expected weightDecayMode l2|decoupled, got ${String(weightDecayMode)}`,
      );
    }
    this.decays = options.decays ?? decaysKernels;
    this.kernels = options.kernels ?? true;
    this.learningRate = options.learningRate ?? 0.01;
  }

  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }

  /**
   * Applies one update at rate `lr`. `gradients[i]` belongs to `variables[i]`; a null gradient
   * (variable not reached by the loss) leaves that variable and its slot untouched.
   */
  update(
    variables: readonly Variable[],
    gradients: readonly (Tensor | null | undefined)[],
    lr: number,
  ): void {
    if (variables.length !== gradients.length) {
      throw new InputError(
        `optimizer: expected one gradient per variable (${variables.length}), got ${gradients.length}`,
      );
    }
    if (!Number.isFinite(lr))
      throw new InputError(`optimizer: expected a finite learning rate, got ${lr}`);
    const { momentum, nesterov, weightDecay, weightDecayMode } = this.settings;
    variables.forEach((variable, i) => {
      const gradient = gradients[i];
      if (gradient == null || !variable.trainable) return;
      const decay = weightDecay > 0 && this.decays(variable) ? weightDecay : 0;
      tf.tidy(() => {
        const slot = momentum > 0 ? this.slot(variable) : undefined;
        const fused =
          this.kernels &&
          fusedSgdMomentumUpdate(variable, gradient, slot, {
            lr,
            momentum,
            nesterov,
            l2: weightDecayMode === 'l2' ? decay : 0,
            decoupled: weightDecayMode === 'decoupled' ? decay : 0,
          });
        if (fused) {
          if (slot && fused.slot) slot.assign(fused.slot);
          variable.assign(fused.value);
          return;
        }
        let g: Tensor = gradient;
        if (decay > 0 && weightDecayMode === 'l2')
          g = tf.add(g, tf.mul(tf.scalar(decay), variable));
        let step: Tensor = g;
        if (slot) {
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
    this.incrementIterations();
  }

  /** The tf.Optimizer entry point (used by `minimize`): variables are looked up by engine name. */
  applyGradients(variableGradients: Record<string, Tensor> | NamedTensor[]): void {
    const pairs = Array.isArray(variableGradients)
      ? variableGradients.map(({ name, tensor }) => [name, tensor] as const)
      : Object.entries(variableGradients);
    const registered = tf.engine().registeredVariables;
    const variables = pairs.map(([name]) => {
      const variable = registered[name];
      if (!variable)
        throw new InputError(`optimizer: expected a registered variable "${name}", got none`);
      return variable;
    });
    this.update(
      variables,
      pairs.map(([, tensor]) => tensor),
      this.learningRate,
    );
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

  /**
   * `iter` (a new scalar the caller disposes) then `<variable name>/momentum` per slot, in the
   * order the variables were first updated (the slots are live state: do not dispose them).
   */
  override async getWeights(): Promise<NamedTensor[]> {
    const slots = [...this.slots].map(([name, slot]) => ({
      name: name + MOMENTUM_SUFFIX,
      tensor: slot as Tensor,
    }));
    return [await this.saveIterations(), ...slots];
  }

  /** Restores what {@link getWeights} returned (`iter` first); values are copied. */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const slots = await this.extractIterations(weightValues);
    for (const { name, tensor } of slots) {
      if (!name.endsWith(MOMENTUM_SUFFIX)) {
        throw new InputError(
          `optimizer: expected a "<variable>${MOMENTUM_SUFFIX}" slot, got "${name}"`,
        );
      }
      const variableName = name.slice(0, -MOMENTUM_SUFFIX.length);
      const existing = this.slots.get(variableName);
      if (existing && tf.util.arraysEqual(existing.shape, tensor.shape)) {
        existing.assign(tensor);
      } else {
        existing?.dispose();
        this.slots.set(
          variableName,
          tf.tidy(() => tf.variable(tensor.clone(), false)),
        );
      }
    }
  }

  override getConfig(): { [key: string]: number | boolean | string } {
    return { learningRate: this.learningRate, ...this.settings };
  }

  override dispose(): void {
    for (const slot of this.slots.values()) slot.dispose();
    this.slots.clear();
  }
}
