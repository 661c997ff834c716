import { ConnectorError } from '../connector-error.ts';

/** The `{name}` placeholders of a path template, in order. */
export function templateNames(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((match) => match[1] ?? '');
}

/**
 * The path with each `{name}` replaced by the input's value, percent-encoded as one segment: a value from a
 * document (`../admin`, `a/b?x=1`) can never add a segment, a query or a fragment.
 */
export function fillPath(template: string, values: Record<string, unknown>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const value = values[name];
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw pathError(`The path ${template} needs "${name}" (a string or number), got ${typeof value}.`);
    }
    const text = String(value);
    // `.` and `..` are whole segments URL parsing would resolve, even percent-encoded by some servers.
    if (text === '' || text === '.' || text === '..') {
      throw pathError(`"${name}" cannot be empty, "." or ".." in the path ${template}.`);
    }
    return encodeURIComponent(text);
  });
}

function pathError(message: string): ConnectorError {
  return new ConnectorError({
    code: 'E_PARAMS',
    message,
    retryable: false,
    hint: 'Give the id the service returned (from an earlier step or a list action).',
  });
}
