import { parse as parseYaml } from 'yaml';
import { err, ok, type Result } from '../../lib/index.ts';

/** Parses an OpenAPI file's text: JSON, or YAML (which JSON is a subset of). */
export function parseSpecText(text: string): Result<unknown, string> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch {
    try {
      return ok(parseYaml(text, { maxAliasCount: 1000 }) as unknown);
    } catch (error) {
      return err(
        `The file is neither JSON nor YAML: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
