/**
 * Which ffmpeg / ffprobe binary runs. Order: the env variable (FFMPEG_PATH / FFPROBE_PATH), then
 * a maintained build on PATH (major version >= MIN_MAINTAINED_MAJOR), then the binaries shipped
 * in npm packages (ffmpeg-static, @ffmpeg-installer/ffmpeg: a 2018 git snapshot;
 * @ffprobe-installer/ffprobe), then whatever is on PATH. The bundled builds stay as the fallback
 * for machines without a system ffmpeg.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ToolError } from '../errors.ts';

export type ToolName = 'ffmpeg' | 'ffprobe';

/** Oldest major version preferred over the bundled binaries (5.0: January 2022). */
export const MIN_MAINTAINED_MAJOR = 5;

export interface ToolBuild {
  /** First line of `-version`, e.g. "ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026 ...". */
  banner: string;
  /** Release version ("5.1.9"), or the one implied by libavutil for git snapshots ("4.x"). */
  version: string;
  /** Major release; for git snapshots derived from libavutil's major. Null when unknown. */
  major: number | null;
  /** Build year: the end of the banner's copyright range (the source tree's year). */
  year: number | null;
}

export interface ResolvedTool {
  name: ToolName;
  path: string;
  /** Where the path came from: env, PATH (maintained), @ffmpeg-installer/ffmpeg, ..., PATH. */
  source: string;
  /** Sources tried before this one, and why they were passed over. */
  skipped: { source: string; reason: string }[];
}

const require = createRequire(import.meta.url);

interface Candidate {
  source: string;
  locate: () => string | undefined;
  /** Only taken when the build's major version is at least this. */
  minMajor?: number;
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
    { source: 'PATH (maintained)', locate: fromPath('ffmpeg'), minMajor: MIN_MAINTAINED_MAJOR },
    { source: 'ffmpeg-static', locate: fromPackage('ffmpeg-static', (e) => e) },
    {
      source: '@ffmpeg-installer/ffmpeg',
      locate: fromPackage('@ffmpeg-installer/ffmpeg', (e) => (e as { path?: unknown }).path),
    },
    { source: 'PATH', locate: fromPath('ffmpeg') },
  ],
  ffprobe: [
    { source: 'FFPROBE_PATH', locate: () => process.env.FFPROBE_PATH || undefined },
    { source: 'PATH (maintained)', locate: fromPath('ffprobe'), minMajor: MIN_MAINTAINED_MAJOR },
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

/** libavutil major -> FFmpeg release major (libavutil 56 shipped with 4.x, 57 with 5.x, ...). */
function releaseFromAvutil(avutilMajor: number): number | null {
  return avutilMajor >= 55 ? avutilMajor - 52 : null;
}

/** Reads version, major and build year from `-version` output. */
export function parseToolBuild(output: string): ToolBuild {
  const banner = output.split('\n')[0]?.trim() ?? '';
  const yearMatch = /Copyright \(c\) (?:\d{4}-)?(\d{4})/.exec(banner);
  const year = yearMatch ? Number(yearMatch[1]) : null;
  const release = /version n?(\d+)\.(\d+)(?:\.(\d+))?/.exec(banner);
  if (release) {
    return {
      banner,
      version: release[0].replace(/^version n?/, ''),
      major: Number(release[1]),
      year,
    };
  }
  const avutil = /libavutil\s+(\d+)\./.exec(output);
  const major = avutil ? releaseFromAvutil(Number(avutil[1])) : null;
  const snapshot = /version (\S+)/.exec(banner)?.[1] ?? 'unknown';
  return {
    banner,
    version: major === null ? snapshot : `${major}.x (git ${snapshot})`,
    major,
    year,
  };
}

const builds = new Map<string, ToolBuild | Error>();

/** `PATH -version`, parsed (cached per binary path). Throws a ToolError when it does not run. */
export function inspectBuild(path: string): ToolBuild {
  let build = builds.get(path);
  if (!build) {
    try {
      build = parseToolBuild(
        execFileSync(path, ['-hide_banner', '-version'], {
          encoding: 'utf8',
          timeout: 15_000,
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
    } catch (error) {
      build = new Error((error as Error).message.split('\n')[0]);
    }
    builds.set(path, build);
  }
  if (build instanceof Error)
    throw new ToolError(`${path}: expected "-version" to run, got ${build.message}`);
  return build;
}

export interface ToolCandidate {
  source: string;
  path: string | null;
  build: ToolBuild | null;
  /** Why this candidate is not the one used (null for the chosen one and those after it). */
  passedOver: string | null;
  chosen: boolean;
}

/** Every candidate for `name` in order, with its build, and which one is chosen (for doctor). */
export function listToolCandidates(name: ToolName): ToolCandidate[] {
  const out: ToolCandidate[] = [];
  let chosen = false;
  for (const candidate of CANDIDATES[name]) {
    const entry: ToolCandidate = {
      source: candidate.source,
      path: null,
      build: null,
      passedOver: null,
      chosen: false,
    };
    out.push(entry);
    let path: string | undefined;
    try {
      path = candidate.locate();
    } catch {
      entry.passedOver = 'not installed';
      continue;
    }
    if (!path) {
      entry.passedOver = 'not set or not found';
      continue;
    }
    entry.path = path;
    if (!isExecutable(path)) {
      entry.passedOver = 'not an executable file';
      continue;
    }
    try {
      entry.build = inspectBuild(path);
    } catch (error) {
      entry.passedOver = (error as Error).message;
      continue;
    }
    const { major } = entry.build;
    if (candidate.minMajor !== undefined && (major === null || major < candidate.minMajor)) {
      entry.passedOver = `version ${entry.build.version} is older than ${candidate.minMajor}`;
      continue;
    }
    if (!chosen) {
      entry.chosen = true;
      chosen = true;
    }
  }
  return out;
}

const resolved = new Map<ToolName, ResolvedTool>();

/** Forgets the cached choice (after changing FFMPEG_PATH / FFPROBE_PATH / PATH). */
export function resetToolChoice(): void {
  resolved.clear();
  builds.clear();
}

/** Finds ffmpeg or ffprobe in the order above. The result is cached per process (and thread). */
export function resolveTool(name: ToolName): ResolvedTool {
  const cached = resolved.get(name);
  if (cached) return cached;
  const skipped: ResolvedTool['skipped'] = [];
  for (const candidate of CANDIDATES[name]) {
    let path: string | undefined;
    try {
      path = candidate.locate();
    } catch {
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
    if (candidate.minMajor !== undefined) {
      let major: number | null = null;
      try {
        major = inspectBuild(path).major;
      } catch (error) {
        skipped.push({ source: candidate.source, reason: (error as Error).message });
        continue;
      }
      if (major === null || major < candidate.minMajor) {
        skipped.push({
          source: candidate.source,
          reason: `${path} is version ${major ?? 'unknown'}, older than ${candidate.minMajor}`,
        });
        continue;
      }
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

/** First line of `TOOL -version`, e.g. "ffmpeg version 5.1.9 ...". */
export function toolVersion(tool: ResolvedTool): string {
  return inspectBuild(tool.path).banner;
}
