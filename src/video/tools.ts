import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ToolError } from '../errors.ts';

export type ToolName = 'ffmpeg' | 'ffprobe';

export interface ResolvedTool {
  name: ToolName;
  path: string;
  /** Where the path came from: env, ffmpeg-static, @ffmpeg-installer/ffmpeg, ..., PATH. */
  source: string;
  /** Sources tried before this one, and why they were passed over. */
  skipped: { source: string; reason: string }[];
}

const require = createRequire(import.meta.url);

interface Candidate {
  source: string;
  locate: () => string | undefined;
}

function fromPackage(pkg: string, pick: (exported: unknown) => unknown): () => string | undefined {
  return () => {
    const exported: unknown = require(pkg);
    const path = pick(exported);
    return typeof path === 'string' ? path : undefined;
  };
}

function fromPath(binary: string): () => string | undefined {
  return () => {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (dir && isExecutable(join(dir, binary))) return join(dir, binary);
    }
    return undefined;
  };
}

const CANDIDATES: Record<ToolName, Candidate[]> = {
  ffmpeg: [
    { source: 'FFMPEG_PATH', locate: () => process.env.FFMPEG_PATH || undefined },
    { source: 'ffmpeg-static', locate: fromPackage('ffmpeg-static', (e) => e) },
    {
      source: '@ffmpeg-installer/ffmpeg',
      locate: fromPackage('@ffmpeg-installer/ffmpeg', (e) => (e as { path?: unknown }).path),
    },
    { source: 'PATH', locate: fromPath('ffmpeg') },
  ],
  ffprobe: [
    { source: 'FFPROBE_PATH', locate: () => process.env.FFPROBE_PATH || undefined },
    {
      source: '@ffprobe-installer/ffprobe',
      locate: fromPackage('@ffprobe-installer/ffprobe', (e) => (e as { path?: unknown }).path),
    },
    { source: 'PATH', locate: fromPath('ffprobe') },
  ],
};

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const resolved = new Map<ToolName, ResolvedTool>();

/**
 * Finds ffmpeg or ffprobe: the env variable (FFMPEG_PATH / FFPROBE_PATH), then the npm
 * packages that ship a binary, then PATH. The result is cached per process.
 */
export function resolveTool(name: ToolName): ResolvedTool {
  const cached = resolved.get(name);
  if (cached) return cached;
  const skipped: ResolvedTool['skipped'] = [];
  for (const candidate of CANDIDATES[name]) {
    let path: string | undefined;
    try {
      path = candidate.locate();
    } catch (error) {
      skipped.push({ source: candidate.source, reason: 'not installed' });
      continue;
    }
    if (!path) {
      skipped.push({ source: candidate.source, reason: 'not set' });
      continue;
    }
    if (!isExecutable(path)) {
      skipped.push({ source: candidate.source, reason: `${path} is not an executable file` });
      continue;
    }
    const tool = { name, path, source: candidate.source, skipped };
    resolved.set(name, tool);
    return tool;
  }
  throw new ToolError(
    `${name}: not found (tried ${skipped.map((s) => `${s.source}: ${s.reason}`).join('; ')}); ` +
      `install ${name} or set ${name.toUpperCase()}_PATH`,
  );
}

/** First line of `TOOL -version`, e.g. "ffmpeg version 4.1 ...". */
export function toolVersion(tool: ResolvedTool): string {
  const out = execFileSync(tool.path, ['-hide_banner', '-version'], { encoding: 'utf8' });
  return out.split('\n')[0] ?? '';
}
