/**
 * Typed errors, one class per kind. Messages follow
 * "component: expected X, got Y (file:line)"; `where` carries the file/line when known.
 */
export class AssembleNetError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly where?: string,
  ) {
    super(where ? `${message} (${where})` : message);
    this.name = new.target.name;
  }
}

/** Bad user input: a manifest row, a genome, a spec, a flag. */
export class InputError extends AssembleNetError {
  constructor(message: string, where?: string) {
    super(message, 'E_INPUT', where);
  }
}

/** A video that cannot be probed or decoded. */
export class VideoError extends AssembleNetError {
  constructor(message: string, where?: string) {
    super(message, 'E_VIDEO', where);
  }
}

/** The compute engine cannot do what was asked (backend, memory, kernel). */
export class EngineError extends AssembleNetError {
  constructor(message: string, where?: string) {
    super(message, 'E_ENGINE', where);
  }
}

/** A required external tool (ffmpeg, ffprobe) is missing or broken. */
export class ToolError extends AssembleNetError {
  constructor(message: string, where?: string) {
    super(message, 'E_TOOL', where);
  }
}

/** One-line description of any thrown value, for result rows and logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
