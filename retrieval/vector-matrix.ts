import type { DocKind } from './doc-source.ts';

/** A chunk in a ranked candidate list; `kind` is the doc kind for the docs index, a constant for the knowledge base. */
export type RankedChunk<Kind extends string = DocKind> = { id: number; docId: string; kind: Kind };

/**
 * Every chunk's embedding in one column-major Float32Array (dimension d of all rows is contiguous), so a
 * query touches only its non-zero dimensions: a short query's hashed vector has ~50–200 of 512, and each is one
 * tight pass over `count` floats. 10k × 512 floats = 20 MB.
 */
export type VectorMatrix<Kind extends string = DocKind> = {
  /** doc_chunks_version when loaded. */
  version: string;
  count: number;
  dims: number;
  ids: Float64Array;
  docIds: string[];
  kinds: Kind[];
  columns: Float32Array;
};

export function buildVectorMatrix<Kind extends string = DocKind>(
  rows: readonly { id: number; docId: string; kind: Kind; embedding: ArrayLike<number> }[],
  dims: number,
  version: string,
): VectorMatrix<Kind> {
  const count = rows.length;
  const columns = new Float32Array(count * dims);
  const ids = new Float64Array(count);
  rows.forEach((row, r) => {
    ids[r] = row.id;
    const limit = Math.min(dims, row.embedding.length);
    for (let d = 0; d < limit; d++) columns[d * count + r] = row.embedding[d] ?? 0;
  });
  return {
    version,
    count,
    dims,
    ids,
    docIds: rows.map((row) => row.docId),
    kinds: rows.map((row) => row.kind),
    columns,
  };
}

/** The `limit` rows with the highest dot product with `query` (the cosine: stored vectors are normalised). */
export function topByDotProduct<Kind extends string = DocKind>(
  matrix: VectorMatrix<Kind>,
  query: readonly number[],
  limit: number,
  kinds: readonly Kind[] | null,
): RankedChunk<Kind>[] {
  const { count, columns } = matrix;
  const scores = new Float32Array(count);
  for (let d = 0; d < matrix.dims; d++) {
    const weight = query[d] ?? 0;
    if (weight === 0) continue;
    const offset = d * count;
    for (let r = 0; r < count; r++)
      scores[r] = (scores[r] as number) + weight * (columns[offset + r] as number);
  }
  // Partial selection: keep a small sorted buffer of the best rows seen so far.
  const best: number[] = [];
  let floor = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < count; r++) {
    const score = scores[r] as number;
    if (best.length >= limit && score <= floor) continue;
    if (kinds && !kinds.includes(matrix.kinds[r] as Kind)) continue;
    let at = best.length;
    while (at > 0 && (scores[best[at - 1] as number] as number) < score) at--;
    best.splice(at, 0, r);
    if (best.length > limit) best.pop();
    if (best.length >= limit) floor = scores[best[best.length - 1] as number] as number;
  }
  return best.map((r) => ({
    id: matrix.ids[r] as number,
    docId: matrix.docIds[r] as string,
    kind: matrix.kinds[r] as Kind,
  }));
}

/** A vector as little-endian float32 bytes in hex (what `embedding_f32 bytea` stores). */
export function float32Hex(vector: readonly number[], dims: number): string {
  const bytes = new DataView(new ArrayBuffer(dims * 4));
  for (let d = 0; d < dims; d++) bytes.setFloat32(d * 4, vector[d] ?? 0, true);
  return Buffer.from(bytes.buffer).toString('hex');
}

/** The inverse of float32Hex once Postgres returned the bytea (a Buffer on porsager, a Uint8Array on PGlite). */
export function float32FromBytes(bytes: Uint8Array, dims: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vector = new Float32Array(dims);
  const count = Math.min(dims, Math.floor(bytes.byteLength / 4));
  for (let d = 0; d < count; d++) vector[d] = view.getFloat32(d * 4, true);
  return vector;
}
