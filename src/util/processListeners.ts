/**
 * Emscripten builds (tfjs-backend-wasm, OpenCV.js) install process-wide `uncaughtException` and
 * `unhandledRejection` handlers that rethrow: any rejection anywhere then aborts the wasm runtime
 * and Node prints the minified line of their source (kilobytes) instead of the error. Take a
 * snapshot before such a module initialises and call the returned function after it: the
 * handlers it added are removed, the application's own stay.
 */
const EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

export function removeListenersAddedAfterNow(): () => void {
  // the event names are a union: go through the untyped EventEmitter signature
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  return () => {
    for (const event of EVENTS) {
      for (const listener of emitter.listeners(event) as ((...args: unknown[]) => void)[]) {
        if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener);
      }
    }
  };
}
