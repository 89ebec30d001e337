import { execFileSync } from 'node:child_process';
import { resolveTool } from '../../src/index.ts';

/** Decodes a video with the resolved ffmpeg to rgb24 frames [height, width, 3]. */
export function decodeFrames(path: string, width: number, height: number): Uint8Array[] {
  const raw = execFileSync(
    resolveTool('ffmpeg').path,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-protocol_whitelist',
      'file,pipe',
      '-i',
      path,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    { maxBuffer: 1 << 28 },
  );
  const frameBytes = width * height * 3;
  if (raw.length % frameBytes !== 0)
    throw new Error(`decoded ${raw.length} bytes, not a multiple of ${frameBytes}`);
  const frames: Uint8Array[] = [];
  for (let o = 0; o < raw.length; o += frameBytes)
    frames.push(new Uint8Array(raw.subarray(o, o + frameBytes)));
  return frames;
}

export interface ProbedStream {
  codec_name: string;
  width: number;
  height: number;
  nb_frames?: string;
  pix_fmt?: string;
  avg_frame_rate?: string;
}

/** ffprobe -show_streams -of json: the first video stream. */
export function probeVideo(path: string): ProbedStream {
  const json = execFileSync(
    resolveTool('ffprobe').path,
    ['-v', 'error', '-show_streams', '-of', 'json', path],
    { encoding: 'utf8' },
  );
  const streams = (JSON.parse(json) as { streams: (ProbedStream & { codec_type: string })[] })
    .streams;
  const video = streams.find((s) => s.codec_type === 'video');
  if (!video) throw new Error(`no video stream in ${path}`);
  return video;
}
