import { z } from 'zod';

/** What core.code may move through `files` in one call (bytes), checked by the parent and again by the child. */
export type SandboxFileLimits = {
  /** Total bytes the call may read (all files.read together). */
  maxReadBytes: number;
  /** Total bytes the call may write (all files.write together). */
  maxWriteBytes: number;
  /** files.read and files.write calls, together. */
  maxCalls: number;
};

/** Parent → child: run `code` once with `inputJson`. `files` is set when the call has a file store behind it. */
export type SandboxRequest = {
  id: number;
  code: string;
  inputJson: string;
  memoryBytes: number;
  stackBytes: number;
  timeoutMs: number;
  files?: SandboxFileLimits | undefined;
};

/** A file error as the code sees it (`error.code`, `error.message`, `error.hint`). */
export type SandboxFileError = { code: string; message: string; hint: string };

/** Parent → child: the answer to one files.read / files.write of request `id`. */
export type SandboxFileResult = {
  type: 'file-result';
  id: number;
  callId: number;
} & (
  | { ok: true /** read: the bytes */; base64?: string /** write: the FileRef */; refJson?: string }
  | { ok: false; error: SandboxFileError }
);

export const READ_AS = ['text', 'bytes', 'base64'] as const;
export type ReadAs = (typeof READ_AS)[number];

const FileCallBase = { type: z.literal('file'), id: z.number(), callId: z.number().int().min(1) };

/** Child → parent: the code called files.read or files.write (bytes base64-encoded; the parent checks sizes). */
export const SandboxFileCall = z.union([
  z.object({ ...FileCallBase, op: z.literal('read'), ref: z.unknown(), as: z.enum(READ_AS) }),
  z.object({
    ...FileCallBase,
    op: z.literal('write'),
    name: z.string().max(1_000),
    contentType: z.string().max(255).optional(),
    base64: z.string(),
  }),
]);
export type SandboxFileCall = z.infer<typeof SandboxFileCall>;

/** CPU time (user + system, µs): the process's on the request (`cpuMicros`) and since it started (`cpuTotalMicros`). */
const CpuMicros = z.number().nonnegative().max(86_400_000_000).optional();

/** Child → parent. The child is less trusted than the worker: everything it says is parsed. */
export const SandboxReply = z.union([
  z.object({ type: z.literal('ready'), cpuTotalMicros: CpuMicros }),
  z.object({
    type: z.literal('result'),
    id: z.number(),
    ok: z.literal(true),
    outputJson: z.string(),
    /** The child's WASM heap grew: the parent replaces it rather than reuse a bloated process. */
    recycle: z.boolean(),
    cpuMicros: CpuMicros,
    cpuTotalMicros: CpuMicros,
  }),
  z.object({
    type: z.literal('result'),
    id: z.number(),
    ok: z.literal(false),
    kind: z.enum(['error', 'timeout', 'memory', 'stack', 'output', 'never-settles']),
    message: z.string().max(10_000),
    line: z.number().int().optional(),
    column: z.number().int().optional(),
    recycle: z.boolean(),
    cpuMicros: CpuMicros,
    cpuTotalMicros: CpuMicros,
    /** The code threw an error `files` gave it without catching it: the step fails with that error's code and hint. */
    fileError: z
      .object({
        code: z.string().regex(/^E_FILES?_[A-Z_]{2,40}$/),
        message: z.string().max(2_000),
        hint: z.string().max(2_000),
      })
      .optional(),
  }),
  ...SandboxFileCall.options,
]);
export type SandboxReply = z.infer<typeof SandboxReply>;
