/**
 * Text for a terminal. Everything the CLI prints that came from outside (names, summaries, model text, error
 * messages, JSON of stored documents) goes through here at the print boundary: control characters a terminal
 * acts on are shown as `\uXXXX` instead of being sent. That covers C0 controls (ESC starts CSI and OSC 8/52
 * sequences, BEL ends them), DEL, a carriage return not followed by a line feed (it overwrites the line), C1
 * controls (U+009B is a one-byte CSI) and the bidirectional overrides and isolates that reorder what is shown.
 * Newlines and tabs stay. The escapes are JSON escapes, so JSON output stays valid JSON with the same value.
 */
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;

export function terminalText(text: string): string {
  return text.replace(UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

type Writable = { write(chunk: string, callback?: (error?: Error | null) => void): boolean };

/** Writes `text` to a stream (stdout, stderr, an injected one) made safe for a terminal. */
export function writeTerminal(stream: Writable, text: string, callback?: () => void): boolean {
  return callback ? stream.write(terminalText(text), callback) : stream.write(terminalText(text));
}

/** `process.stdout.write`, filtered. */
export const printOut = (text: string): boolean => writeTerminal(process.stdout, text);
/** `process.stderr.write`, filtered. */
export const printErr = (text: string): boolean => writeTerminal(process.stderr, text);
