import { Piscina } from 'piscina';

/**
 * A task result that moves `buffers` to the receiving thread instead of copying them: after the
 * post the buffers are detached on the sending side (byteLength 0), the receiver owns them.
 */
export interface TransferEnvelope<R> {
  readonly value: R;
  readonly buffers: readonly ArrayBuffer[];
  readonly [TRANSFER_MARK]: true;
}

const TRANSFER_MARK = Symbol('assemblenet.transfer');

/** Marks `value` for zero-copy return from a worker task; `buffers` are the ones it views. */
export function withTransfer<R>(value: R, buffers: readonly ArrayBuffer[]): TransferEnvelope<R> {
  return { value, buffers: dedupe(buffers), [TRANSFER_MARK]: true };
}

export function isTransferEnvelope(value: unknown): value is TransferEnvelope<unknown> {
  return typeof value === 'object' && value !== null && TRANSFER_MARK in value;
}

/** The buffers behind a list of typed arrays, for `withTransfer` / `run(..., {transfer})`. */
export function buffersOf(views: readonly (ArrayBufferView | undefined)[]): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const view of views) {
    if (!view) continue;
    if (!(view.buffer instanceof ArrayBuffer)) {
      throw new TypeError('transfer: expected views on ArrayBuffer, got a SharedArrayBuffer view');
    }
    buffers.push(view.buffer);
  }
  return dedupe(buffers);
}

function dedupe(buffers: readonly ArrayBuffer[]): ArrayBuffer[] {
  return [...new Set(buffers)];
}

/**
 * Wraps `value` as a piscina "movable": piscina posts it with `buffers` in the transfer list.
 * Piscina.move only takes one buffer; an object carrying its own transferable/value symbols
 * takes a list (piscina concatenates it into postMessage's transfer list).
 */
export function piscinaMovable(value: unknown, buffers: readonly ArrayBuffer[]): unknown {
  const movable = {
    [Piscina.transferableSymbol]: [...buffers],
    [Piscina.valueSymbol]: value,
  };
  // Piscina's types only know its own transferable wrappers; the object above has the same shape.
  return Piscina.move(movable as unknown as ArrayBuffer);
}
