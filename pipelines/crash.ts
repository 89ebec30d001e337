/**
 * What the CLI does with an error that reaches the top: one line on stderr (error class,
 * message, and for anything but bad input, the file holding the full stack) and a documented
 * exit code. Stacks are never printed: a throw inside a bundled library would print its
 * minified source.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssembleNetError } from '../src/errors.ts';

/** Exit codes of every command (README "Exit codes"). */
export const EXIT_CODES = Object.freeze({
  /** Everything asked for was done. */
  ok: 0,
  /** The job ran to the end, but some videos (or rows) failed; each is reported. */
  failed: 1,
  /** Bad input or usage: a flag, a manifest, a genome, a spec, a video (InputError, VideoError). */
  input: 2,
  /** ffmpeg/ffprobe missing or broken (ToolError). */
  tool: 3,
  /** The compute engine cannot do it: backend, memory limit (EngineError). */
  engine: 4,
  /** The operating system refused: a file or folder missing, no permission, disk full. */
  system: 5,
  /** A bug: an error the code did not expect. */
  internal: 70,
});

/** Folder for crash reports: $ASSEMBLENET_CRASH_DIR, else the temp dir. */
export const CRASH_DIR_ENV = 'ASSEMBLENET_CRASH_DIR';

function exitCodeOf(error: AssembleNetError): number {
  switch (error.code) {
    case 'E_TOOL':
      return EXIT_CODES.tool;
    case 'E_ENGINE':
      return EXIT_CODES.engine;
    default:
      return EXIT_CODES.input;
  }
}

/** A Node.js system error (ENOENT, EACCES, ENOSPC, ...): it has a string code and a syscall. */
function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  const candidate = error as NodeJS.ErrnoException | null;
  return (
    candidate instanceof Error &&
    typeof candidate.code === 'string' &&
    /^E[A-Z]+$/.test(candidate.code) &&
    typeof candidate.syscall === 'string'
  );
}

function oneLine(text: string): string {
  const line = text.split('\n').find((part) => part.trim()) ?? text;
  return line.length > 400 ? `${line.slice(0, 400)}...` : line;
}

/** Every stack of the error and its causes, for the crash file. */
function fullReport(error: unknown, argv: readonly string[]): string {
  const parts = [
    `time: ${new Date().toISOString()}`,
    `argv: ${JSON.stringify(argv)}`,
    `node: ${process.version} ${process.platform}-${process.arch}`,
    '',
  ];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    if (current instanceof Error) {
      parts.push(
        depth
          ? `caused by: ${current.stack ?? current.message}`
          : (current.stack ?? current.message),
      );
      current = (current as Error & { cause?: unknown }).cause;
    } else {
      parts.push(`${depth ? 'caused by: ' : ''}${String(current)}`);
      current = undefined;
    }
  }
  return `${parts.join('\n')}\n`;
}

/** Writes the full report; returns its path, or why it could not be written. */
function writeCrashFile(error: unknown, argv: readonly string[]): string {
  const dir = process.env[CRASH_DIR_ENV] || tmpdir();
  const file = join(
    dir,
    `assemblenet-crash-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`,
  );
  try {
    writeFileSync(file, fullReport(error, argv));
    return file;
  } catch (writeError) {
    return `(not written: ${oneLine((writeError as Error).message)})`;
  }
}

/**
 * Reports an error that reached the top of the CLI: one line on `stderr`, the stack in a file
 * (except for AssembleNetErrors: their message says it all). Returns the exit code.
 */
export function reportCrash(
  error: unknown,
  argv: readonly string[] = process.argv,
  stderr: { write(text: string): unknown } = process.stderr,
): number {
  if (error instanceof AssembleNetError) {
    stderr.write(`assemblenet: ${oneLine(error.message)}\n`);
    return exitCodeOf(error);
  }
  const file = writeCrashFile(error, argv);
  if (isSystemError(error)) {
    stderr.write(
      `assemblenet: system error ${error.code}: ${oneLine(error.message.replace(/^E[A-Z]+: /, ''))} (stack: ${file})\n`,
    );
    return EXIT_CODES.system;
  }
  const name = error instanceof Error ? error.name || 'Error' : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(
    `assemblenet: internal error ${name}: ${oneLine(message)} (full stack: ${file}; please report it)\n`,
  );
  return EXIT_CODES.internal;
}
