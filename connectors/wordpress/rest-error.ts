import { z } from 'zod';
import type { VendorError } from '../sdk/rest/index.ts';

/** The WordPress REST error body (a WP_Error), also WooCommerce's: `{ code, message, data: { status, params? } }`. */
const WpErrorBody = z.object({
  code: z.string(),
  message: z.string(),
  data: z
    .object({ status: z.number().optional(), params: z.record(z.string(), z.string()).optional() })
    .loose()
    .nullable()
    .optional(),
});

function describeParams(params: Record<string, string> | undefined): string {
  if (!params) return '';
  return Object.entries(params)
    .slice(0, 5)
    .map(([name, problem]) => ` ${name}: ${problem}`)
    .join(';');
}

/** Reads a WP_Error body: its message with the parameters it names, its code, and the hint for that code. */
export function wpVendorError(
  body: unknown,
  codeHints: Readonly<Record<string, string>>,
): VendorError | undefined {
  const parsed = WpErrorBody.safeParse(body);
  if (!parsed.success) return undefined;
  const { code, message, data } = parsed.data;
  return {
    message: `${message}${describeParams(data?.params)} (${code})`,
    vendorCode: code,
    hint: codeHints[code],
  };
}
