const MIB = 1024 * 1024;

/** Largest file a whole-file format (pdf, xlsx, docx, json, xml, html) is read into memory for. */
export const MAX_PARSE_BYTES = 20 * MIB;
/** Largest total an xlsx or docx archive may unpack to, by its declared sizes (and never more, see safe-zip.ts). */
export const MAX_UNZIPPED_BYTES = 48 * MIB;
/** Most entries an xlsx or docx archive may have. */
export const MAX_ZIP_ENTRIES = 5_000;
/** Deepest nesting of objects and arrays `{ data }` may have (json, xml). */
export const MAX_DATA_DEPTH = 64;
/** Deepest element nesting read from HTML; deeper content is left out. */
export const MAX_HTML_DEPTH = 256;

export const DEFAULT_MAX_ROWS = 10_000;
export const MAX_ROWS = 100_000;
export const DEFAULT_MAX_CHARS = 1_000_000;
export const MAX_CHARS = 10_000_000;
