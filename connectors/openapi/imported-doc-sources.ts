import type { DocSource } from '../retrieval/doc-source.ts';
import { openApiDocSources } from '../retrieval/openapi-doc-sources.ts';
import type { ImportedOpenApiConnector } from './import-openapi.ts';

/** The retrieval sources of an imported connector: one per operation and an overview (ids `openapi:<name>:…`). */
export function importedDocSources(imported: ImportedOpenApiConnector): DocSource[] {
  return openApiDocSources({
    connectorId: imported.connector.id,
    title: imported.connector.title,
    description: imported.connector.description,
    operations: imported.docs,
  });
}
