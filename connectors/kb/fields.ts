import { z } from 'zod';

export const COLLECTION_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const CollectionName = z
  .string()
  .regex(COLLECTION_PATTERN, {
    message:
      'a collection name is 1–63 characters: lower-case letters, digits, "_" and "-", starting with a letter or digit (e.g. "product-docs")',
  })
  .describe(
    'The collection (per workspace): lower-case letters, digits, "_" and "-", 1–63 characters, e.g. "product-docs".',
  );

export const DocumentId = z
  .string()
  .min(1)
  .max(300)
  .describe(
    'Your id of the document, e.g. its path "docs/setup.md"; upserting the same id again replaces it.',
  );
