import { InvalidArgumentError, Option } from 'commander';
import {
  BACKEND_ENV,
  parseBackendChoice,
  describeError,
  type BackendChoice,
} from '../src/index.ts';

export interface BackendFlag {
  backend: BackendChoice;
}

/** `--backend auto|tensorflow-gpu|tensorflow|wasm|cpu`, defaulting to $ASSEMBLENET_BACKEND. */
export function backendOption(): Option {
  return new Option('--backend <name>', 'compute backend: auto|tensorflow-gpu|tensorflow|wasm|cpu')
    .env(BACKEND_ENV)
    .default('auto')
    .argParser((value: string) => {
      try {
        return parseBackendChoice(value);
      } catch (error) {
        throw new InvalidArgumentError(describeError(error));
      }
    });
}

/** Parses a positive integer flag (at most `max`), with the flag's name in the error. */
export function positiveInt(
  name: string,
  max: number = Number.MAX_SAFE_INTEGER,
): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) {
      throw new InvalidArgumentError(
        `${name}: expected a positive integer${max < Number.MAX_SAFE_INTEGER ? ` <= ${max}` : ''}, got "${value}"`,
      );
    }
    return parsed;
  };
}
