export type MarkdownSection = { heading: string; level: number; body: string };

/** Splits markdown at headings (ignoring `#` lines inside code fences). Text before the first heading has level 0. */
export function splitMarkdownSections(markdown: string): MarkdownSection[] {
  const sections: MarkdownSection[] = [];
  let current: MarkdownSection = { heading: '', level: 0, body: '' };
  let fence: string | null = null;
  for (const line of markdown.split(/\r?\n/)) {
    const fenceMatch = /^\s*(```|~~~)/.exec(line);
    if (fenceMatch) fence = fence === null ? (fenceMatch[1] ?? null) : fence === fenceMatch[1] ? null : fence;
    const heading = fence === null && !fenceMatch ? /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line) : null;
    if (heading) {
      if (current.heading || current.body.trim()) sections.push(current);
      current = { heading: heading[2] ?? '', level: heading[1]?.length ?? 1, body: '' };
    } else {
      current.body += `${line}\n`;
    }
  }
  if (current.heading || current.body.trim()) sections.push(current);
  return sections;
}
