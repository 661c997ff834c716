import type { ActionIssue } from '../sdk/define.ts';

/** A format written literally (an expression decides only at run time, where the check runs again on its value). */
export function literalFormat<F extends string>(value: unknown, formats: readonly F[]): F | undefined {
  return typeof value === 'string' && (formats as readonly string[]).includes(value)
    ? (value as F)
    : undefined;
}

/** Issues for options given with a format that does not read them (e.g. `sheet` with csv). */
export function optionsForFormat(
  action: string,
  withValue: Record<string, unknown>,
  format: string,
  only: Record<string, string>,
): ActionIssue[] {
  return Object.entries(only)
    .filter(([option, owner]) => withValue[option] !== undefined && owner !== format)
    .map(([option, owner]) => ({
      code: 'E_PARAMS',
      field: `/${option}`,
      message: `${action}: \`${option}\` applies to format "${owner}" only, not "${format}".`,
      hint: `Remove \`${option}\`, or set format to "${owner}".`,
    }));
}
